import strawberry_django
from strawberry import auto, relay

from accounts import models, selectors
from graphql_schema.context import Info, viewer


@strawberry_django.type(models.User, name="User", description="A user of the service.")
class UserType(relay.Node):
    email: auto
    full_name: auto

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.user_list(viewer=viewer(info), base=queryset)
