"""Test settings: the real settings, with fast password hashing and an in-memory mail outbox."""

import os
import tempfile

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")

from core.settings import *  # noqa: F403
from core.settings import CACHES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# A shared Redis must not mix test keys with a running service's; a process that a test starts
# (a cluster, a second web process) inherits the prefix and so shares the test's cache.
os.environ.setdefault("TEST_CACHE_KEY_PREFIX", f"test-{os.getpid()}")
for _cache in CACHES.values():
    _cache["KEY_PREFIX"] = os.environ["TEST_CACHE_KEY_PREFIX"]
GRAPHIQL = True
# Static files are not under test; WhiteNoise would only warn that STATIC_ROOT is not collected.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
# Account e-mails: run the django-q task in the process, at commit, into the locmem outbox.
MAIL_TASKS_SYNC = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared memory: with WAL and a busy timeout, concurrent writers queue as they do
    # in production (shared memory fails them with "table is locked"), and a cluster started by a
    # test in another process reads the same database.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"mailing-test-{os.getpid()}.sqlite3")
    }
