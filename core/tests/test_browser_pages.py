"""Browser journeys over the clients, messages, mailings, mailing and manager pages, in English
and in Russian, through the visible UI only (labels, button and link text). Screenshots of every
page, desktop and narrow, go to screenshots/ (git-ignored)."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from accounts.tests.factories import ManagerFactory, UserFactory
from core.tests.browser import assert_accessible, start_chromium
from core.tests.browser_pages import (
    NARROW,
    button,
    by_label,
    page_text,
    script_errors,
    shoot,
    sign_in,
    table_cells,
    type_into,
    wait,
)
from graphql_schema.tests.helpers import gid as relay_id
from mailing import rendering
from mailing.delivery import runs, worker
from mailing.identities.models import SenderIdentity
from mailing.models import Client, DeliveryAttempt, Mailing, MailingRun, Message, Suppression
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory
from mailing.tests.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# What each page says, in each language: the journeys read the page as a person would.
WORDS = {
    "en": {
        "Contact e-mail": "Contact e-mail",
        "Full name": "Full name",
        "Or paste the CSV here": "Or paste the CSV here",
        "Import clients": "Import clients",
        "Add client": "Add client",
        "Total": "Total:",
        "Rows not imported": "Rows not imported",
    },
    "ru": {
        "Contact e-mail": "Контактный email",
        "Full name": "ФИО",
        "Or paste the CSV here": "Или вставьте CSV сюда",
        "Import clients": "Импортировать клиентов",
        "Add client": "Добавить клиента",
        "Total": "Всего:",
        "Rows not imported": "Строки, которые не импортированы",
    },
}


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path / "chromium-profile")
    yield driver
    driver.quit()


@pytest.fixture
def site(live_server):
    cache.clear()
    yield live_server
    cache.clear()


def _loaded(driver):
    # Alpine has rendered the page's data once the module has run: its x-cloak-free root shows.
    return driver.execute_script(
        "const root = document.querySelector('[x-data]'); return !!(root && root._x_dataStack)"
    )


def _open(driver, url: str) -> None:
    driver.get(url)
    try:
        wait(driver, 10).until(_loaded)
    except Exception:
        raise AssertionError(f"the page's module did not start: {script_errors(driver)}") from None


@pytest.mark.parametrize("language", ["en", "ru"])
def test_journey_3_a_csv_import_with_one_bad_row_names_that_row(browser, site, language):
    # given
    words = WORDS[language]
    owner = UserFactory(email=f"owner-{language}@example.com", full_name="Olga Owner")
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/clients/")
    csv_text = (
        "email,full_name,comment\nann@example.org,Ann Smith,VIP\nnot-an-address,Bad Row,\nbob@example.org,Bob Jones,\n"
    )

    # when
    type_into(by_label(browser, words["Or paste the CSV here"]), csv_text)
    button(browser, words["Import clients"]).click()
    wait(browser).until(lambda d: "bob@example.org" in page_text(d))

    # then
    errors = table_cells(browser, words["Rows not imported"])
    assert [row[:2] for row in errors] == [["3", "email"]]
    assert sorted(Client.objects.filter(owner=owner).values_list("email", flat=True)) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert f"{words['Total']} 2" in page_text(browser)
    assert script_errors(browser) == []
    shoot(browser, f"clients-{language}")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_clients_add_edit_and_delete_with_a_confirmation(browser, site, language):
    # given
    words = WORDS[language]
    owner = UserFactory(email=f"owner-{language}@example.com")
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/clients/")

    # when: an address that is no address is refused next to its field, and nothing typed is lost
    type_into(by_label(browser, words["Contact e-mail"]), "nobody")
    type_into(by_label(browser, words["Full name"]), "Nina Nobody")
    button(browser, words["Add client"]).click()
    wait(browser).until(
        lambda d: (
            by_label(d, words["Contact e-mail"]).get_attribute("aria-invalid")
            or "is-invalid" in by_label(d, words["Contact e-mail"]).get_attribute("class")
        )
    )
    refused_name = by_label(browser, words["Full name"]).get_attribute("value")
    type_into(by_label(browser, words["Contact e-mail"]), "nina@example.org")
    button(browser, words["Add client"]).click()
    wait(browser).until(lambda d: "nina@example.org" in page_text(d))

    # then
    assert refused_name == "Nina Nobody"
    assert Message.objects.count() == 0
    assert list(Client.objects.values_list("email", "full_name")) == [("nina@example.org", "Nina Nobody")]
    assert script_errors(browser) == []


@pytest.fixture
def mail_server(settings, site):
    server = SmtpServer().start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Shop <news@shop.example>"
    settings.SITE_URL = site.url
    yield server
    server.stop()


def _send_open_runs(mailing: Mailing) -> None:
    """The engine, in this process: start what is due, then send every open run of `mailing`."""
    runs.run_due_mailings(enqueue=None)
    for run in MailingRun.objects.filter(mailing=mailing, status__in=["PENDING", "RUNNING"]):
        worker.run_process(run_id=run.pk, handover=None)


def _words(language: str, en: str, ru: str) -> str:
    return en if language == "en" else ru


def _answered(log: list[list[str]], count: int) -> list[list[str]] | None:
    """The log's rows once `count` of them show a server's reply (the page polls until then)."""
    rows = [row for row in log if len(row) == 6 and row[4] not in ("", "—")]
    return rows if len(rows) == count else None


@pytest.mark.parametrize("language", ["en", "ru"])
def test_messages_preview_fills_in_the_placeholders_and_shows_the_html_in_a_sandbox(
    browser, site, mail_server, language
):
    # given
    owner = UserFactory(email=f"olga-{language}@example.com", full_name="Olga Owner")
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/messages/")

    # when
    type_into(by_label(browser, _words(language, "Subject line", "Тема письма")), "Hello {name}")
    type_into(
        by_label(browser, _words(language, "Message body (plain text)", "Тело письма (текст)")),
        "Dear {name},\nthis goes to {email}.",
    )
    type_into(
        by_label(browser, _words(language, "HTML body (optional)", "Тело письма в HTML (необязательно)")),
        '<h1 style="color: rgb(200, 0, 0)">Hi {name}</h1><script>document.title = "ran"</script>',
    )
    button(browser, _words(language, "Preview", "Предпросмотр")).click()
    frame = wait(browser).until(lambda d: d.find_element(By.NAME, "message-preview"))
    wait(browser).until(
        lambda d: (
            "Olga" in d.execute_script("return document.querySelector('[data-testid=preview-subject]').textContent")
        )
    )
    body = browser.find_element(By.CSS_SELECTOR, "[data-testid=preview-body]").text
    browser.switch_to.frame(frame)
    heading = wait(browser).until(lambda d: d.find_element(By.TAG_NAME, "h1"))
    heading_text, heading_color, title = heading.text, heading.value_of_css_property("color"), browser.title
    browser.switch_to.default_content()

    # then
    assert body == f"Dear Olga Owner,\nthis goes to olga-{language}@example.com."  # its lines kept
    assert heading_text == "Hi Olga Owner"
    assert heading_color == "rgba(200, 0, 0, 1)"  # the e-mail's own inline style shows
    assert title != "ran"  # its script never runs
    assert frame.get_attribute("sandbox") == ""
    assert script_errors(browser) == []

    # when: a test to myself, through the real mail server
    button(browser, _words(language, "Send a test to myself", "Отправить тест себе")).click()
    wait(browser).until(lambda d: mail_server.messages)

    # then
    assert mail_server.recipients() == [f"olga-{language}@example.com"]
    assert b"Subject: Hello Olga Owner" in mail_server.messages[0].data
    shoot(browser, f"messages-{language}")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_message_in_use_is_not_deleted_and_the_page_says_why(browser, site, language):
    # given
    owner = UserFactory()
    message = MessageFactory(owner=owner, subject="In use")
    MailingFactory(owner=owner, message=message)
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/messages/")

    # when
    button(browser, _words(language, "Delete “In use”", "Удалить «In use»")).click()
    button(browser, _words(language, "Yes, delete", "Да, удалить")).click()
    alerts = wait(browser).until(
        lambda d: [a.text for a in d.find_elements(By.XPATH, "//*[@role='alert']") if a.is_displayed() and a.text]
    )

    # then
    assert alerts == [
        _words(
            language,
            "This message is used by 1 mailing(s); delete them first.",
            "Это сообщение используется в рассылках (1); сначала удалите их.",
        )
    ]
    assert Message.objects.filter(pk=message.pk).exists()
    assert script_errors(browser) == []

    # when: as it says, the mailing is deleted first (with its confirmation), then the message
    _open(browser, f"{site.url}/app/mailings/")
    button(browser, _words(language, "Delete “In use”", "Удалить «In use»")).click()
    question = wait(browser).until(lambda d: d.find_element(By.ID, "mailing-delete-question").text)
    button(browser, _words(language, "Yes, delete", "Да, удалить")).click()
    wait(browser).until(lambda d: not Mailing.objects.filter(owner=owner).exists())
    wait(browser).until(lambda d: d.find_elements(By.LINK_TEXT, "In use") == [])  # its row is gone
    _open(browser, f"{site.url}/app/messages/")
    button(browser, _words(language, "Delete “In use”", "Удалить «In use»")).click()
    button(browser, _words(language, "Yes, delete", "Да, удалить")).click()
    wait(browser).until(lambda d: not Message.objects.filter(pk=message.pk).exists())

    # then
    assert question == _words(
        language,
        "Delete the mailing “In use”? Its runs and delivery log go with it.",
        "Удалить рассылку «In use»? Её запуски и журнал отправок удалятся вместе с ней.",
    )
    assert script_errors(browser) == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_journey_4_write_a_message_then_create_a_mailing_that_starts_now(browser, site, language):
    # given
    owner = UserFactory()
    ann = ClientFactory(owner=owner, email="ann@example.org", full_name="Ann")
    ClientFactory(owner=owner, email="bob@example.org", full_name="Bob")
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/messages/")
    type_into(by_label(browser, _words(language, "Subject line", "Тема письма")), "Spring sale")
    type_into(by_label(browser, _words(language, "Message body (plain text)", "Тело письма (текст)")), "Hello {name}")
    button(browser, _words(language, "Save message", "Сохранить сообщение")).click()
    wait(browser).until(lambda d: Message.objects.filter(owner=owner).exists())

    # when: the form, with the keyboard alone
    _open(browser, f"{site.url}/app/mailings/")
    select = by_label(browser, _words(language, "Message", "Сообщение"))
    select.send_keys("Spring sale")
    some = by_label(browser, _words(language, "Some clients, picked below", "Некоторые клиенты (выберите ниже)"))
    some.send_keys(" ")  # the radio, by its key
    search = by_label(browser, _words(language, "Find clients by name or e-mail", "Найти клиентов по ФИО или email"))
    type_into(search, "ann")
    search.send_keys(Keys.ENTER)
    by_label(browser, "Ann <ann@example.org>").send_keys(" ")
    button(browser, _words(language, "Create mailing", "Создать рассылку")).send_keys(Keys.ENTER)
    wait(browser).until(lambda d: Mailing.objects.filter(owner=owner).exists())

    # then
    mailing = Mailing.objects.get(owner=owner)
    assert list(mailing.clients.all()) == [ann]
    assert mailing.start_at <= timezone.now()
    assert script_errors(browser) == []
    shoot(browser, f"mailings-{language}")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_journeys_5_and_6_progress_to_the_end_then_an_unsubscribed_recipient_is_skipped(
    browser, site, mail_server, language
):
    # given: a mailing due now, to two clients; its run starts as the page opens
    owner = UserFactory()
    ann = ClientFactory(owner=owner, email="ann@example.org", full_name="Ann")
    bob = ClientFactory(owner=owner, email="bob@example.org", full_name="Bob")
    mailing = MailingFactory(owner=owner, clients=[ann, bob], start_at=timezone.now() - timedelta(minutes=1))
    runs.run_due_mailings(enqueue=None)
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/mailings/{relay_id('Mailing', mailing.pk)}/")
    bar = wait(browser).until(lambda d: d.find_element(By.XPATH, "//*[@role='progressbar']"))
    first_value = bar.get_attribute("aria-valuenow")

    # when (5): the engine sends the run
    _send_open_runs(mailing)
    wait(browser).until(
        lambda d: d.find_element(By.XPATH, "//*[@role='progressbar']").get_attribute("aria-valuenow") == "100"
    )
    log_caption = _words(language, "Delivery log", "Журнал отправок")
    log = wait(browser).until(lambda d: _answered(table_cells(d, log_caption), 2))

    # then
    assert first_value == "0"
    assert sorted(row[1] for row in log) == ["ann@example.org", "bob@example.org"]
    assert all(row[4].startswith("250 ") for row in log), log
    assert all(row[5].startswith("<") for row in log), log  # the Message-ID
    shoot(browser, f"mailing-{language}")

    # when (6): Bob unsubscribes through his link, then the owner sends the mailing again
    bob_mail = next(m for m in mail_server.messages if "bob@example.org" in m.rcpt_tos)
    link = f"/unsubscribe/{rendering.unsubscribe_token(bob.pk)}/"
    assert link.encode() in bob_mail.data
    browser.get(f"{site.url}{link}")
    button(browser, _words(language, "Unsubscribe", "Отписаться")).click()  # a GET only shows the button
    wait(browser).until(lambda d: Client.objects.filter(pk=bob.pk, unsubscribed_at__isnull=False).exists())
    _open(browser, f"{site.url}/app/mailings/{relay_id('Mailing', mailing.pk)}/")
    button(browser, _words(language, "Send now", "Отправить сейчас")).click()
    wait(browser).until(lambda d: MailingRun.objects.filter(mailing=mailing).count() == 2)
    _send_open_runs(mailing)
    skipped = _words(language, "SKIPPED", "ПРОПУЩЕНО")
    # the log reloads once the page sees the new run closed: wait for the row the owner looks for
    row = wait(browser).until(lambda d: [r for r in table_cells(d, log_caption) if len(r) == 6 and r[2] == skipped])

    # then
    newest = MailingRun.objects.filter(mailing=mailing).order_by("-id").first()
    assert dict(DeliveryAttempt.objects.filter(run=newest).values_list("email", "status")) == {
        "ann@example.org": "SENT",
        "bob@example.org": "SKIPPED",
    }
    assert [r[1] for r in row] == ["bob@example.org"]
    assert script_errors(browser) == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_journey_7_the_manager_disables_the_mailing_and_blocks_the_owner(browser, site, tmp_path, language):
    # given: the owner's clients page is open in another browser
    owner = UserFactory(email="olga@example.com", full_name="Olga Owner")
    MailingFactory(owner=owner, message=MessageFactory(owner=owner, subject="Olga's news"))
    manager = ManagerFactory(email="boss@example.com")
    owners_browser = start_chromium(tmp_path / "owner-profile")
    try:
        sign_in(owners_browser, site.url, owner, language)
        _open(owners_browser, f"{site.url}/app/clients/")
        sign_in(browser, site.url, manager, language)
        _open(browser, f"{site.url}/app/manage/")
        wait(browser).until(lambda d: "Olga's news" in page_text(d))
        shoot(browser, f"manage-{language}")

        # when: the manager disables the mailing, then blocks its owner (first without a reason)
        button(browser, _words(language, "Disable “Olga's news”", "Отключить «Olga's news»")).click()
        wait(browser).until(lambda d: not Mailing.objects.get(owner=owner).is_active)
        button(browser, _words(language, "Block olga@example.com", "Заблокировать olga@example.com")).click()
        block = _words(language, "Block the user", "Заблокировать пользователя")
        button(browser, block).click()
        reason = by_label(browser, _words(language, "Reason for the block", "Причина блокировки"))
        wait(browser).until(lambda d: "is-invalid" in reason.get_attribute("class"))
        error_text = browser.find_element(By.ID, reason.get_attribute("aria-describedby").split()[-1]).text
        type_into(reason, "Spam complaints")
        button(browser, block).click()
        wait(browser).until(lambda d: type(owner).objects.get(pk=owner.pk).blocked_at is not None)

        # then: the owner's page, on its next request, leads to the login page
        search = _words(language, "Search", "Найти")
        button(owners_browser, search).click()
        wait(owners_browser).until(lambda d: "/accounts/login/" in d.current_url)
        assert error_text != ""
        assert type(owner).objects.get(pk=owner.pk).blocked_reason == "Spam complaints"
        assert script_errors(browser) == []
    finally:
        owners_browser.quit()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_journey_8_a_schedule_entered_at_9_in_moscow_is_stored_and_shown_so(browser, site, language):
    # given
    owner = UserFactory()
    owner.time_zone = "Europe/Moscow"
    owner.save()
    ClientFactory(owner=owner)
    MessageFactory(owner=owner, subject="Morning news")
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/mailings/")
    wait(browser).until(lambda d: "Europe/Moscow" in d.find_element(By.CSS_SELECTOR, "[data-testid=mailing-zone]").text)

    # when
    by_label(browser, _words(language, "Message", "Сообщение")).send_keys("Morning news")
    start = by_label(browser, _words(language, "Start (time of the mailing)", "Начало (время рассылки)"))
    _type_datetime(start, "2031-03-10T09:00")
    _type_datetime(by_label(browser, _words(language, "End", "Конец")), "2031-04-10T09:00")
    button(browser, _words(language, "Create mailing", "Создать рассылку")).click()
    wait(browser).until(lambda d: Mailing.objects.filter(owner=owner).exists())
    mailing = Mailing.objects.get(owner=owner)
    _open(browser, f"{site.url}/app/mailings/{relay_id('Mailing', mailing.pk)}/")
    shown = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=mailing-start]").text)

    # then
    assert mailing.start_at == datetime(2031, 3, 10, 6, 0, tzinfo=UTC)
    assert shown == _words(language, "Mar 10, 2031, 9:00 AM", "10 мар. 2031 г., 09:00")
    assert "Europe/Moscow" in page_text(browser)
    assert script_errors(browser) == []


def _datetime_keys(value: str) -> list[str]:
    """The keys a person types into a datetime-local control ("2031-03-10T09:00"). The order of
    its fields is the browser's locale's: the test browsers run in English (start_chromium), so
    month, day, year, then (after moving on from the year, which takes up to six digits) hour,
    minute and AM/PM."""
    day, time = value.split("T")
    year, month, date = day.split("-")
    hour, minute = (int(part) for part in time.split(":"))
    return [f"{month}{date}{year}", Keys.ARROW_RIGHT, f"{hour % 12 or 12:02d}{minute:02d}", "A" if hour < 12 else "P"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_end_with_a_six_digit_year_is_refused_next_to_its_field(browser, site, language):
    # given: a date field takes a year of six digits (typed on, without Tab); the API does not
    owner = UserFactory()
    ClientFactory(owner=owner)
    MessageFactory(owner=owner, subject="Morning news")
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/mailings/")
    by_label(browser, _words(language, "Message", "Сообщение")).send_keys("Morning news")
    end = by_label(browser, _words(language, "End", "Конец"))
    browser.execute_script(
        "arguments[0].value = '202609-12-01T15:00'; arguments[0].dispatchEvent(new Event('input'))", end
    )

    # when
    button(browser, _words(language, "Create mailing", "Создать рассылку")).click()

    # then: the error is under the End field, in the page's language, and nothing was sent
    expected = _words(
        language, "Enter a date and time with a four-digit year.", "Введите дату и время с годом из четырёх цифр."
    )
    error = wait(browser).until(lambda d: d.find_element(By.ID, "mailing-end-error").text)
    assert error == expected
    assert end.get_attribute("value") == "202609-12-01T15:00"
    assert not Mailing.objects.exists()


def _type_datetime(element, value: str) -> None:
    element.send_keys(*_datetime_keys(value))
    assert element.get_attribute("value") == value


PAGES = [
    pytest.param("clients", "/app/clients/", id="clients"),
    pytest.param("messages", "/app/messages/", id="messages"),
    pytest.param("mailings", "/app/mailings/", id="mailings"),
    pytest.param("mailing", "/app/mailings/{mailing}/", id="mailing"),
    pytest.param("senders", "/app/senders/", id="senders"),
    pytest.param("manage", "/app/manage/", id="manage"),
]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("name", "path"), PAGES)
def test_every_page_loads_its_data_without_an_error(browser, site, language, name, path):
    # given: a manager who owns a little of everything
    manager = ManagerFactory(email="manager@example.com", full_name="Maria Manager")
    clients = [ClientFactory(owner=manager, email=f"c{n}@example.org", full_name=f"Client {n}") for n in range(3)]
    sender = SenderIdentity.objects.create(
        owner=manager, name="Shop news", email="news@shop.example", verified_at=timezone.now()
    )
    mailing = MailingFactory(
        owner=manager, clients=clients, message=MessageFactory(owner=manager, subject="Weekly digest", sender=sender)
    )
    Suppression.objects.create(owner=manager, email="c0@example.org", reason="HARD_BOUNCE", detail="550 5.1.1")
    run = MailingRun.objects.create(
        mailing=mailing,
        scheduled_for=mailing.start_at,
        status="FINISHED",
        total_count=3,
        sent_count=2,
        failed_count=1,
        skipped_count=0,
        bounced_count=0,
    )
    for n, client in enumerate(clients):
        DeliveryAttempt.objects.create(
            run=run,
            client=client,
            email=client.email,
            status="FAILED" if n == 2 else "SENT",
            attempts=1,
            smtp_code=250 if n < 2 else 550,
            server_response="250 2.0.0 Ok" if n < 2 else "550 5.1.1 No such user",
            message_id=f"<{n}@shop.example>",
            last_attempt_at=timezone.now(),
        )
    sign_in(browser, site.url, manager, language)

    # when
    _open(browser, f"{site.url}{path.format(mailing=relay_id('Mailing', mailing.pk))}")
    wait(browser).until(lambda d: "Weekly digest" in page_text(d) or "c0@example.org" in page_text(d))
    alerts = [a.text for a in browser.find_elements(By.XPATH, "//*[@role='alert']") if a.is_displayed() and a.text]

    # then
    assert alerts == []
    assert script_errors(browser) == []
    assert_accessible(browser)
    shoot(browser, f"page-{name}-{language}")

    # and on a phone the page itself never scrolls sideways (wide tables scroll in their own box)
    browser.set_window_size(*NARROW)
    # The chart resizes on its ResizeObserver's next call, a frame or so after the window does.
    deadline = time.monotonic() + 5
    while (widths := browser.execute_script(PAGE_WIDTHS))[0] != widths[1] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert widths[0] == widths[1], widths


PAGE_WIDTHS = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def _tab_to(driver, name: str, presses: int = 80) -> None:
    """Press Tab until the focus is on the control labelled `name` (or the button that reads it),
    as a keyboard user does; fail if it is never reached."""
    for _ in range(presses):
        focused = driver.execute_script(
            """
            const el = document.activeElement;
            const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
            return (label || el.getAttribute('aria-label') || el.innerText || '').replace(/\\s+/g, ' ').trim();
            """
        )
        if focused == name:
            return
        ActionChains(driver).send_keys(Keys.TAB).perform()
    raise AssertionError(f"Tab never reached {name!r}")


def _keys(driver, *keys: str) -> None:
    ActionChains(driver).send_keys(*keys).perform()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_mailing_form_is_completed_with_the_keyboard_alone(browser, site, language):
    # given
    owner = UserFactory()
    ann = ClientFactory(owner=owner, email="ann@example.org", full_name="Ann")
    ClientFactory(owner=owner, email="bob@example.org", full_name="Bob")
    MessageFactory(owner=owner, subject="Spring sale")
    sign_in(browser, site.url, owner, language)
    _open(browser, f"{site.url}/app/mailings/")
    all_clients = _words(language, "All my clients (2)", "Все мои клиенты (2)")
    by_label(browser, all_clients)

    # when: from the top of the page, only keys
    _tab_to(browser, _words(language, "Message", "Сообщение"))
    _keys(browser, "Spring")
    _tab_to(browser, all_clients)
    _keys(browser, Keys.ARROW_DOWN)  # the group's other radio: some clients
    _tab_to(browser, _words(language, "Find clients by name or e-mail", "Найти клиентов по ФИО или email"))
    _keys(browser, "ann", Keys.ENTER)
    by_label(browser, "Ann <ann@example.org>")
    _tab_to(browser, "Ann <ann@example.org>")
    _keys(browser, " ")
    _tab_to(browser, _words(language, "Start (time of the mailing)", "Начало (время рассылки)"))
    _keys(browser, *_datetime_keys("2031-03-10T09:00"))
    _tab_to(browser, _words(language, "End", "Конец"))
    _keys(browser, *_datetime_keys("2031-04-10T18:30"))
    _tab_to(browser, _words(language, "Periodicity", "Периодичность"))
    _keys(browser, Keys.ARROW_DOWN)  # once -> daily
    _tab_to(browser, _words(language, "Create mailing", "Создать рассылку"))
    _keys(browser, Keys.ENTER)
    wait(browser).until(lambda d: Mailing.objects.filter(owner=owner).exists())

    # then
    mailing = Mailing.objects.get(owner=owner)
    assert list(mailing.clients.all()) == [ann]
    assert mailing.message.subject == "Spring sale"
    assert mailing.periodicity == "DAILY"
    assert (mailing.start_at, mailing.end_at) == (
        datetime(2031, 3, 10, 9, 0, tzinfo=UTC),
        datetime(2031, 4, 10, 18, 30, tzinfo=UTC),
    )
    assert script_errors(browser) == []
