"""The JavaScript translation catalogue under a versioned address that browsers cache for a year.

``/jsi18n/`` (Django's ``JavaScriptCatalog``) answers in the request's language, so no cache may
keep it. The pages load it from ``/jsi18n/<language>/<version>.js`` instead, where the version is
a digest of the catalogue's own text: a new translation makes a new address, and the old one is
never wrong for long (a stale version is answered with the current text and ``no-cache``).
"""

import hashlib

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.i18n import JavaScriptCatalog

YEAR = 365 * 24 * 3600


def _render(request: HttpRequest, language: str) -> HttpResponse:
    with translation.override(language):
        return JavaScriptCatalog.as_view()(request)


def _digest(response: HttpResponse) -> str:
    return hashlib.sha256(response.content).hexdigest()[:12]


_versions: dict[str, str] = {}


def known_language(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


def catalog_version(request: HttpRequest, language: str) -> str:
    """The digest of ``language``'s catalogue (kept per process unless ``DEBUG`` is on)."""
    if settings.DEBUG or language not in _versions:
        _versions[language] = _digest(_render(request, language))
    return _versions[language]


def javascript_catalog(request: HttpRequest, language: str, version: str) -> HttpResponse:
    if not known_language(language):
        raise Http404("No such language.")
    response = _render(request, language)
    if version == catalog_version(request, language):
        patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
    else:
        patch_cache_control(response, no_cache=True)
    return response
