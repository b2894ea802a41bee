"""International addresses and names on the wire: IDN domains in punycode, SMTPUTF8 for a
non-ASCII local part (or that one row refused), and address headers folded by the email
package. Every message the test server accepts is also checked by `defects_of`."""

import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from graphql_schema.tests.helpers import OPERATION_INFO, messages_of, validation
from mailing.addresses import validate_email_address
from mailing.checks import check_mail_settings
from mailing.delivery import runs, worker
from mailing.models import Client, DeliveryAttempt, DeliveryStatus
from mailing.rendering import PreparedMessage
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory
from mailing.tests.smtp_server import SmtpServer, defects_of

pytestmark = pytest.mark.django_db

IDN = "ivan@пример.рф"
IDN_WIRE = "ivan@xn--e1afmkfd.xn--p1ai"
UTF8_LOCAL = "иван@пример.рф"
UTF8_LOCAL_WIRE = "иван@xn--e1afmkfd.xn--p1ai"
LONG_NAME = "Константин Константинопольский-Древнерусский, директор по развитию международных продаж"


@pytest.fixture
def utf8_server(engine_settings):
    server = SmtpServer(smtputf8=True).start()
    engine_settings.EMAIL_HOST, engine_settings.EMAIL_PORT = server.host, server.port
    yield server
    server.stop()


def send(owner, clock, people, *, subject="Новости для {name}", body="Здравствуйте, {name} ({email}).\n"):
    clients = [ClientFactory(owner=owner, email=email, full_name=name) for email, name in people]
    start = clock.now - timedelta(minutes=1)
    MailingFactory(
        owner=owner,
        message=MessageFactory(owner=owner, subject=subject, body=body),
        clients=clients,
        start_at=start,
        end_at=start + timedelta(days=30),
    )
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    result = worker.run_process(run_id=run.pk, clock=clock, handover=None)
    return run, result


def rfc2047(message, name: str) -> str:
    """A header's text decoded as RFC 2047 says (the raw value, not Python's parsed one)."""
    (raw,) = [value for key, value in message.raw_items() if key == name]
    return str(make_header(decode_header(raw)))


def rows(run):
    return {
        row.email: (row.status, row.server_response) for row in DeliveryAttempt.objects.filter(run=run).order_by("id")
    }


@pytest.mark.parametrize("pipelining", [True, False])
def test_an_idn_domain_goes_out_in_punycode_in_rcpt_and_headers(owner, clock, smtp_server, pipelining):
    # given: a server without SMTPUTF8, which needs none for this address
    smtp_server.behaviour.pipelining = pipelining

    # when
    _run, result = send(owner, clock, [(IDN, "Иван Петров"), ("ann@example.org", "Ann")])

    # then
    assert (result.sent, result.failed, result.stopped) == (2, 0, "done")
    (ivan, ann) = smtp_server.messages
    assert (ivan.rcpt_tos, ivan.mail_options) == ((IDN_WIRE,), ())
    assert ivan.message["To"].addresses[0].addr_spec == IDN_WIRE
    assert ivan.message["To"].addresses[0].display_name == "Иван Петров"
    assert re.search(rb"^To: .*<ivan@xn--e1afmkfd\.xn--p1ai>\r$", ivan.data, re.M)
    # The body says the address as it was typed.
    assert ivan.message.get_content() == f"Здравствуйте, Иван Петров ({IDN}).\n"
    assert ann.rcpt_tos == ("ann@example.org",)
    assert DeliveryAttempt.objects.get(email=IDN).status == DeliveryStatus.SENT
    assert Client.objects.get(email=IDN).email == IDN


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_non_ascii_local_part_goes_with_smtputf8_when_the_server_offers_it(owner, clock, utf8_server, pipelining):
    # given
    utf8_server.behaviour.pipelining = pipelining

    # when
    run, result = send(owner, clock, [(UTF8_LOCAL, "Иван"), ("ann@example.org", "Ann")])

    # then: only the message that needs it uses SMTPUTF8
    assert (result.sent, result.failed) == (2, 0)
    (ivan, ann) = utf8_server.messages
    assert ivan.rcpt_tos == (UTF8_LOCAL_WIRE,)
    assert ivan.mail_options == ("SMTPUTF8", "BODY=8BITMIME")
    (to,) = ivan.message["To"].addresses
    assert (to.display_name, to.username, to.domain) == ("Иван", "иван", "xn--e1afmkfd.xn--p1ai")
    assert ann.mail_options == ()
    assert ann.data.isascii()
    assert rows(run)[UTF8_LOCAL][0] == DeliveryStatus.SENT


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_non_ascii_local_part_fails_only_its_row_when_the_server_has_no_smtputf8(
    owner, clock, smtp_server, pipelining
):
    # given
    smtp_server.behaviour.pipelining = pipelining

    # when
    run, result = send(
        owner, clock, [("ann@example.org", "Ann"), (UTF8_LOCAL, "Иван"), ("bob@example.org", "Bob"), (IDN, "Ivan")]
    )

    # then: the batch goes on around it
    assert (result.sent, result.failed, result.deferred, result.stopped) == (3, 1, 0, "done")
    assert rows(run)[UTF8_LOCAL] == (
        DeliveryStatus.FAILED,
        f"Not sent: the address {UTF8_LOCAL} has a non-ASCII local part, and the mail server does not offer SMTPUTF8.",
    )
    assert smtp_server.recipients() == ["ann@example.org", "bob@example.org", IDN_WIRE]


def test_a_named_from_address_keeps_its_address_and_punycode(owner, clock, smtp_server, engine_settings):
    # given: the sender, with an IDN domain
    engine_settings.DEFAULT_FROM_EMAIL = "Рассылка Компании <sender@рассылка.рф>"

    # when
    send(owner, clock, [("ann@example.org", "Ann")])

    # then
    (received,) = smtp_server.messages
    (sender,) = received.message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Рассылка Компании", "sender@xn--80aa3adxha4f.xn--p1ai")
    assert received.mail_from == "sender@xn--80aa3adxha4f.xn--p1ai"
    assert received.message["Message-ID"].endswith("@xn--80aa3adxha4f.xn--p1ai>")
    assert received.data.startswith(b"From: =?utf-8?b?")


def test_a_long_cyrillic_name_folds_into_short_encoded_words(owner, clock, smtp_server, engine_settings):
    # given
    engine_settings.DEFAULT_FROM_EMAIL = f'"{LONG_NAME}" <sender@shop.example>'

    # when
    send(owner, clock, [("ann@example.org", LONG_NAME)], subject=f"{{name}}: {LONG_NAME}")

    # then: a name that needs quoting (its comma) and several encoded words comes back whole.
    # Python's address parser keeps the space between two encoded words, which RFC 2047 (6.2)
    # says to drop, as mail clients do; the legacy decoder follows the RFC.
    (received,) = smtp_server.messages
    message = received.message
    assert rfc2047(message, "From") == f"{LONG_NAME} <sender@shop.example>"
    assert rfc2047(message, "To") == f"{LONG_NAME} <ann@example.org>"
    assert [a.addr_spec for a in message["From"].addresses + message["To"].addresses] == [
        "sender@shop.example",
        "ann@example.org",
    ]
    assert message["Subject"] == f"{LONG_NAME}: {LONG_NAME}"
    words = re.findall(rb"=\?utf-8\?[bq]\?[^?]*\?=", received.data, re.I)
    assert len(words) > 6
    assert max(len(word) for word in words) <= 75
    head = received.data.split(b"\r\nDate: ")[0]  # From, To and Subject, folded
    assert head.startswith(b"From: ")
    assert b"\r\nSubject: " in head
    assert max(len(line) for line in head.split(b"\r\n")) <= 78


def test_the_defect_check_finds_the_old_one_word_from_header():
    # given: what Header() made of DEFAULT_FROM_EMAIL before: the address inside the encoded word
    old = (
        b"From: =?utf-8?b?0KDQsNGB0YHRi9C70LrQsCDQmtC+0LzQv9Cw0L3QuNC4IDxzZW5kZXJAeD4=?=\r\n"
        b"To: ann@example.org\r\nSubject: x\r\n\r\nbody\r\n"
    )
    word = b"=?utf-8?b?" + b"0KDQsNGB" * 20 + b"?="
    long_word = b"From: " + word + b" <a@b.example>\r\nSubject: x\r\n\r\nbody\r\n"

    # when / then
    assert defects_of(old)
    assert any(f"encoded word of {len(word)} characters" in defect for defect in defects_of(long_word))
    assert defects_of("To: иван@x.example\r\n\r\nbody\r\n".encode()) == [
        "8-bit data in a message sent without SMTPUTF8",
        "To: NonASCIILocalPartDefect: local-part contains non-ASCII characters)",
        "To: UndecodableBytesDefect: Non-ASCII characters found in header token",
    ]


@pytest.mark.parametrize("from_email", ["", "a@b.example, c@d.example", "Name <nobody>", "Name <a@b.example"])
def test_a_from_address_that_is_not_one_mailbox_is_a_configuration_error(from_email):
    # when
    with pytest.raises(ImproperlyConfigured) as error:
        PreparedMessage(subject="s", body="b", html_body="", from_email=from_email, site_url="https://x.example")

    # then
    assert "DEFAULT_FROM_EMAIL" in str(error.value)


@pytest.mark.parametrize(
    "address",
    [
        IDN,
        UTF8_LOCAL,
        "ivan@xn--e1afmkfd.xn--p1ai",
        "Zoë.Ñúñez@münchen.de",
        "用户@例子.广告",
    ],
)
def test_international_addresses_are_valid(address):
    validate_email_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "иван петров@пример.рф",
        "ив\u200bан@пример.рф",
        "ив\u0007ан@x.example",
        "иван@",
        "иван..петров@x.example",
        "@x.example",
    ],
)
def test_broken_international_addresses_are_refused(address):
    # when
    with pytest.raises(ValidationError) as error:
        validate_email_address(address)

    # then
    assert error.value.messages == ["Enter a valid email address."]


CREATE = f"""
mutation($input: CreateClientInput!) {{
  createClient(input: $input) {{ __typename ... on Client {{ email }} {OPERATION_INFO} }}
}}"""


@pytest.mark.parametrize("address", [IDN, UTF8_LOCAL])
def test_a_client_keeps_the_address_as_typed(gql, owner, address):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, {"input": {"email": address, "fullName": "Иван"}}).data["createClient"]

    # then
    assert result == {"__typename": "Client", "email": address}
    assert Client.objects.get().email == address


def test_a_broken_international_address_is_an_error_on_the_field(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, {"input": {"email": "иван петров@пример.рф", "fullName": "Иван"}})

    # then
    assert messages_of(result.data["createClient"]) == [validation("email", "Enter a valid email address.", "invalid")]


IMPORT = f"""
mutation($csv: String!) {{
  importClients(csv: $csv) {{
    __typename ... on ImportClientsResult {{ created errors {{ row field message }} }} {OPERATION_INFO}
  }}
}}"""


def test_a_csv_import_takes_international_addresses(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(
            IMPORT,
            {"csv": f"email,full_name\n{IDN},Иван\n{UTF8_LOCAL},Иван\nиван петров@x.example,X\n"},
        )

    # then
    assert result.data["importClients"] == {
        "__typename": "ImportClientsResult",
        "created": 2,
        "errors": [{"row": 4, "field": "email", "message": "Enter a valid email address."}],
    }
    assert sorted(Client.objects.values_list("email", flat=True)) == sorted([IDN, UTF8_LOCAL])


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"DEFAULT_FROM_EMAIL": "Shop, Inc. <news@shop.example>"},
            "mailing.E001",
        ),
        ({"EMAIL_USE_TLS": True, "EMAIL_USE_SSL": True}, "mailing.E002"),
        ({"EMAIL_USE_TLS": True, "EMAIL_SSL_CAFILE": "/nonexistent/ca.pem"}, "mailing.E003"),
    ],
)
def test_mail_settings_that_cannot_work_are_found_by_check(settings, overrides, expected):
    # given
    for name, value in overrides.items():
        setattr(settings, name, value)

    # when
    errors = check_mail_settings(None)

    # then
    assert [error.id for error in errors] == [expected]


def test_the_default_mail_settings_pass_the_check(settings):
    assert check_mail_settings(None) == []
