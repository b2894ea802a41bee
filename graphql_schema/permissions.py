"""Permission extensions, declared on fields; resolvers never decide access with an `if`."""

from strawberry_django.permissions import IsAuthenticated

__all__ = ["IsAuthenticated"]
