"""Test settings: the real settings, with fast password hashing and an in-memory mail outbox."""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")

import tempfile

from core.settings import *  # noqa: F403
from core.settings import CACHES, DATABASES, Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# A shared Redis must not mix test keys with a running service's.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
GRAPHIQL = True
# Static files are not under test; WhiteNoise would only warn that STATIC_ROOT is not collected.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
# Account e-mails: run the django-q task in the process, at commit, into the locmem outbox.
MAIL_TASKS_SYNC = True
# Tests that enqueue use a task queue of their own, apart from a running service's.
Q_CLUSTER["name"] = f"{Q_CLUSTER['name']}-test-{os.getpid()}"
# A SQLite test database in a file rather than in memory, so that a real cluster started by a
# test (mailing/tests/test_cluster.py) can open it too.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"mailing-test-{os.getpid()}.sqlite3")}
