from typing import TypeAlias

import strawberry
from strawberry.django.context import StrawberryDjangoContext

Info: TypeAlias = strawberry.Info[StrawberryDjangoContext, None]


def viewer(info: Info):
    """The user making the request (anonymous users included)."""
    return info.context.request.user
