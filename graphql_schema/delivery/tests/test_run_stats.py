"""A run's live counts, per-day counts for the dashboard's chart and the open runs: each in a
fixed number of statements."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from graphql_schema.delivery.tests.test_delivery import make_run
from graphql_schema.tests.helpers import gid
from mailing.delivery import lifecycle
from mailing.models import DeliveryAttempt, DeliveryStatus
from mailing.tests.factories import ClientFactory, MailingFactory

S = DeliveryStatus
RUNS = """
query($id: ID!) { node(id: $id) { ... on Mailing {
  runs(first: 20) { edges { node { id isOpen status stats { total sent deferred failed skipped pending } } } }
} } }"""
DAILY = """
query($days: Int!, $mailing: ID) { deliveryDailyCounts(days: $days, mailing: $mailing) { day sent deferred failed } }"""
OPEN = """
query($first: Int!) { openRuns(first: $first) {
  id isOpen stats { total sent pending } mailing { id message { subject } }
} }"""


def stats(total=0, sent=0, deferred=0, failed=0, skipped=0, pending=0):
    return {
        "total": total,
        "sent": sent,
        "deferred": deferred,
        "failed": failed,
        "skipped": skipped,
        "pending": pending,
    }


def closed_run(owner, mailing, emails, statuses, day):
    run = make_run(owner, emails, statuses, mailing=mailing, scheduled_for=day)
    assert lifecycle.run_finish_if_done(run_id=run.pk, now=timezone.now())
    return run


@pytest.mark.django_db
def test_a_runs_stats_are_live_while_open_and_stored_once_closed(gql, owner):
    # given
    emails = ["a@example.org", "b@example.org", "c@example.org"]
    open_run = make_run(owner, emails, [S.SENT, S.DEFERRED, S.QUEUED])
    mailing = open_run.mailing
    done = closed_run(owner, mailing, emails, [S.SENT, S.FAILED, S.SKIPPED], open_run.scheduled_for - timedelta(days=1))

    # when
    with gql.login(owner):
        edges = gql.query(RUNS, {"id": gid("Mailing", mailing.pk)}).data["node"]["runs"]["edges"]

    # then
    assert [edge["node"] for edge in edges] == [
        {"id": gid("MailingRun", open_run.pk), "isOpen": True, "status": "RUNNING", "stats": stats(3, 1, 1, 0, 0, 1)},
        {"id": gid("MailingRun", done.pk), "isOpen": False, "status": "FINISHED", "stats": stats(3, 1, 0, 1, 1, 0)},
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("runs", [2, 15])
def test_a_page_of_runs_with_stats_runs_a_fixed_number_of_queries(gql, owner, django_assert_max_num_queries, runs):
    # given: half of the runs closed
    emails = ["a@example.org", "b@example.org"]
    first = make_run(owner, emails, [S.SENT, S.QUEUED])
    for n in range(1, runs):
        when = first.scheduled_for - timedelta(days=n)
        if n % 2:
            closed_run(owner, first.mailing, emails, [S.SENT, S.FAILED], when)
        else:
            make_run(owner, emails, [S.DEFERRED, S.SENDING], mailing=first.mailing, scheduled_for=when)

    # when / then: the session, the user, the mailing, its page of runs with their counts
    with gql.login(owner), django_assert_max_num_queries(4):
        edges = gql.query(RUNS, {"id": gid("Mailing", first.mailing_id)}).data["node"]["runs"]["edges"]
    assert len(edges) == runs
    assert all(edge["node"]["stats"]["total"] == 2 for edge in edges)


@pytest.mark.django_db
@time_machine.travel(datetime(2031, 3, 10, 21, 30, tzinfo=UTC), tick=False)
def test_daily_counts_fill_every_day_in_the_viewers_zone_by_the_last_attempt(gql, owner, other_owner):
    # given: 21:30 UTC on 10 March is already 11 March in Moscow
    owner.time_zone = "Europe/Moscow"
    owner.save()
    run = make_run(owner, ["a@example.org", "b@example.org", "c@example.org", "d@example.org"], [S.SENT] * 4)
    theirs = make_run(other_owner, ["x@example.org"], [S.SENT])
    times = {
        "a@example.org": (S.SENT, datetime(2031, 3, 10, 21, 0, tzinfo=UTC)),  # 11 March, 00:00 MSK
        "b@example.org": (S.FAILED, datetime(2031, 3, 10, 20, 59, tzinfo=UTC)),  # 10 March, 23:59 MSK
        "c@example.org": (S.DEFERRED, datetime(2031, 3, 9, 12, 0, tzinfo=UTC)),
        "d@example.org": (S.SENT, datetime(2031, 3, 1, 12, 0, tzinfo=UTC)),  # before the 3 days
    }
    for email, (status, at) in times.items():
        DeliveryAttempt.objects.filter(run=run, email=email).update(status=status, last_attempt_at=at)
    DeliveryAttempt.objects.filter(run=theirs).update(last_attempt_at=datetime(2031, 3, 10, 21, 5, tzinfo=UTC))

    # when
    with gql.login(owner):
        days = gql.query(DAILY, {"days": 3}).data["deliveryDailyCounts"]
        one = gql.query(DAILY, {"days": 1, "mailing": gid("Mailing", theirs.mailing_id)}).data["deliveryDailyCounts"]

    # then
    assert days == [
        {"day": "2031-03-09", "sent": 0, "deferred": 1, "failed": 0},
        {"day": "2031-03-10", "sent": 0, "deferred": 0, "failed": 1},
        {"day": "2031-03-11", "sent": 1, "deferred": 0, "failed": 0},
    ]
    assert one == [{"day": "2031-03-11", "sent": 0, "deferred": 0, "failed": 0}]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 40])
def test_daily_counts_run_a_fixed_number_of_queries(gql, owner, django_assert_max_num_queries, rows):
    # given
    run = make_run(owner, [f"c{n}@example.org" for n in range(rows)], [S.SENT] * rows)
    DeliveryAttempt.objects.filter(run=run).update(last_attempt_at=timezone.now())

    # when / then: the session, the user, the grouped counts
    with gql.login(owner), django_assert_max_num_queries(3):
        days = gql.query(DAILY, {"days": 30}).data["deliveryDailyCounts"]
    assert len(days) == 30
    assert days[-1]["sent"] == rows
    assert date.fromisoformat(days[0]["day"]) == timezone.localdate() - timedelta(days=29)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "field", "message"),
    [
        ({"days": 0}, "days", "Argument 'days' must be between 1 and 366."),
        ({"days": 367}, "days", "Argument 'days' must be between 1 and 366."),
        ({"days": 3, "mailing": gid("Client", 1)}, "mailing", "Argument 'mailing' is not the id of a mailing."),
    ],
)
def test_daily_counts_refuse_bad_arguments_by_name(gql, owner, variables, field, message):
    # when
    with gql.login(owner):
        result = gql.query(DAILY, variables, assert_no_errors=False)

    # then
    assert result.data is None
    assert [(error["message"], error["extensions"]["field"]) for error in result.errors] == [(message, field)]


@pytest.mark.django_db
def test_counts_are_empty_without_a_session(gql, owner):
    # given
    make_run(owner, ["a@example.org"], [S.QUEUED])

    # when
    daily = gql.query(DAILY, {"days": 3})
    runs = gql.query(OPEN, {"first": 5})

    # then
    assert (daily.data, runs.data) == ({"deliveryDailyCounts": []}, {"openRuns": []})


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 12])
def test_open_runs_are_the_viewers_newest_first_in_a_fixed_number_of_queries(
    gql, owner, other_owner, django_assert_max_num_queries, count
):
    # given
    emails = ["a@example.org", "b@example.org"]
    opened = []
    for n in range(count):
        mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner, email=f"{n}{e}") for e in emails])
        opened.append(make_run(owner, [f"{n}{e}" for e in emails], [S.SENT, S.QUEUED], mailing=mailing))
    closed_run(owner, opened[0].mailing, [f"0{e}" for e in emails], [S.SENT, S.SENT], timezone.now() - timedelta(1))
    make_run(other_owner, ["x@example.org"], [S.QUEUED])

    # when / then: the session, the user, the runs with their counts, their mailings, the messages
    with gql.login(owner), django_assert_max_num_queries(5):
        runs = gql.query(OPEN, {"first": 20}).data["openRuns"]
    assert [run["id"] for run in runs] == [gid("MailingRun", run.pk) for run in reversed(opened)]
    assert runs[0]["stats"] == {"total": 2, "sent": 1, "pending": 1}
    assert runs[0]["isOpen"] is True
    assert runs[0]["mailing"] == {
        "id": gid("Mailing", opened[-1].mailing_id),
        "message": {"subject": opened[-1].mailing.message.subject},
    }
