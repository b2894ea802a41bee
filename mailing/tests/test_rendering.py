"""What recipients get: personal, safe, well-formed messages (checked as the sink received them)."""

from datetime import timedelta

import pytest

from mailing.delivery import runs, worker
from mailing.models import DeliveryAttempt
from mailing.rendering import client_id_from_token, personalise
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory

pytestmark = pytest.mark.django_db


def send(owner, clock, *, client, **message):
    mailing = MailingFactory(
        owner=owner,
        message=MessageFactory(owner=owner, **message),
        clients=[client],
        start_at=clock.now,
        end_at=clock.now + timedelta(days=1),
    )
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    worker.run_process(run_id=run.pk, clock=clock, handover=None)
    return mailing


def test_personalisation_replaces_only_the_known_placeholders():
    # when
    text = personalise(
        "Hi {name} <{email}>: {0.__class__} {{name}} {NAME} {name!r} %(name)s",
        name="Ann {email}",
        email="ann@example.org",
    )

    # then: no format() and no template engine ever sees the text, and values are not re-expanded
    assert text == "Hi Ann {email} <ann@example.org>: {0.__class__} {Ann {email}} {NAME} {name!r} %(name)s"


def test_a_message_with_html_unicode_and_dotted_lines_arrives_intact(owner, clock, smtp_server):
    # given
    client = ClientFactory(owner=owner, email="zoe@example.org", full_name="Zoë Ñúñez")
    body = "Hola {name},\n.a line that starts with a dot\n.\nThe end, {email}.\n"
    html = "<p>Hola <b>{name}</b></p>\n<p>" + "x" * 1200 + "</p>\n"

    # when
    send(owner, clock, client=client, subject="¡Rebajas para {name}!", body=body, html_body=html)

    # then
    (received,) = smtp_server.messages
    message = received.message
    assert received.rcpt_tos == ("zoe@example.org",)
    assert message["To"] == "Zoë Ñúñez <zoe@example.org>"
    assert message["Subject"] == "¡Rebajas para Zoë Ñúñez!"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert plain.get_content() == "Hola Zoë Ñúñez,\n.a line that starts with a dot\n.\nThe end, zoe@example.org.\n"
    assert rich.get_content() == "<p>Hola <b>Zoë Ñúñez</b></p>\n<p>" + "x" * 1200 + "</p>\n"
    # The wire format keeps lines within SMTP's limit.
    assert max(len(line) for line in received.data.split(b"\r\n")) <= 998
    assert DeliveryAttempt.objects.get().message_id == message["Message-ID"]


def test_the_unsubscribe_header_names_this_recipient_and_is_signed(owner, clock, smtp_server):
    # given
    client = ClientFactory(owner=owner, email="ann@example.org")

    # when
    send(owner, clock, client=client, subject="News", body="Plain news.\n")

    # then
    header = smtp_server.messages[0].message["List-Unsubscribe"]
    token = header.removeprefix("<https://mail.example.net/unsubscribe/").removesuffix("/>")
    assert client_id_from_token(token) == client.pk
    assert client_id_from_token(token.replace(str(client.pk), str(client.pk + 1), 1)) is None


def test_each_message_has_its_own_message_id(owner, clock, smtp_server):
    # given
    clients = [ClientFactory(owner=owner) for _ in range(3)]
    MailingFactory(owner=owner, clients=clients, start_at=clock.now, end_at=clock.now + timedelta(days=1))
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)

    # when
    worker.run_process(run_id=run.pk, clock=clock, handover=None)

    # then
    ids = [received.message["Message-ID"] for received in smtp_server.messages]
    assert len(set(ids)) == 3
    assert all(message_id.endswith("@shop.example>") for message_id in ids)
