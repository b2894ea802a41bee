import strawberry
import strawberry_django

from graphql_schema.context import Info
from graphql_schema.home.types import HomeStatsType
from mailing.stats import mailing_stats


@strawberry.type
class HomeQuery:
    @strawberry_django.field(description="The home page's figures; public.")
    def home_stats(self, info: Info) -> HomeStatsType:
        stats = mailing_stats()
        return HomeStatsType(
            mailings_total=stats.mailings_total,
            mailings_active=stats.mailings_active,
            unique_clients=stats.unique_clients,
        )
