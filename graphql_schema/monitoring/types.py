from datetime import datetime

import strawberry

from core import monitoring


@strawberry.type(name="ClusterInfo", description="A running task cluster (`manage.py qcluster`).")
class ClusterInfoType:
    id: str = strawberry.field(description="The cluster's id.")
    host: str = strawberry.field(description="The machine it runs on.")
    status: str = strawberry.field(description="Starting, Idle, Working or Stopping.")
    workers: int = strawberry.field(description="Worker processes.")
    started_at: datetime | None = strawberry.field(description="When it started.")
    reincarnations: int = strawberry.field(description="Workers restarted after dying or timing out.")


@strawberry.type(name="ScheduledRun", description="The next run of a schedule.")
class ScheduledRunType:
    name: str = strawberry.field(description="The schedule's name (its function when unnamed).")
    func: str = strawberry.field(description="The dotted path of the function it runs.")
    next_run: datetime = strawberry.field(description="When it is due.")


@strawberry.type(name="QueueStatus", description="The task queue and its clusters, as `manage.py qinfo` shows them.")
class QueueStatusType:
    broker: str = strawberry.field(description="The broker (Redis or the database).")
    clusters: list[ClusterInfoType] = strawberry.field(description="The clusters alive now.")
    tasks_queued: int = strawberry.field(description="Tasks waiting for a worker.")
    failures_last_hour: int = strawberry.field(description="Tasks that failed in the last hour.")
    next_scheduled_run: ScheduledRunType | None = strawberry.field(
        description="The schedule due soonest; null when nothing is scheduled."
    )

    @strawberry.field(description="How many clusters are alive.")
    def clusters_alive(self) -> int:
        return len(self.clusters)

    @classmethod
    def from_status(cls, status: monitoring.QueueStatus) -> "QueueStatusType":
        run = status.next_scheduled_run
        return cls(
            broker=status.broker,
            clusters=[ClusterInfoType(**vars(cluster)) for cluster in status.clusters],
            tasks_queued=status.tasks_queued,
            failures_last_hour=status.failures_last_hour,
            next_scheduled_run=ScheduledRunType(name=run.name, func=run.func, next_run=run.next_run) if run else None,
        )
