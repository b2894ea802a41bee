"""The page scripts' tags: ``{% module_script "app/clients.js" %}`` and ``{% catalog_script %}``.

``module_script`` emits a page's ES module, with its imports preloaded.

A module's imports are found only once the module has arrived, and theirs once they have: on a
slow network each level of imports costs a round trip. The tag emits a
``<link rel="modulepreload">`` for every module the entry imports, directly or through others, so
the browser asks for all of them at once, and then the ``<script type="module">`` itself. The
import graph is read from the source files (``import … from "./x.js";``, relative paths only)
and kept for the life of the process unless ``DEBUG`` is on.
"""

import functools
import posixpath
import re

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join

from core.catalog import catalog_version, known_language

register = template.Library()

# The same statements core.storage rewrites to hashed names: static imports and re-exports.
IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}/[^"']+)["']\s*;""", re.M | re.S)


def imports(path: str) -> list[str]:
    """The static paths of the modules ``path`` imports, directly or not, in first-seen order."""
    seen: list[str] = []
    pending = [path]
    while pending:
        current = pending.pop(0)
        source = finders.find(current)
        if source is None:
            raise template.TemplateSyntaxError(f"module_script: no static file {current!r}")
        with open(source, encoding="utf-8") as file:
            text = file.read()
        for relative in IMPORT.findall(text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(current), relative))
            if target != path and target not in seen:
                seen.append(target)
                pending.append(target)
    return seen


_cached_imports = functools.lru_cache(maxsize=None)(imports)


@register.simple_tag
def module_script(path: str) -> str:
    graph = imports(path) if settings.DEBUG else _cached_imports(path)
    preloads = format_html_join("", '<link rel="modulepreload" href="{}">\n', ((static(p),) for p in graph))
    return format_html('{}<script type="module" src="{}"></script>', preloads, static(path))


@register.simple_tag(takes_context=True)
def catalog_script(context) -> str:
    """The JavaScript translation catalogue of the page's language, at its versioned address."""
    request = context.get("request")
    language = translation.get_language()
    if request is None or not known_language(language):
        url = reverse("javascript-catalog")  # a page rendered without a request: the plain address
    else:
        url = reverse("javascript-catalog-versioned", args=[language, catalog_version(request, language)])
    return format_html('<script src="{}" defer></script>', url)
