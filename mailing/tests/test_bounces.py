"""Bounces and complaints, read from a real IMAP server (dovecot) on loopback, and the
suppression list they fill."""

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from accounts.tests.factories import UserFactory
from mailing import states
from mailing.bounces import mailbox, verp
from mailing.delivery import runs
from mailing.delivery.worker import run_process
from mailing.models import (
    BounceEvent,
    Client,
    DeliveryAttempt,
    DeliveryStatus,
    MailingRun,
    RunStatus,
    Suppression,
    SuppressionReason,
)
from mailing.rendering import unsubscribe_token
from mailing.selectors import mailing_stats
from mailing.services.unsubscribe import client_unsubscribe_by_token
from mailing.tests.certificates import Authority
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory
from mailing.tests.imap_server import PASSWORD, USER, Dovecot

DATA = Path(__file__).parent / "data"
HANDLED = {"\\Seen", "$MailingProcessed"}
OTHER_MAIL = b"From: Ann <ann@example.org>\r\nTo: bounces@mail.example\r\nSubject: Hello\r\n\r\nJust a note.\r\n"


@pytest.fixture
def bounce_settings(settings):
    settings.BOUNCE_ADDRESS = "bounces@mail.example"
    settings.BOUNCE_SOFT_LIMIT = 3
    settings.DEFAULT_FROM_EMAIL = "Shop <news@shop.example>"
    settings.SITE_URL = "https://mail.example.net"
    return settings


@pytest.fixture
def authority(tmp_path, monkeypatch) -> Authority:
    """A private CA that this process trusts as it would the system's (SSL_CERT_FILE)."""
    authority = Authority.create(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.cert))
    return authority


def mailbox_on(bounce_settings, server: Dovecot, *, use_ssl: bool) -> Dovecot:
    bounce_settings.BOUNCE_IMAP_HOST = server.host
    bounce_settings.BOUNCE_IMAP_PORT = server.port
    bounce_settings.BOUNCE_IMAP_USER = USER
    bounce_settings.BOUNCE_IMAP_PASSWORD = PASSWORD
    bounce_settings.BOUNCE_IMAP_SSL = use_ssl
    bounce_settings.BOUNCE_IMAP_FOLDER = "INBOX"
    return server


@pytest.fixture
def imap(bounce_settings, authority):
    """The bounce mailbox as it is by default: implicit TLS (IMAPS), its certificate signed by a
    CA this process trusts."""
    server = Dovecot(certificate=authority.server(), ca=authority.cert).start()
    yield mailbox_on(bounce_settings, server, use_ssl=True)
    server.stop()


def sent_row(owner, email="ann@example.org", *, closed=True) -> DeliveryAttempt:
    """A row the relay accepted, in a run of its own (closed, with its counts, unless told)."""
    client = Client.objects.filter(owner=owner, email=email).first() or ClientFactory(owner=owner, email=email)
    mailing = MailingFactory(owner=owner, clients=[client])
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=mailing.start_at, status=RunStatus.RUNNING)
    row = DeliveryAttempt.objects.create(
        run=run, client=client, email=email, status=DeliveryStatus.SENT, attempts=1, smtp_code=250,
        server_response="250 2.0.0 Ok: queued", message_id=f"<{run.pk}.1.abc@shop.example>",
    )  # fmt: skip
    if closed:
        states.move_runs(MailingRun.objects.filter(pk=run.pk), RunStatus.FINISHED)
    return row


def sample(name: str, row: DeliveryAttempt, *, token_row: int | None = None, recipient: str | None = None) -> bytes:
    text = (DATA / name).read_text()
    text = text.replace("@@VERP@@", verp.envelope_sender(token_row or row.pk, "x"))
    text = text.replace("@@RCPT@@", recipient or row.email).replace("@@MSGID@@", row.message_id)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def snapshot() -> dict:
    return {
        "rows": sorted(DeliveryAttempt.objects.values_list("pk", "status", "server_response")),
        "runs": sorted(MailingRun.objects.values_list("pk", "sent_count", "bounced_count")),
        "clients": sorted(Client.objects.values_list("pk", "unsubscribed_at")),
        "suppressions": list(Suppression.objects.values_list("email", "reason")),
        "events": BounceEvent.objects.count(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "status", "reply"),
    [
        (
            "postfix_dsn.eml",
            "5.1.1",
            "Bounced: 5.1.1 550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown in virtual "
            "mailbox table",
        ),
        ("exim_bounce.eml", "5.1.1", "Bounced: 5.1.1 550 5.1.1 <ann@example.org>: No such user here"),
        (
            "gmail_5_1_1.eml",
            "5.1.1",
            "Bounced: 5.1.1 550-5.1.1 The email account that you tried to reach does not exist. Please try "
            "550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. "
            "For more information, go to 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser "
            "41be03b00d2f7-7fc4b1a2c3dsi1234567a12.123 - gsmtp",
        ),
        (
            "outlook_ndr.eml",
            "5.1.10",
            "Bounced: 5.1.10 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient ann@example.org not found by "
            "SMTP address lookup",
        ),
    ],
)
def test_a_hard_bounce_in_the_mailbox_bounces_its_row_and_suppresses_the_address(owner, imap, name, status, reply):
    # given: a row the relay accepted, its bounce, and a mail that is no bounce
    row = sent_row(owner)
    imap.append(OTHER_MAIL)
    imap.append(sample(name, row))

    # when
    result = mailbox.read_mailbox()

    # then: the row BOUNCED with the report's status and text, its closed run's counts with it,
    # the address suppressed by this row; the bounce flagged, the other mail left as it was
    assert (result.fetched, result.handled, result.ignored, result.other, result.error) == (2, 1, 0, 1, "")
    row.refresh_from_db()
    assert (row.status, row.smtp_code, row.server_response) == (DeliveryStatus.BOUNCED, 550, reply)
    assert MailingRun.objects.filter(pk=row.run_id).values_list("sent_count", "bounced_count").get() == (0, 1)
    assert list(Suppression.objects.values_list("owner_id", "email", "reason", "delivery_id")) == [
        (owner.pk, "ann@example.org", SuppressionReason.HARD_BOUNCE, row.pk)
    ]
    assert list(BounceEvent.objects.values_list("kind", "status_code")) == [("HARD", status)]
    assert imap.flags() == [set(), HANDLED]
    assert mailing_stats(mailing=row.mailing) | {} == {
        "total": 1, "sent": 0, "deferred": 0, "failed": 0, "skipped": 0, "pending": 0, "bounced": 1,
        "complained": 0,
    }  # fmt: skip


@pytest.mark.django_db
def test_the_next_pass_reads_only_new_mail(owner, imap):
    # given: a pass has read a bounce
    row = sent_row(owner)
    imap.append(sample("postfix_dsn.eml", row))
    mailbox.read_mailbox()

    # when: another pass, then one after a second bounce arrived
    again = mailbox.read_mailbox()
    second = sent_row(owner, "bob@example.org")
    imap.append(sample("exim_bounce.eml", second))
    third = mailbox.read_mailbox()

    # then
    assert (again.fetched, third.fetched, third.handled) == (0, 1, 1)
    assert sorted(DeliveryAttempt.objects.values_list("email", "status")) == [
        ("ann@example.org", DeliveryStatus.BOUNCED),
        ("bob@example.org", DeliveryStatus.BOUNCED),
    ]


@pytest.mark.django_db
def test_soft_bounces_are_counted_and_three_in_a_row_suppress(owner, imap):
    # given: three messages to one client, each answered by a 4.2.2 "mailbox full"
    rows = [sent_row(owner) for _ in range(3)]

    # when: the first two bounce softly
    for row in rows[:2]:
        imap.append(sample("mailbox_full_4_2_2.eml", row))
    first = mailbox.read_mailbox()
    suppressed_after_two = Suppression.objects.count()
    imap.append(sample("mailbox_full_4_2_2.eml", rows[2]))
    second = mailbox.read_mailbox()

    # then: counted (the rows stay SENT), and suppressed at the third
    assert (first.handled, suppressed_after_two, second.handled) == (2, 0, 1)
    assert set(DeliveryAttempt.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert list(BounceEvent.objects.order_by("id").values_list("kind", "status_code")) == [("SOFT", "4.2.2")] * 3
    assert list(Suppression.objects.values_list("email", "reason", "delivery_id")) == [
        ("ann@example.org", SuppressionReason.SOFT_BOUNCES, rows[2].pk)
    ]


@pytest.mark.django_db
def test_a_soft_bounce_streak_is_broken_by_a_message_that_did_not_bounce(owner, imap):
    # given: soft, soft, then a message with no bounce, then soft
    rows = [sent_row(owner) for _ in range(4)]
    for index in (0, 1, 3):
        imap.append(sample("mailbox_full_4_2_2.eml", rows[index]))

    # when
    mailbox.read_mailbox()

    # then
    assert BounceEvent.objects.count() == 3
    assert Suppression.objects.count() == 0


@pytest.mark.django_db
def test_a_complaint_unsubscribes_and_suppresses_the_client(owner, imap):
    # given
    row = sent_row(owner)
    imap.append(sample("arf_complaint.eml", row))

    # when
    result = mailbox.read_mailbox()

    # then: the row stays SENT (it was delivered); the client unsubscribed; the complaint counted
    assert result.handled == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    assert Client.objects.get(pk=row.client_id).unsubscribed_at is not None
    assert list(Suppression.objects.values_list("email", "reason", "delivery_id")) == [
        ("ann@example.org", SuppressionReason.COMPLAINT, row.pk)
    ]
    stats = mailing_stats(mailing=row.mailing)
    assert (stats["sent"], stats["complained"]) == (1, 1)
    assert imap.flags() == [HANDLED]


@pytest.mark.django_db
def test_a_report_read_twice_counts_once(owner, imap):
    # given: the same bounce arrives twice (a relay that resent it)
    row = sent_row(owner)
    imap.append(sample("postfix_dsn.eml", row))
    imap.append(sample("postfix_dsn.eml", row))

    # when
    result = mailbox.read_mailbox()

    # then
    assert result.handled == 2
    assert BounceEvent.objects.count() == 1
    assert MailingRun.objects.filter(pk=row.run_id).values_list("sent_count", "bounced_count").get() == (0, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["forged", "other_owner", "malformed"])
def test_a_forged_a_foreign_or_a_malformed_report_is_ignored_with_a_log_line(owner, other_owner, imap, caplog, case):
    # given: a row of ours, and a row of another owner
    row = sent_row(owner)
    theirs = sent_row(other_owner, "zed@example.net")
    if case == "forged":
        # A token of the right form whose signature is not ours.
        forged = f"{verp.token_for(row.pk).split('.')[0]}.{'a' * 16}"
        data = sample("postfix_dsn.eml", row).replace(verp.token_for(row.pk).encode(), forged.encode())
        expected = f"Bounce ignored: forged VERP token {forged}"
    elif case == "other_owner":
        # Our row's token, but the report is about the other owner's address.
        data = sample("postfix_dsn.eml", row, recipient=theirs.email)
        expected = (
            f"Bounce ignored: the report names zed@example.net, but delivery row {row.pk} went to another address"
        )
    else:
        data = sample("malformed_dsn.eml", row)
        expected = "Bounce ignored: malformed report: a recipient block without a status code: 'unknown'"
    imap.append(data)
    before = snapshot()

    # when
    with caplog.at_level(logging.WARNING, logger="mailing.bounces"):
        result = mailbox.read_mailbox()

    # then: nothing changed, the message is left as it was, and the log says why
    assert (result.fetched, result.ignored, result.handled) == (1, 1, 0)
    assert snapshot() == before
    assert imap.flags() == [set()]
    assert [record.getMessage() for record in caplog.records if record.name.startswith("mailing.bounces")] == [expected]


@pytest.mark.django_db
def test_a_mailbox_that_cannot_be_reached_is_logged_and_changes_nothing(owner, imap, bounce_settings, caplog):
    # given: a wrong password
    bounce_settings.BOUNCE_IMAP_PASSWORD = "wrong"

    # when
    with caplog.at_level(logging.WARNING, logger="mailing.bounces"):
        result = mailbox.read_mailbox()

    # then
    assert result.error.startswith(f"The bounce mailbox {USER}@127.0.0.1:{imap.port}/INBOX could not be read: ")
    assert result.fetched == 0


@pytest.mark.django_db
def test_a_mailbox_over_plain_imap_is_read_when_tls_is_turned_off(bounce_settings):
    # given: BOUNCE_IMAP_SSL off, and a server that speaks plain IMAP
    server = mailbox_on(bounce_settings, Dovecot().start(), use_ssl=False)
    try:
        server.append(OTHER_MAIL)

        # when
        result = mailbox.read_mailbox()

        # then
        assert (result.fetched, result.other, result.error) == (1, 1, "")
    finally:
        server.stop()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("certificate", "reason"),
    [
        ("from a CA nobody trusts", "unable to get local issuer certificate"),
        ("for another host", "IP address mismatch, certificate is not valid for '127.0.0.1'"),
    ],
)
def test_a_mailbox_whose_certificate_is_refused_is_not_logged_in_to(
    bounce_settings, authority, tmp_path, caplog, certificate, reason
):
    # given: an IMAPS server whose certificate this process must not accept
    if certificate == "from a CA nobody trusts":
        (tmp_path / "stranger").mkdir()
        stranger = Authority.create(tmp_path / "stranger", name="Stranger CA")
        server = Dovecot(certificate=stranger.server(), ca=stranger.cert)
    else:
        server = Dovecot(certificate=authority.server("elsewhere", hosts=("mail.example.net",)), ca=authority.cert)
    server = mailbox_on(bounce_settings, server.start(), use_ssl=True)
    try:
        server.append(OTHER_MAIL)

        # when
        with caplog.at_level(logging.WARNING, logger="mailing.bounces"):
            result = mailbox.read_mailbox()

        # then: refused in the handshake, before the password was sent; nothing read
        assert result.error.startswith(f"The bounce mailbox 127.0.0.1:{server.port} cannot be reached: ")
        assert f"certificate verify failed: {reason}" in result.error
        assert (result.fetched, result.other) == (0, 0)
        assert [record.getMessage() for record in caplog.records] == [result.error]
    finally:
        server.stop()


@pytest.mark.django_db
def test_without_an_imap_host_the_schedule_does_nothing(settings):
    # given
    settings.BOUNCE_IMAP_HOST = ""

    # when
    result = mailbox.read_mailbox()

    # then
    assert result.as_dict() == {"fetched": 0, "handled": 0, "ignored": 0, "other": 0, "error": ""}


# --- Sending ----------------------------------------------------------------------------------


def make_run(owner, clock, emails):
    clients = [ClientFactory(owner=owner, email=email) for email in emails]
    start = clock.now - timedelta(minutes=1)
    mailing = MailingFactory(
        owner=owner, message=MessageFactory(owner=owner), clients=clients, start_at=start,
        end_at=start + timedelta(days=30),
    )  # fmt: skip
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    return mailing, run


@pytest.mark.django_db
def test_each_message_has_a_verp_envelope_sender_naming_its_row(owner, clock, smtp_server, bounce_settings):
    # given
    _, run = make_run(owner, clock, ["ann@example.org", "bob@example.org"])

    # when
    run_process(run_id=run.pk, clock=clock, handover=None)

    # then: each MAIL FROM is bounces+<token>@mail.example, whose token names the row sent
    senders = {received.rcpt_tos[0]: received.mail_from for received in smtp_server.messages}
    expected = {row.email: f"bounces+{verp.token_for(row.pk)}@mail.example" for row in DeliveryAttempt.objects.all()}
    assert senders == expected
    assert {verp.delivery_id_from(sender[8:].split("@")[0]) for sender in senders.values()} == set(
        DeliveryAttempt.objects.values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_without_a_bounce_address_the_envelope_sender_is_the_from_address(owner, clock, smtp_server, settings):
    # given
    settings.BOUNCE_ADDRESS = ""
    _, run = make_run(owner, clock, ["ann@example.org"])

    # when
    run_process(run_id=run.pk, clock=clock, handover=None)

    # then
    assert [received.mail_from for received in smtp_server.messages] == ["news@shop.example"]


@pytest.mark.django_db
@pytest.mark.parametrize("pipelining", [True, False])
def test_a_5xx_to_rcpt_at_send_time_is_a_hard_bounce(owner, clock, smtp_server, bounce_settings, pipelining):
    # given: one unknown user, one refused for its content (not a bounce: FAILED)
    smtp_server.behaviour.pipelining = pipelining
    smtp_server.behaviour.rcpt_replies = {"nobody@example.org": "550 5.1.1 <nobody@example.org>: User unknown"}
    smtp_server.behaviour.data_replies = {"spammy@example.org": "554 5.7.1 Message rejected"}
    _, run = make_run(owner, clock, ["nobody@example.org", "spammy@example.org", "ok@example.org"])

    # when
    result = run_process(run_id=run.pk, clock=clock, handover=None)

    # then
    assert (result.sent, result.failed, result.bounced) == (1, 1, 1)
    assert sorted(DeliveryAttempt.objects.values_list("email", "status")) == [
        ("nobody@example.org", DeliveryStatus.BOUNCED),
        ("ok@example.org", DeliveryStatus.SENT),
        ("spammy@example.org", DeliveryStatus.FAILED),
    ]
    nobody = DeliveryAttempt.objects.get(email="nobody@example.org")
    assert list(Suppression.objects.values_list("email", "reason", "delivery_id")) == [
        ("nobody@example.org", SuppressionReason.HARD_BOUNCE, nobody.pk)
    ]
    run.refresh_from_db()
    assert (run.status, run.sent_count, run.failed_count, run.bounced_count) == (RunStatus.FINISHED, 1, 1, 1)


@pytest.mark.django_db
def test_a_suppressed_address_is_skipped_by_later_runs_with_the_reason(owner, clock):
    # given: two of three addresses suppressed (one in another case), one of another owner only
    Suppression.objects.create(owner=owner, email="ANN@example.org", reason=SuppressionReason.HARD_BOUNCE)
    Suppression.objects.create(owner=owner, email="bob@example.org", reason=SuppressionReason.MANUAL)
    Suppression.objects.create(owner=UserFactory(), email="cat@example.org", reason=SuppressionReason.COMPLAINT)

    # when
    _, run = make_run(owner, clock, ["ann@example.org", "bob@example.org", "cat@example.org"])

    # then
    assert sorted(DeliveryAttempt.objects.filter(run=run).values_list("email", "status", "server_response")) == [
        ("ann@example.org", DeliveryStatus.SKIPPED, "Not sent: the address is suppressed (it bounced hard)."),
        ("bob@example.org", DeliveryStatus.SKIPPED, "Not sent: the address is suppressed (added by hand)."),
        ("cat@example.org", DeliveryStatus.QUEUED, ""),
    ]


@pytest.mark.django_db
def test_unsubscribing_puts_the_address_on_the_suppression_list(owner):
    # given
    client = ClientFactory(owner=owner, email="ann@example.org")

    # when: the link is opened twice
    client_unsubscribe_by_token(token=unsubscribe_token(client.pk))
    client_unsubscribe_by_token(token=unsubscribe_token(client.pk))

    # then
    assert list(Suppression.objects.values_list("owner_id", "email", "reason")) == [
        (owner.pk, "ann@example.org", SuppressionReason.UNSUBSCRIBED)
    ]
