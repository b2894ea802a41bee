"""The static files storage: whitenoise's compressed, hashed copies, ES module imports included.

The app's pages are ES modules (``core/static/app/*.js``) that import each other and the vendored
Alpine.js by relative path. Django's manifest storage rewrites those ``import … from "./x.js";``
lines to the hashed names as well, so every file a page loads has a hashed name, and whitenoise
serves it compressed and cached for a year (``immutable``). Without it the imported modules kept
their plain names and a 60-second lifetime.

The rewriting is limited to ``app/*.js``: Django's patterns are regular expressions, not a
JavaScript parser, and the vendored minified bundles hold the word ``import`` inside strings.
"""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

APP_MODULES = "app/*.js"


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = (
        *CompressedManifestStaticFilesStorage.patterns,
        (APP_MODULES, ManifestStaticFilesStorage._js_module_import_aggregation_patterns[1]),
    )
