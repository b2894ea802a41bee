"""The senders page in a real browser, through the visible UI only, in English and in Russian: a
sender identity added (a refused address first, nothing typed lost), its link e-mailed through a
real SMTP server on loopback and opened, the identity chosen for a message, its delete refused
while the message uses it; an address put on the suppression list by hand and lifted again."""

import re
from urllib.parse import urlsplit

import pytest

from accounts.tests.factories import UserFactory
from core.tests.browser import Page, assert_accessible
from core.tests.browser_pages import sign_in
from mailing.identities.models import SenderIdentity
from mailing.models import Message, Suppression
from mailing.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TEXT = {
    "en": {
        "senders": "Senders",
        "name": "Sender's name",
        "address": "Sender's address",
        "add": "Add sender",
        "link sent": "We sent a link to news@shop.example",
        "not verified": "not verified",
        "verified page": "Sender address verified",
        "open senders": "Open your senders",
        "verified": "verified ",
        "messages": "Messages",
        "edit": "Edit “Spring sale”",
        "sender": "Sender",
        "save": "Save message",
        "saved": "Message saved.",
        "delete": "Delete news@shop.example",
        "yes": "Yes, delete",
        "in use": "This sender is used by 1 message(s); choose another sender for them first.",
        "suppress field": "Address to stop sending to",
        "suppress": "Suppress",
        "by hand": "added by hand",
        "lift": "Lift the suppression of gone@example.org",
        "lifted": "gone@example.org is sent to again.",
        "none suppressed": "No address is suppressed.",
    },
    "ru": {
        "senders": "Отправители",
        "name": "Имя отправителя",
        "address": "Адрес отправителя",
        "add": "Добавить отправителя",
        "link sent": "Мы отправили ссылку на news@shop.example",
        "not verified": "не подтверждён",
        "verified page": "Адрес отправителя подтверждён",
        "open senders": "Открыть отправителей",
        "verified": "подтверждён ",
        "messages": "Сообщения",
        "edit": "Изменить «Spring sale»",
        "sender": "Отправитель",
        "save": "Сохранить сообщение",
        "saved": "Сообщение сохранено.",
        "delete": "Удалить news@shop.example",
        "yes": "Да, удалить",
        "in use": "Этот отправитель указан в письмах (1); сначала выберите для них другого отправителя.",
        "suppress field": "Адрес, на который больше не отправлять",
        "suppress": "Добавить в стоп-лист",
        "by hand": "добавлен вручную",
        "lift": "Убрать gone@example.org из стоп-листа",
        "lifted": "На gone@example.org снова отправляются письма.",
        "none suppressed": "В стоп-листе нет адресов.",
    },
}


def _check(page: Page, name: str) -> None:
    page.shot(name)
    assert_accessible(page.driver)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_add_a_sender_verify_it_by_mail_and_send_a_message_as_it(browser, site, settings, smtp_inbox, lang):
    # given: an owner with a message, the app's mail going to a real SMTP server
    settings.SITE_URL = site.url
    t = TEXT[lang]
    owner = UserFactory(email="owner@shop.example")
    message = MessageFactory(owner=owner, subject="Spring sale")
    sign_in(browser, site.url, owner, lang)
    page = Page(browser, site.url)

    # when: the senders page from the navbar, and an address the API refuses
    page.open("/app/").follow(t["senders"])
    page.heading(t["senders"])
    page.fill(t["name"], "Shop news").fill(t["address"], "not an address").press(t["add"])
    page.wait(lambda _: page.errors_of(t["address"]) != "")

    # then: the error is next to the field, nothing typed is lost, nothing was created or sent
    assert page.field(t["name"]).get_attribute("value") == "Shop news"
    assert page.field(t["address"]).get_attribute("value") == "not an address"
    assert not SenderIdentity.objects.exists()
    _check(page, "senders-error")

    # when: a good address
    page.fill(t["address"], "news@shop.example").press(t["add"])
    page.wait_for_text(t["link sent"])
    page.wait(lambda _: len(smtp_inbox.messages) == 1)
    _, recipients, mail = smtp_inbox.messages[0]

    # then: it waits for its link, which went to the address itself
    assert recipients == ["news@shop.example"]
    assert t["not verified"] in page.text()
    [link] = re.findall(rf"{re.escape(site.url)}/senders/verify/\S+/", mail.get_content())

    # when: the link is opened, then the senders page again
    page.open(urlsplit(link).path)
    page.heading(t["verified page"])
    page.follow(t["open senders"])
    page.wait_for_text(t["verified"])
    identity = SenderIdentity.objects.get()
    assert identity.is_verified
    _check(page, "senders")

    # when: the message is given that sender
    page.follow(t["messages"])
    page.press(t["edit"])
    page.choose(t["sender"], "Shop news <news@shop.example>").press(t["save"])
    page.wait_for_text(t["saved"])

    # then
    assert Message.objects.get(pk=message.pk).sender == identity

    # when: the sender is deleted while the message sends as it
    page.follow(t["senders"])
    page.press(t["delete"]).press(t["yes"])
    page.wait(lambda d: d.find_element("css selector", "[role=alertdialog] .text-danger").text != "")

    # then: refused, with the reason on the page
    assert browser.find_element("css selector", "[role=alertdialog] .text-danger").text == t["in use"]
    assert SenderIdentity.objects.filter(pk=identity.pk).exists()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_suppress_an_address_by_hand_then_lift_it(browser, site, lang):
    # given
    t = TEXT[lang]
    owner = UserFactory()
    sign_in(browser, site.url, owner, lang)
    page = Page(browser, site.url)
    page.open("/app/senders/")
    page.wait_for_text(t["none suppressed"])

    # when
    page.fill(t["suppress field"], "gone@example.org").press(t["suppress"])
    page.button(t["lift"])

    # then
    assert f"gone@example.org {t['by hand']}" in page.text()
    assert list(Suppression.objects.values_list("owner", "email", "reason")) == [
        (owner.pk, "gone@example.org", "MANUAL")
    ]

    # when
    page.press(t["lift"])
    page.wait_for_text(t["lifted"]).wait_for_text(t["none suppressed"])

    # then
    assert not Suppression.objects.exists()
