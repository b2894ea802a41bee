"""The web app's shell in a real browser, through the visible UI only (labels, buttons, links), in
English and in Russian: registration with the e-mail through a real SMTP server on loopback, the
verification link, login, the account page, password reset, the dashboard, a blocked owner's page,
and the development mail viewer. Every page is checked with axe-core and photographed."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from accounts.tests.factories import PASSWORD, ManagerFactory, UserFactory
from core.tests.browser import Page, assert_accessible
from mailing.models import DeliveryAttempt, DeliveryStatus, MailingRun, MailingStatus, RunStatus
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory

NEW_PASSWORD = "a brand new long passphrase"
BOTH = [pytest.param("en", id="en"), pytest.param("ru", id="ru")]

# What a person reads on the pages, in each language.
TEXT = {
    "en": {
        "log in": "Log in",
        "create account link": "Create an account",
        "create account": "Create the account",
        "full name": "Full name",
        "email": "E-mail",
        "password": "Password",
        "check mail": "Check your mail",
        "verified": "Address verified",
        "dashboard": "Dashboard",
        "account": "Account",
        "time zone": "Time zone",
        "language": "Language",
        "save profile": "Save the profile",
        "saved": "Your profile is saved.",
        "current password": "Current password",
        "new password": "New password",
        "change password": "Change the password",
        "password changed": "Your password is changed.",
        "problem": "There is a problem",
        "no runs": "No mailing is being sent right now.",
        "runs": "Runs in progress",
    },
    "ru": {
        "log in": "Войти",
        "create account link": "Создать учётную запись",
        "create account": "Создать учётную запись",
        "full name": "ФИО",
        "email": "Email",
        "password": "Пароль",
        "check mail": "Проверьте почту",
        "verified": "Адрес подтверждён",
        "dashboard": "Сводка",
        "account": "Учётная запись",
        "time zone": "Часовой пояс",
        "language": "Язык",
        "save profile": "Сохранить профиль",
        "saved": "Профиль сохранён.",
        "current password": "Текущий пароль",
        "new password": "Новый пароль",
        "change password": "Сменить пароль",
        "password changed": "Пароль изменён.",
        "problem": "Есть ошибки",
        "no runs": "Сейчас ни одна рассылка не отправляется.",
        "runs": "Идущие рассылки",
    },
}

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _wait_for_mail(page: Page, inbox, count: int):
    page.wait(lambda _: len(inbox.messages) >= count)
    return inbox.messages[count - 1]


def _link_in(message, site_url: str, kind: str) -> str:
    body = message.get_content()
    [link] = re.findall(rf"{re.escape(site_url)}/accounts/{kind}/\S+/", body)
    return urlsplit(link).path


def _log_in(page: Page, t: dict, email: str, password: str) -> None:
    page.fill(t["email"], email).fill(t["password"], password).press(t["log in"])


def _check(page: Page, name: str) -> None:
    page.shot(name)
    assert_accessible(page.driver)


@pytest.mark.parametrize(
    "lang",
    [
        pytest.param("en", id="en"),
        pytest.param("ru", id="ru"),
    ],
)
def test_register_get_the_mail_follow_the_link_log_in_and_change_the_account(
    browser_factory, site, settings, smtp_inbox, lang
):
    # given: a browser in that language, the app's mail going to a real SMTP server
    settings.SITE_URL = site.url
    t = TEXT[lang]
    page = Page(browser_factory(lang), site.url)

    # when: from the login page to the registration form, with a password the service refuses
    page.open("/accounts/login/")
    page.heading(t["log in"])
    _check(page, "login")
    page.follow(t["create account link"])
    page.fill(t["full name"], "Nina New").fill(t["email"], "nina@example.com").fill(t["password"], "short")
    page.press(t["create account"])
    page.wait_for_text(t["problem"])
    _check(page, "register-error")

    # then: the error is next to the field, and nothing typed is lost
    assert page.errors_of(t["password"]) != ""
    assert page.field(t["full name"]).get_attribute("value") == "Nina New"
    assert page.field(t["email"]).get_attribute("value") == "nina@example.com"
    assert smtp_inbox.messages == []

    # when: a good password
    page.fill(t["password"], PASSWORD).press(t["create account"])
    page.heading(t["check mail"])
    _check(page, "register-done")
    _, recipients, message = _wait_for_mail(page, smtp_inbox, 1)

    # then: the account waits for its address, in the browser's zone and language
    assert recipients == ["nina@example.com"]
    user = User.objects.get(email="nina@example.com")
    assert (user.full_name, user.email_verified_at, user.time_zone, user.language) == ("Nina New", None, "UTC", lang)

    # when: the link is followed, then the user logs in
    page.open(_link_in(message, site.url, "verify"))
    page.heading(t["verified"])
    _check(page, "verified")
    page.follow(t["log in"])
    _log_in(page, t, "nina@example.com", PASSWORD)
    page.wait(lambda d: urlsplit(d.current_url).path == "/app/")
    page.heading(t["dashboard"])

    # when: the account page: another zone and name, then another password
    page.follow(t["account"])
    page.wait(lambda _: page.field(t["time zone"]).get_attribute("value") == "UTC")
    _check(page, "account")
    page.fill(t["full name"], "Nina Renamed").choose(t["time zone"], "Asia/Tokyo").press(t["save profile"])
    page.wait_for_text(t["saved"])
    page.fill(t["current password"], PASSWORD).fill(t["new password"], NEW_PASSWORD).press(t["change password"])
    page.wait_for_text(t["password changed"])
    _check(page, "account-saved")

    # then
    user.refresh_from_db()
    assert (user.full_name, user.time_zone, user.language) == ("Nina Renamed", "Asia/Tokyo", lang)
    assert user.check_password(NEW_PASSWORD)
    page.driver.refresh()
    page.wait(lambda _: page.field(t["time zone"]).get_attribute("value") == "Asia/Tokyo")
    assert page.field(t["full name"]).get_attribute("value") == "Nina Renamed"


@pytest.mark.parametrize("lang", BOTH)
def test_login_shows_the_refusal_keeps_the_address_and_goes_on_to_the_page_asked_for(browser_factory, site, lang):
    # given
    t = TEXT[lang]
    UserFactory(email="olga@example.com")
    page = Page(browser_factory(lang), site.url)

    # when: an app page, anonymous, then a wrong password
    page.open("/app/clients/")
    page.heading(t["log in"])
    _log_in(page, t, "olga@example.com", "not the password")
    page.wait_for_text(t["problem"])
    _check(page, "login-error")

    # then: the refusal is in the summary, and the address stays
    assert page.field(t["email"]).get_attribute("value") == "olga@example.com"
    assert urlsplit(page.driver.current_url).path == "/accounts/login/"

    # when
    page.fill(t["password"], PASSWORD).press(t["log in"])

    # then: the page asked for
    page.wait(lambda d: urlsplit(d.current_url).path == "/app/clients/")


def test_password_reset_from_the_login_page_to_a_login_with_the_new_password(browser, site, settings, smtp_inbox):
    # given
    settings.SITE_URL = site.url
    t = TEXT["en"]
    UserFactory(email="olga@example.com")
    page = Page(browser, site.url)

    # when: asking for a link
    page.open("/accounts/login/").follow("Forgot your password?")
    page.heading("Reset your password")
    _check(page, "password-reset")
    page.fill(t["email"], "olga@example.com").press("Send the link")
    page.heading(t["check mail"])
    _check(page, "password-reset-done")
    _, recipients, message = _wait_for_mail(page, smtp_inbox, 1)

    # when: following it and choosing a new password
    page.open(_link_in(message, site.url, "reset"))
    page.heading("Choose a new password")
    _check(page, "reset-password")
    page.fill("New password", NEW_PASSWORD).fill("New password again", NEW_PASSWORD).press("Set the new password")
    page.heading("Password changed")
    _check(page, "reset-password-done")
    page.follow(t["log in"])
    _log_in(page, t, "olga@example.com", NEW_PASSWORD)

    # then
    assert recipients == ["olga@example.com"]
    page.wait(lambda d: urlsplit(d.current_url).path == "/app/")


def test_a_blocked_owners_open_page_goes_to_the_login_page_on_its_next_request(browser, site):
    # given: the owner has the account page open
    owner = UserFactory(email="olga@example.com")
    manager = ManagerFactory()
    page = Page(browser, site.url)
    page.open("/app/account/")
    _log_in(page, TEXT["en"], "olga@example.com", PASSWORD)
    page.heading("Account")

    # when: a manager blocks the owner, then the owner's page sends a request
    account_services.user_block(user=owner, reason="Spam complaints", actor=manager)
    page.fill("Current password", PASSWORD).fill("New password", NEW_PASSWORD).press("Change the password")

    # then
    page.wait(lambda d: urlsplit(d.current_url).path == "/accounts/login/")
    assert urlsplit(page.driver.current_url).query == "next=%2Fapp%2Faccount%2F"
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def _open_run(mailing, *, sent: int, failed: int, queued: int) -> MailingRun:
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now(), status=RunStatus.RUNNING)
    clients = [ClientFactory(owner=mailing.owner) for _ in range(sent + failed + queued)]
    statuses = [DeliveryStatus.SENT] * sent + [DeliveryStatus.FAILED] * failed + [DeliveryStatus.QUEUED] * queued
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            run=run,
            mailing=mailing,
            client=client,
            email=client.email,
            status=status,
            last_attempt_at=timezone.now() if status != DeliveryStatus.QUEUED else None,
        )
        for client, status in zip(clients, statuses, strict=True)
    )
    return run


@pytest.mark.parametrize(
    "lang",
    [pytest.param("en", id="en"), pytest.param("ru", id="ru")],
)
def test_the_dashboard_shows_the_figures_the_chart_and_a_run_until_it_closes(browser_factory, site, lang):
    # given: 2 mailings (1 active), a run with 3 sent, 1 failed and 2 still queued
    t = TEXT[lang]
    owner = UserFactory(email="olga@example.com", language=lang)
    MailingFactory(owner=owner, is_active=False)
    mailing = MailingFactory(
        owner=owner, status=MailingStatus.STARTED, message=MessageFactory(owner=owner, subject="December news")
    )
    run = _open_run(mailing, sent=3, failed=1, queued=2)
    page = Page(browser_factory(lang), site.url)

    # when
    page.open("/app/")
    _log_in(page, t, "olga@example.com", PASSWORD)
    page.heading(t["dashboard"])
    page.wait(lambda d: d.find_element("id", "figure-clients").text == "6")
    page.link("December news")
    _check(page, "dashboard")

    # then
    figures = [page.driver.find_element("id", f"figure-{name}").text for name in ("mailings", "active", "clients")]
    assert figures == ["2", "1", "6"]
    assert [page.driver.find_element("id", f"figure-{name}").text for name in ("sent", "failed")] == ["3", "1"]
    bars = page.driver.execute_script(
        "const c = Chart.getChart('daily-chart');"
        "return [c.data.labels.length, c.data.datasets.map(d => d.data.at(-1))];"
    )
    assert bars == [30, [3, 0, 1]]
    progress = page.driver.execute_script(
        "return [...document.querySelectorAll('[role=progressbar]')].map(p => [p.ariaValueNow, p.ariaValueMax]);"
    )
    assert progress == [["4", "6"]]

    # when: the run's last rows are sent and it closes
    run.attempts.filter(status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENT, last_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    MailingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FINISHED,
        finished_at=timezone.now(),
        total_count=6,
        sent_count=5,
        failed_count=1,
        skipped_count=0,
        bounced_count=0,
    )

    # then: the next poll drops it
    page.wait_for_text(t["no runs"], timeout=15)


def test_the_dev_mail_page_lists_the_caught_mail_and_opens_its_links(browser, site, settings, tmp_path):
    # given: DEBUG on, and the catcher kept one message
    settings.DEBUG = True
    settings.MAIL_CATCHER_DIR = tmp_path
    (tmp_path / "20261202-101500-000001-00001.eml").write_text(
        "From: Mailing service <noreply@localhost>\nTo: nina@example.com\nSubject: Verify your e-mail address\n"
        "Date: Wed, 02 Dec 2026 10:15:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n"
        f"Hello Nina,\n\nOpen {site.url}/accounts/login/ to log in.\n"
    )
    page = Page(browser, site.url)

    # when
    page.open("/app/dev/mail/")
    _check(page, "dev-mail")
    page.follow("Verify your e-mail address")
    page.heading("Verify your e-mail address")
    _check(page, "dev-mail-message")
    page.follow(f"{site.url}/accounts/login/")

    # then
    page.heading("Log in")
