import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Failure, Schedule, Success
from django_q.tasks import async_task

from accounts.tests.factories import ContentManagerFactory, ManagerFactory, UserFactory

QUERY = """{
  queueStatus {
    broker clustersAlive clusters { id }
    tasksQueued failuresLastHour
    nextScheduledRun { name func nextRun }
  }
}"""


@pytest.fixture
def broker():
    # With Redis, the queue lives outside the test database: start and end it empty.
    broker = get_broker()
    broker.purge_queue()
    yield broker
    broker.purge_queue()


def _finished_task(*, success: bool, minutes_ago: int):
    stopped = timezone.now() - timedelta(minutes=minutes_ago)
    model = Success if success else Failure
    return model.objects.create(
        id=uuid.uuid4().hex,
        name=f"task-{uuid.uuid4().hex[:6]}",
        func="mailing.tasks.run_due",
        started=stopped - timedelta(seconds=2),
        stopped=stopped,
        success=success,
    )


@pytest.mark.django_db
def test_managers_see_the_queue(gql, broker):
    # given: no schedule but these (migrate created the delivery engine's)
    Schedule.objects.all().delete()
    async_task("math.floor", 1.5)
    async_task("math.floor", 2.5)
    _finished_task(success=False, minutes_ago=5)
    _finished_task(success=False, minutes_ago=59)
    _finished_task(success=False, minutes_ago=61)  # too old
    _finished_task(success=True, minutes_ago=1)  # not a failure
    soon = (timezone.now() + timedelta(minutes=10)).replace(microsecond=0)
    Schedule.objects.create(name="later", func="math.floor", args="1", next_run=soon + timedelta(hours=1))
    Schedule.objects.create(name="soonest", func="math.ceil", args="1", next_run=soon)
    Schedule.objects.create(name="spent", func="math.ceil", args="1", next_run=soon - timedelta(minutes=5), repeats=0)

    # when
    with gql.login(ManagerFactory()):
        status = gql.query(QUERY).data["queueStatus"]

    # then
    assert status == {
        "broker": broker.info(),
        "clustersAlive": 0,
        "clusters": [],
        "tasksQueued": 2,
        "failuresLastHour": 2,
        "nextScheduledRun": {"name": "soonest", "func": "math.ceil", "nextRun": soon.isoformat()},
    }


@pytest.mark.django_db
def test_an_idle_queue(gql, broker):
    # given: not even the delivery engine's schedules
    Schedule.objects.all().delete()

    # when
    with gql.login(ManagerFactory()):
        status = gql.query(QUERY).data["queueStatus"]

    # then
    assert (status["tasksQueued"], status["failuresLastHour"], status["nextScheduledRun"]) == (0, 0, None)


@pytest.mark.django_db
def test_superusers_see_the_queue(gql, broker):
    # given
    root = UserFactory(is_staff=True, is_superuser=True)

    # when
    with gql.login(root):
        result = gql.query("{ queueStatus { tasksQueued } }")

    # then
    assert result.data == {"queueStatus": {"tasksQueued": 0}}


@pytest.mark.parametrize(
    "make_user",
    [None, UserFactory, ContentManagerFactory, lambda: UserFactory(is_staff=True)],
    ids=["anonymous", "owner", "content-manager", "staff-without-role"],
)
@pytest.mark.django_db
def test_others_are_refused(gql, make_user):
    # given
    query = "{ queueStatus { tasksQueued } }"

    # when
    if make_user is None:
        result = gql.query(query, assert_no_errors=False)
    else:
        with gql.login(make_user()):
            result = gql.query(query, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["User is not a manager."]
