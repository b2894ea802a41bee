import strawberry
import strawberry_django

from core import monitoring
from graphql_schema.context import Info, viewer
from graphql_schema.monitoring.types import QueueStatusType
from graphql_schema.permissions import IsManager


@strawberry.type
class MonitoringQuery:
    @strawberry_django.field(extensions=[IsManager()], description="The task queue's health; managers only.")
    def queue_status(self, info: Info) -> QueueStatusType:
        return QueueStatusType.from_status(monitoring.queue_status(viewer=viewer(info)))
