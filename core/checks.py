"""Deployment checks of our own, run by `manage.py check --deploy` next to Django's."""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_api_exposure(app_configs, **kwargs):
    warnings = []
    if not settings.DEBUG and settings.GRAPHIQL:
        warnings.append(
            Warning(
                "GraphiQL is served while DEBUG is off.",
                hint="Unset GRAPHIQL (or set GRAPHIQL=0) in production.",
                id="core.W001",
            )
        )
    if not settings.DEBUG and settings.GRAPHQL_INTROSPECTION:
        warnings.append(
            Warning(
                "GraphQL introspection is on while DEBUG is off: anyone can read the whole schema.",
                hint="Unset GRAPHQL_INTROSPECTION (or set it to 0) unless the API is meant to be public.",
                id="core.W002",
            )
        )
    if settings.SESSION_COOKIE_SAMESITE == "None" and not settings.SESSION_COOKIE_SECURE:
        warnings.append(
            Warning(
                "SESSION_COOKIE_SAMESITE is None but the cookie is not secure: browsers drop such a cookie.",
                hint="Set SECURE_COOKIES=1 (HTTPS) with SESSION_COOKIE_SAMESITE=None.",
                id="core.W003",
            )
        )
    return warnings


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    # Throttles count in the default cache: in process memory, each web worker would count its
    # own share, and the limits would hold only that many times over.
    if isinstance(caches["default"], (LocMemCache, DummyCache)):
        return [
            Warning(
                "The default cache is not shared by the processes: login and e-mail throttles "
                "count per process, and each process computes its own home figures.",
                hint="Set REDIS_URL, or keep the database cache (core.cache.DatabaseCache) of core/settings.py.",
                id="core.W004",
            )
        ]
    return []
