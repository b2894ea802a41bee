"""The task cluster's health, as qinfo and qmonitor show it, for the API and the admin."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Failure, Schedule
from django_q.status import Stat


@dataclass(frozen=True)
class ClusterInfo:
    id: str
    host: str
    status: str
    workers: int
    started_at: datetime | None
    reincarnations: int


@dataclass(frozen=True)
class ScheduledRun:
    name: str
    func: str
    next_run: datetime


@dataclass(frozen=True)
class QueueStatus:
    broker: str
    clusters: list[ClusterInfo]
    tasks_queued: int
    failures_last_hour: int
    next_scheduled_run: ScheduledRun | None


def _clusters(broker) -> list[ClusterInfo]:
    # A cluster refreshes its entry every few seconds and the entry expires soon after: what is
    # listed is alive, unless it reports that it has stopped.
    return [
        ClusterInfo(
            id=str(stat.cluster_id),
            host=stat.host,
            status=str(stat.status),
            workers=len(stat.workers),
            started_at=stat.tob,
            reincarnations=stat.reincarnations,
        )
        for stat in Stat.get_all(broker=broker)
        if stat.status != Conf.STOPPED
    ]


def _next_scheduled_run() -> ScheduledRun | None:
    schedule = (
        Schedule.objects.filter(next_run__isnull=False)
        .exclude(repeats=0)
        .order_by("next_run", "id")
        .only("name", "func", "next_run")
        .first()
    )
    if schedule is None:
        return None
    return ScheduledRun(name=schedule.name or schedule.func, func=schedule.func, next_run=schedule.next_run)


def queue_status(*, viewer=None) -> QueueStatus:
    broker = get_broker()
    return QueueStatus(
        broker=broker.info(),
        clusters=_clusters(broker),
        tasks_queued=broker.queue_size(),
        failures_last_hour=Failure.objects.filter(stopped__gte=timezone.now() - timedelta(hours=1)).count(),
        next_scheduled_run=_next_scheduled_run(),
    )
