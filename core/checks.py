"""Deployment checks of our own, run by `manage.py check --deploy` next to Django's."""

from django.conf import settings
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
