import importlib
import pydoc

import pytest
from django.apps import apps
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from mailing import queue
from mailing.models import MailingRun, RunTrigger
from mailing.periodic_tasks import PERIODIC_TASKS
from mailing.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def taken_from_the_queue() -> list[dict]:
    """The tasks waiting in the broker, taken off it as a cluster takes them."""
    broker = get_broker()
    tasks = []
    while packages := broker.dequeue():
        for package_id, payload in packages:
            tasks.append(SignedPackage.loads(payload))
            if package_id is not None:
                broker.acknowledge(package_id)
    return tasks


@pytest.mark.parametrize("spec", PERIODIC_TASKS, ids=[spec["name"] for spec in PERIODIC_TASKS])
def test_each_schedule_names_a_task_the_cluster_can_load(spec):
    # when
    task = pydoc.locate(spec["func"])

    # then
    assert callable(task), spec["func"]


def test_the_due_pass_handed_to_the_cluster_starts_the_due_run(owner):
    # given
    get_broker().purge_queue()
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)], start_at=timezone.now())
    queue.enqueue_due_pass()
    (task,) = taken_from_the_queue()

    # when: run as the cluster's worker runs it
    result = pydoc.locate(task["func"])(*task["args"], **task["kwargs"])

    # then
    assert task["func"] == "mailing.tasks.due_pass"
    assert result == 1
    assert list(MailingRun.objects.values_list("mailing_id", "trigger")) == [(mailing.pk, RunTrigger.SCHEDULE)]
    taken_from_the_queue()  # the run's own task, not sent here


def test_a_schedule_stored_with_the_old_task_path_is_repaired_by_its_migration():
    # given: the due pass's schedule as it was stored before the task was named due_pass
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name="mailing: run due mailings").update(func="mailing.tasks.run_due_mailings")
    migration = importlib.import_module("mailing.migrations.0008_schedules_due_pass")

    # when
    migration.repair_schedules(apps, None)

    # then
    assert sorted(Schedule.objects.values_list("name", "func")) == [
        ("mailing: read bounces", "mailing.bounces.tasks.read_bounce_mailbox"),
        ("mailing: run due mailings", "mailing.tasks.due_pass"),
        ("mailing: sweep runs", "mailing.tasks.sweep_runs"),
    ]
