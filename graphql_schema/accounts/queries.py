import strawberry
import strawberry_django

from graphql_schema.accounts.types import UserType
from graphql_schema.context import Info, viewer


@strawberry.type
class AccountsQuery:
    @strawberry_django.field(description="The logged-in user, or null for an anonymous visitor.")
    def me(self, info: Info) -> UserType | None:
        user = viewer(info)
        return user if user.is_authenticated else None
