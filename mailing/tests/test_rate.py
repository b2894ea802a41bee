"""The sending rate per SMTP server: token buckets and pauses shared through Redis (REDIS_URL)
or the database, against a real SMTP server on loopback."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mailing.delivery import rate, runs
from mailing.delivery.worker import run_process
from mailing.models import DeliveryAttempt, DeliveryStatus, RunStatus
from mailing.smtp import Outcome, Result
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory

pytestmark = pytest.mark.django_db(transaction=False)


def run_of(owner, clock, emails):
    clients = [ClientFactory(owner=owner, email=email) for email in emails]
    message = MessageFactory(owner=owner)
    start = clock.now - timedelta(minutes=1)
    mailing = MailingFactory(
        owner=owner, message=message, clients=clients, start_at=start, end_at=start + timedelta(days=3)
    )
    return next(run for run in runs.run_due_mailings(now=clock(), enqueue=None) if run.mailing_id == mailing.pk)


def statuses(run) -> dict[str, str]:
    return dict(DeliveryAttempt.objects.filter(run=run).values_list("email", "status"))


@pytest.fixture
def server_key(smtp_server):
    key = f"{smtp_server.host}:{smtp_server.port}"
    rate.reset(key)
    yield key
    rate.reset(key)


@pytest.mark.parametrize(
    "reply",
    [
        "421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address",
        "450 4.7.28 Gmail has detected an unusual rate of mail, try again later",
        "421 Too many messages, slow down",
    ],
)
def test_a_rate_limit_reply_pauses_the_server_for_every_run(owner, other_owner, clock, smtp_server, server_key, reply):
    # given: two mailings' runs to the same server; the server refuses the second recipient
    smtp_server.behaviour.rcpt_replies = {"b@example.org": reply}
    first = run_of(owner, clock, ["a@example.org", "b@example.org", "c@example.org"])
    second = run_of(other_owner, clock, ["d@example.org"])
    before = timezone.now()

    # when
    first_result = run_process(run_id=first.pk, clock=clock, handover=None)
    second_result = run_process(run_id=second.pk, clock=clock, handover=None)

    # then: nothing more went to the server after the reply, for either run
    assert [m.rcpt_tos for m in smtp_server.messages] == [("a@example.org",)]
    assert (first_result.stopped, second_result.stopped) == ("paused", "paused")
    assert statuses(first) == {
        "a@example.org": DeliveryStatus.SENT,
        "b@example.org": DeliveryStatus.DEFERRED,
        "c@example.org": DeliveryStatus.QUEUED,
    }
    assert statuses(second) == {"d@example.org": DeliveryStatus.QUEUED}
    for run in (first, second):
        run.refresh_from_db()
        assert run.status == RunStatus.PAUSED
        assert run.paused_until >= before + timedelta(seconds=600)
        assert run.last_error == f"Sending to {server_key} is paused: {reply}"
    # ... and the pause is kept outside the process (Redis or the database), for the next one
    pause = rate.paused(server_key)
    assert pause.paused
    assert pause.reason == reply
    assert 590 < pause.wait <= 600


def test_a_421_for_another_reason_does_not_pause(owner, clock, smtp_server, server_key):
    # given
    smtp_server.behaviour.rcpt_replies = {"b@example.org": "421 4.3.2 Service shutting down"}
    run = run_of(owner, clock, ["a@example.org", "b@example.org", "c@example.org"])

    # when
    result = run_process(run_id=run.pk, clock=clock, handover=None)

    # then
    assert result.stopped == "done"
    assert statuses(run)["c@example.org"] == DeliveryStatus.SENT
    assert rate.paused(server_key) is None


def test_the_hourly_limit_spent_pauses_the_run_until_a_token_is_back(owner, clock, smtp_server, server_key, settings):
    # given: two messages an hour
    settings.MAILING_RATE_PER_HOUR = 2
    run = run_of(owner, clock, ["a@example.org", "b@example.org", "c@example.org"])
    before = timezone.now()

    # when
    result = run_process(run_id=run.pk, clock=clock, handover=None)

    # then: two sent, the third waits for the half hour that brings one token back
    assert (result.sent, result.stopped) == (2, "paused")
    assert sorted(statuses(run).values()) == [DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.SENT]
    run.refresh_from_db()
    assert run.status == RunStatus.PAUSED
    assert before + timedelta(seconds=1795) <= run.paused_until <= timezone.now() + timedelta(seconds=1800)
    assert run.last_error == f"The sending rate of {server_key} is used up for now (MAILING_RATE_PER_HOUR/DAY)."


def test_the_buckets_give_no_more_than_their_limit(server_key):
    # given: 10 a second and 12 a day
    windows = {1: 10, 86400: 12}

    # when
    first = rate.take(server_key, 25, windows)
    second = rate.take(server_key, 5, windows)

    # then: the second-bucket grants its 10 and is empty; the day has 2 left, but not for this second
    assert first.tokens == 10
    assert second.tokens == 0
    assert 0 < second.wait <= 0.1
    assert not second.paused


def test_the_buckets_are_shared_by_every_caller(server_key):
    # given: one caller spends the day's limit
    assert rate.take(server_key, 3, {86400: 3}).tokens == 3

    # when: another (any worker, any process: the state is in Redis or the database)
    other = rate.take(server_key, 1, {86400: 3})

    # then: a token comes back after a third of a day
    assert other.tokens == 0
    assert 28790 < other.wait <= 28800


def test_the_rate_limit_reply_is_recognised():
    def reply(text: str) -> Result:
        return Result(Outcome.DEFERRED, int(text[:3]), text)

    assert rate.is_rate_limit(reply("421-4.7.28 [1.2.3.4] Our system has detected an unusual rate"))
    assert rate.is_rate_limit(reply("451 4.7.1 Please try again later"))
    assert rate.is_rate_limit(reply("421 Throttled: too many connections"))
    assert not rate.is_rate_limit(reply("421 4.3.2 Service shutting down"))
    assert not rate.is_rate_limit(reply("452 4.2.2 Mailbox full"))
    assert not rate.is_rate_limit(Result(Outcome.FAILED, 550, "550 5.7.1 Rate limited"))
