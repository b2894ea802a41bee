"""TLS and AUTH against real servers on loopback: STARTTLS and implicit TLS, a private CA made
here, a self-signed certificate, a client certificate, and a wrong password."""

import smtplib
import ssl
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from mailing.delivery import runs, worker
from mailing.models import DeliveryAttempt, DeliveryStatus, MailingRun, RunStatus
from mailing.smtp import AuthenticationFailed, ConnectError, ServerConfig, Session, rejections, tls_context
from mailing.tests.certificates import Authority, self_signed
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory
from mailing.tests.smtp_server import IMPLICIT_TLS, STARTTLS, SmtpServer

pytestmark = pytest.mark.django_db

LOGIN, PASSWORD = "mailer", "s3cret-Пароль"
BOTH_MODES = pytest.mark.parametrize("mode", [STARTTLS, IMPLICIT_TLS])
REFUSED_535 = "Authentication failed: 535 5.7.8 Authentication credentials invalid"


@pytest.fixture(autouse=True)
def no_refused_logins():
    # The refused logins are remembered per process; each test starts without any.
    rejections.clear()
    yield
    rejections.clear()


@pytest.fixture
def authority(tmp_path):
    return Authority.create(tmp_path)


@pytest.fixture
def servers():
    started = []

    def start(mode, certificate, **options):
        server = SmtpServer(tls=mode, certificate=certificate, credentials={LOGIN: PASSWORD}, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def point_at(settings, server, mode, *, cafile="", password=PASSWORD, host=None):
    settings.EMAIL_HOST, settings.EMAIL_PORT = host or server.host, server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = mode == STARTTLS, mode == IMPLICIT_TLS
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = LOGIN, password
    settings.EMAIL_SSL_CAFILE = str(cafile)


def make_run(owner, clock, emails):
    clients = [ClientFactory(owner=owner, email=email) for email in emails]
    start = clock.now - timedelta(minutes=1)
    MailingFactory(
        owner=owner,
        message=MessageFactory(owner=owner, subject="News", body="Hello {name}.\n"),
        clients=clients,
        start_at=start,
        end_at=start + timedelta(days=30),
    )
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    return run


def statuses(run):
    return sorted(DeliveryAttempt.objects.filter(run=run).values_list("email", "status", "attempts"))


@BOTH_MODES
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_server_signed_by_the_private_ca_gets_one_login_and_the_messages(
    owner, clock, engine_settings, authority, servers, mode, host
):
    # given
    server = servers(mode, authority.server())
    point_at(engine_settings, server, mode, cafile=authority.cert, host=host)
    run = make_run(owner, clock, ["ann@example.org", "bob@example.org"])

    # when
    result = worker.run_process(run_id=run.pk, clock=clock, handover=None)

    # then
    assert (result.sent, result.stopped) == (2, "done")
    assert statuses(run) == [
        ("ann@example.org", DeliveryStatus.SENT, 1),
        ("bob@example.org", DeliveryStatus.SENT, 1),
    ]
    assert server.auth_attempts == [("PLAIN", LOGIN, True)]
    assert server.recipients() == ["ann@example.org", "bob@example.org"]


@BOTH_MODES
def test_a_self_signed_server_is_refused_and_never_sees_the_password(
    owner, clock, engine_settings, tmp_path, servers, mode
):
    # given
    server = servers(mode, self_signed(tmp_path))
    point_at(engine_settings, server, mode)
    run = make_run(owner, clock, ["ann@example.org"])

    # when
    result = worker.run_process(run_id=run.pk, clock=clock, handover=None)

    # then
    assert (result.sent, result.stopped) == (0, "paused")
    run.refresh_from_db()
    assert run.status == RunStatus.PAUSED
    assert run.last_error == "The mail server's certificate was refused: self-signed certificate."
    assert server.auth_attempts == []
    assert server.messages == []
    assert statuses(run) == [("ann@example.org", DeliveryStatus.QUEUED, 0)]


@BOTH_MODES
def test_a_private_ca_is_not_trusted_without_email_ssl_cafile(engine_settings, authority, servers, mode):
    # given
    server = servers(mode, authority.server())
    point_at(engine_settings, server, mode)

    # when
    with pytest.raises(ConnectError) as error:
        Session.open(ServerConfig.from_settings())

    # then
    assert str(error.value) == "The mail server's certificate was refused: unable to get local issuer certificate."
    assert server.auth_attempts == []


@BOTH_MODES
def test_a_certificate_for_another_host_name_is_refused(engine_settings, authority, servers, mode):
    # given: signed by the trusted CA, but for another host
    server = servers(mode, authority.server("other", hosts=("mail.example.org",)))
    point_at(engine_settings, server, mode, cafile=authority.cert)

    # when
    with pytest.raises(ConnectError) as error:
        Session.open(ServerConfig.from_settings())

    # then
    assert str(error.value) == (
        "The mail server's certificate was refused: IP address mismatch, certificate is not valid for '127.0.0.1'."
    )
    assert server.auth_attempts == []


@BOTH_MODES
def test_ssl_cert_file_names_a_private_ca_for_the_whole_process(engine_settings, authority, servers, mode, monkeypatch):
    # given: OpenSSL's own variable instead of EMAIL_SSL_CAFILE
    server = servers(mode, authority.server())
    point_at(engine_settings, server, mode)
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.cert))
    tls_context.cache_clear()

    # when
    try:
        session = Session.open(ServerConfig.from_settings())
        session.close()
    finally:
        tls_context.cache_clear()

    # then
    assert server.auth_attempts == [("PLAIN", LOGIN, True)]


@BOTH_MODES
def test_a_server_that_asks_for_a_client_certificate_gets_the_configured_one(engine_settings, authority, servers, mode):
    # given
    server = servers(mode, authority.server(), client_ca=str(authority.cert))
    point_at(engine_settings, server, mode, cafile=authority.cert)
    client = authority.client()

    # when: first without a client certificate, then with one
    with pytest.raises(ConnectError):
        Session.open(ServerConfig.from_settings())
    engine_settings.EMAIL_SSL_CERTFILE, engine_settings.EMAIL_SSL_KEYFILE = str(client.cert), str(client.key)
    session = Session.open(ServerConfig.from_settings())
    session.close()

    # then: only the session with the certificate got as far as AUTH
    assert server.auth_attempts == [("PLAIN", LOGIN, True)]


def test_an_unreadable_ca_file_is_an_error_naming_the_setting(engine_settings, authority, servers, tmp_path):
    # given
    server = servers(STARTTLS, authority.server())
    point_at(engine_settings, server, STARTTLS, cafile=tmp_path / "missing.pem")

    # when
    with pytest.raises(ConnectError) as error:
        Session.open(ServerConfig.from_settings())

    # then
    assert str(error.value).startswith(f"EMAIL_SSL_CAFILE '{tmp_path / 'missing.pem'}' cannot be used: ")
    assert server.connections == 0


@BOTH_MODES
def test_a_wrong_password_pauses_the_run_at_once_after_one_auth_attempt(
    owner, clock, engine_settings, authority, servers, mode
):
    # given: the breaker would allow three failed connections
    server = servers(mode, authority.server())
    point_at(engine_settings, server, mode, cafile=authority.cert, password="wrong")
    run = make_run(owner, clock, ["ann@example.org", "bob@example.org"])

    # when
    result = worker.run_process(run_id=run.pk, clock=clock, handover=None)

    # then: one connection, one mechanism, one AUTH, paused at the first refusal; nothing sent,
    # the reply kept
    assert (result.sent, result.failed, result.stopped, result.connection_failures) == (0, 0, "paused", 1)
    run.refresh_from_db()
    assert (run.status, run.last_error, run.consecutive_failures) == (RunStatus.PAUSED, REFUSED_535, 1)
    assert result.paused_until == run.paused_until == clock.now + timedelta(seconds=60)
    assert server.auth_attempts == [("PLAIN", LOGIN, False)]
    assert server.connections == 1
    assert statuses(run) == [
        ("ann@example.org", DeliveryStatus.QUEUED, 0),
        ("bob@example.org", DeliveryStatus.QUEUED, 0),
    ]


def test_a_refused_login_is_typed_and_not_offered_again_while_it_is_held(engine_settings, authority, servers):
    # given
    server = servers(STARTTLS, authority.server())
    point_at(engine_settings, server, STARTTLS, cafile=authority.cert, password="wrong-again")
    config = ServerConfig.from_settings()

    # when
    with pytest.raises(AuthenticationFailed) as first:
        Session.open(config)
    with pytest.raises(AuthenticationFailed) as second:
        Session.open(config)
    with pytest.raises(AuthenticationFailed) as after_the_hold:
        Session.open(ServerConfig(**{**config.__dict__, "auth_hold": 0}))

    # then: the second open made no connection; with the hold over, one more AUTH
    assert (first.value.code, first.value.reply) == (535, "535 5.7.8 Authentication credentials invalid")
    assert str(second.value) == REFUSED_535
    assert after_the_hold.value.code == 535
    assert server.auth_attempts == [("PLAIN", LOGIN, False), ("PLAIN", LOGIN, False)]
    assert server.connections == 2


def test_send_mailing_says_authentication_failed(owner, engine_settings, authority, servers):
    # given
    server = servers(STARTTLS, authority.server())
    point_at(engine_settings, server, STARTTLS, cafile=authority.cert, password="not-it")
    mailing = MailingFactory(
        owner=owner, clients=[ClientFactory(owner=owner)], start_at=timezone.now() + timedelta(days=1)
    )
    out, err = StringIO(), StringIO()

    # when
    call_command("send_mailing", str(mailing.pk), stdout=out, stderr=err)

    # then
    assert out.getvalue().splitlines()[-1] == "Sent 0, deferred 0, failed 0, bounced 0, skipped 0 (of 1)."
    assert err.getvalue().strip() == (
        "The mail server refused the login: authentication failed (535 5.7.8 Authentication credentials invalid); "
        "the run is paused. Check EMAIL_HOST_USER and EMAIL_HOST_PASSWORD; the run is tried again, with one login, "
        "when its pause is over."
    )
    assert MailingRun.objects.get().status == RunStatus.PAUSED
    assert server.auth_attempts == [("PLAIN", LOGIN, False)]


@pytest.mark.parametrize("mode", [STARTTLS, IMPLICIT_TLS])
def test_account_mails_use_the_same_verification(settings, authority, tmp_path, servers, mode):
    # given: Django's send_mail through the project's backend
    settings.EMAIL_BACKEND = "mailing.smtp.EmailBackend"
    good = servers(mode, authority.server())
    bad = servers(mode, self_signed(tmp_path))
    point_at(settings, good, mode, cafile=authority.cert)

    # when
    mail.send_mail("Verify", "Your link.", "noreply@example.org", ["ann@example.org"])
    settings.EMAIL_PORT = bad.port
    with pytest.raises(ssl.SSLCertVerificationError):
        mail.send_mail("Verify", "Your link.", "noreply@example.org", ["ann@example.org"])

    # then
    assert good.recipients() == ["ann@example.org"]
    assert good.auth_attempts == [("PLAIN", LOGIN, True)]
    assert bad.auth_attempts == []


def test_the_server_offers_two_mechanisms_which_smtplib_login_would_both_try(authority, servers):
    # given: why the session makes its own single AUTH exchange, shown on the same server
    server = servers(STARTTLS, authority.server())
    smtp = smtplib.SMTP(server.host, server.port, timeout=5)
    smtp.starttls(context=tls_context(cafile=str(authority.cert)))

    # when
    with pytest.raises(smtplib.SMTPAuthenticationError):
        smtp.login(LOGIN, "wrong")
    smtp.close()

    # then
    assert [mechanism for mechanism, _, _ in server.auth_attempts] == ["PLAIN", "LOGIN"]
