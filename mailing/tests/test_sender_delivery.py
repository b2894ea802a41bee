"""What a run sends as: the message's sender identity, DKIM-signed when its domain has a key,
delivered through a real SMTP server on loopback and verified with dkimpy."""

import re
from datetime import timedelta
from io import StringIO

import dkim
import pytest
from django.core.management import call_command
from django.utils import timezone

from mailing.delivery import runs
from mailing.delivery.worker import run_process
from mailing.identities.models import DkimKey, SenderIdentity
from mailing.models import DeliveryAttempt
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory

pytestmark = pytest.mark.django_db


def run_of(owner, clock, *, sender=None, emails=("ann@example.org",)):
    clients = [ClientFactory(owner=owner, email=email, full_name="Ann") for email in emails]
    message = MessageFactory(owner=owner, subject="Hello {name}", body="Dear {name}.\n.\n", sender=sender)
    start = clock.now - timedelta(minutes=1)
    MailingFactory(owner=owner, message=message, clients=clients, start_at=start, end_at=start + timedelta(days=3))
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    return run


def identity(owner, email="news@shop.example", reply_to="help@shop.example"):
    return SenderIdentity.objects.create(
        owner=owner, name="Shop news", email=email, reply_to=reply_to, verified_at=timezone.now()
    )


def published(record: str) -> dict[bytes, bytes]:
    """The DNS as the printed record makes it: its name, and its strings joined."""
    name, _, rest = record.partition(". IN TXT ")
    return {name.encode() + b".": "".join(re.findall(r'"([^"]*)"', rest)).encode()}


def test_a_run_sends_as_its_messages_identity_signed_with_its_domains_key(owner, clock, smtp_server):
    # given: a key made by the command, and the record it printed
    out = StringIO()
    call_command("dkim_keygen", "Shop.Example", "--selector", "s2026", stdout=out, stderr=StringIO())
    record = out.getvalue().strip()
    run = run_of(owner, clock, sender=identity(owner))

    # when
    result = run_process(run_id=run.pk, clock=clock, handover=None)

    # then: sent from the identity, with its Reply-To
    assert (result.sent, result.stopped) == (1, "done")
    [received] = smtp_server.messages
    assert received.mail_from == "news@shop.example"
    message = received.message
    assert (message["From"], message["Reply-To"]) == ("Shop news <news@shop.example>", "help@shop.example")

    # then: a receiver that looks the key up in the printed record finds the signature good
    dns = published(record)
    assert record.startswith('s2026._domainkey.shop.example. IN TXT ( "v=DKIM1; k=rsa; p=')
    assert dkim.verify(received.data, dnsfunc=lambda name, timeout=5: dns.get(name)) is True
    tags = dict(
        tag.strip().split("=", 1) for tag in re.sub(r"\s+", "", message["DKIM-Signature"]).split(";") if tag.strip()
    )
    assert (tags["d"], tags["s"], tags["c"], tags["a"]) == ("shop.example", "s2026", "relaxed/relaxed", "rsa-sha256")
    assert tags["h"].split(":") == [
        "from",
        "from",
        "reply-to",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ]
    assert DeliveryAttempt.objects.get().dkim_domain == "shop.example"


def test_a_changed_unsubscribe_header_breaks_the_signature(owner, clock, smtp_server):
    # given
    out = StringIO()
    call_command("dkim_keygen", "shop.example", stdout=out, stderr=StringIO())
    dns = published(out.getvalue().strip())
    run = run_of(owner, clock, sender=identity(owner))
    run_process(run_id=run.pk, clock=clock, handover=None)
    [received] = smtp_server.messages

    # when: someone on the way points the one-click unsubscribe elsewhere
    tampered = re.sub(rb"List-Unsubscribe: <[^>]+>", b"List-Unsubscribe: <https://evil.example/x>", received.data)

    # then
    assert tampered != received.data
    assert dkim.verify(tampered, dnsfunc=lambda name, timeout=5: dns.get(name)) is False


def test_mail_from_a_domain_without_a_key_is_sent_unsigned_and_its_row_says_so(owner, clock, smtp_server, gql):
    # given: a key for another domain only
    call_command("dkim_keygen", "other.example", stdout=StringIO(), stderr=StringIO())
    run = run_of(owner, clock, sender=identity(owner))

    # when
    result = run_process(run_id=run.pk, clock=clock, handover=None)

    # then
    assert result.sent == 1
    [received] = smtp_server.messages
    assert received.message["DKIM-Signature"] is None
    assert DeliveryAttempt.objects.get().dkim_domain == ""
    with gql.login(owner):
        log = gql.query("{ deliveryAttempts { edges { node { email dkimDomain dkimSigned } } } }").data
    assert log == {
        "deliveryAttempts": {"edges": [{"node": {"email": "ann@example.org", "dkimDomain": "", "dkimSigned": False}}]}
    }


def test_a_message_without_a_sender_goes_out_from_the_services_address(owner, clock, smtp_server):
    # given: DEFAULT_FROM_EMAIL is "Shop <news@shop.example>" in the engine's test settings
    run = run_of(owner, clock)

    # when
    run_process(run_id=run.pk, clock=clock, handover=None)

    # then
    [received] = smtp_server.messages
    assert (received.mail_from, received.message["From"], received.message["Reply-To"]) == (
        "news@shop.example",
        "Shop <news@shop.example>",
        None,
    )


def test_dkim_keygen_stores_a_2048_bit_key(capsys):
    # when
    call_command("dkim_keygen", "shop.example", "--selector", "mail")

    # then
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = DkimKey.objects.get()
    assert (key.domain, key.selector) == ("shop.example", "mail")
    assert load_pem_private_key(key.private_key.encode(), password=None).key_size == 2048
    assert capsys.readouterr().out.startswith('mail._domainkey.shop.example. IN TXT ( "v=DKIM1; k=rsa; p=')
