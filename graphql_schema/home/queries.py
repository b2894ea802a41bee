import strawberry
import strawberry_django

from graphql_schema.context import Info
from graphql_schema.home.types import HomeStatsType
from mailing import stats


@strawberry.type
class HomeQuery:
    @strawberry_django.field(description="The home page's figures; public.")
    def home_stats(self, info: Info) -> HomeStatsType:
        figures = stats.home_stats()
        return HomeStatsType(
            mailings_total=figures.mailings_total,
            mailings_active=figures.mailings_active,
            unique_clients=figures.unique_clients,
        )
