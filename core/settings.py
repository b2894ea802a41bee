"""Settings, read from the environment in this one place.

With nothing set, the service runs on embedded defaults: SQLite (WAL) and django-q's ORM broker.
`DATABASE_URL` switches to PostgreSQL, `REDIS_URL` to Redis for the task broker and the cache.
Every variable read here is listed in the README.
"""

import os
import socket
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Links in e-mails. By default the address `make run` serves on (HOST and PORT, as `serve` reads them).
_serve_host = env_str("HOST", "127.0.0.1")
_serve_host = f"[{_serve_host}]" if ":" in _serve_host else _serve_host
SITE_URL = env_str("SITE_URL", f"http://{_serve_host}:{env_int('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_bootstrap5",
    "django_q",
    "strawberry_django",
    "core",
    "accounts",
    "mailing",
    "mailing.identities",
    "blog",
]

MIDDLEWARE = [
    # First: every log line of a request carries its id (core/request_id.py).
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # First after security: every response gets the policy, refusals of later middleware included.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below whitenoise (its files are compressed at collectstatic): pages, API answers and CSV.
    "core.middleware.TextGZipMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the `django_language` cookie, then Accept-Language; then (once the user is
    # known) the signed-in user's own choice wins.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"
ASGI_APPLICATION = "core.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL from DATABASE_URL, else an embedded SQLite file.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # WAL lets the web server read while the cluster writes; IMMEDIATE transactions
                # and a busy timeout make writers queue instead of failing with "locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when given, is both the task broker and the cache. Without it the cache is a table in the
# database (core.cache.DatabaseCache, created by core's migration), so that every process (the web
# workers, the cluster) counts the same throttles and reads the same home figures.
REDIS_URL = env_str("REDIS_URL")
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "mailing")
CACHE_TABLE = "cache_entries"
DATABASE_CACHE = {
    "BACKEND": "core.cache.DatabaseCache",
    "LOCATION": CACHE_TABLE,
    "KEY_PREFIX": CACHE_KEY_PREFIX,
    # Throttle windows and the home figures: a few rows per address or client IP.
    "OPTIONS": {"MAX_ENTRIES": 20_000},
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # A Redis that is down or unreachable is found out in seconds, not at the TCP timeout:
            # the cache is an optimisation, and its callers go on without it (see core.cache).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": dict(DATABASE_CACHE)}
# The throttles' fallback while Redis cannot be reached: they keep counting, in the database.
CACHES["database"] = dict(DATABASE_CACHE)

# django-q2 reads this at import time. `retry` must exceed `timeout`, and `catch_up` is off so
# that downtime does not replay every missed schedule slot.
Q_CLUSTER_WORKERS = env_int("Q_WORKERS", 2)
Q_CLUSTER_TIMEOUT = env_int("Q_TIMEOUT", 600)
# Every qcluster of one installation shares Q_CLUSTER_NAME: django-q2 takes it for the queue (the
# Redis list or the ORM queue's key) and for the salt that signs tasks, so clusters with different
# names could neither take each other's tasks nor read them. Each cluster has its own name in
# Q_NODE_NAME instead (one per machine), which the delivery log records on every row it sends.
Q_NODE_NAME = env_str("Q_NODE_NAME") or socket.gethostname()
Q_CLUSTER = {
    "name": env_str("Q_CLUSTER_NAME", "mailing"),
    "workers": Q_CLUSTER_WORKERS,
    # Tasks a cluster takes from the shared queue ahead of its free workers: few, so that a task
    # waits in the queue for any cluster that is free rather than behind this one's busy workers.
    "queue_limit": Q_CLUSTER_WORKERS,
    "timeout": Q_CLUSTER_TIMEOUT,
    "retry": Q_CLUSTER_TIMEOUT + 60,
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1
    # Without Redis, a cluster reports its health through a Django cache; it must be one that
    # other processes read (qinfo, qmonitor, the web's queueStatus): files, not process memory.
    CACHES["monitoring"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("Q_STATS_DIR", str(BASE_DIR / "var" / "q-stats")),
        "KEY_PREFIX": CACHE_KEY_PREFIX,
    }
    Q_CLUSTER["cache"] = "monitoring"

AUTH_USER_MODEL = "accounts.User"
# One backend: it refuses unverified, blocked and deactivated users, at login and on every request.
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
]

# Accounts: links in e-mails expire after these many seconds; account e-mails are sent by a
# django-q task (MAIL_TASKS_SYNC runs it in the request instead: tests and one-process setups).
EMAIL_VERIFICATION_TIMEOUT = env_int("EMAIL_VERIFICATION_TIMEOUT", 3 * 24 * 3600)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)
MAIL_TASKS_SYNC = env_bool("MAIL_TASKS_SYNC", False)

# Throttles, counted in the cache that every process shares (Redis, else the database):
# failed logins per e-mail address and per client IP in a window of seconds, and account
# e-mails (registration, new verification link, password reset) per address and per IP.
# The web app: its pages ask for a session at the login page, and land on the dashboard after it.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "app:dashboard"
LOGIN_FAILURES_PER_EMAIL = env_int("LOGIN_FAILURES_PER_EMAIL", 5)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20)
LOGIN_FAILURES_WINDOW = env_int("LOGIN_FAILURES_WINDOW", 15 * 60)
ACCOUNT_MAILS_PER_EMAIL = env_int("ACCOUNT_MAILS_PER_EMAIL", 3)
ACCOUNT_MAILS_PER_IP = env_int("ACCOUNT_MAILS_PER_IP", 20)
ACCOUNT_MAILS_WINDOW = env_int("ACCOUNT_MAILS_WINDOW", 3600)
# How many reverse proxies in front of the app append to X-Forwarded-For (0: trust REMOTE_ADDR).
NUM_PROXIES = env_int("NUM_PROXIES", 0)

LANGUAGE_CODE = "en"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded files (post images) are best served by the web server in front; this lets the
# application serve them itself (with DEBUG, or on a small installation).
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG else "core.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Mail: Django's own setting names.
# mailing.smtp.EmailBackend is Django's SMTP backend with the TLS context of the delivery engine
# (EMAIL_SSL_CAFILE honoured, the certificate and host name always verified).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "mailing.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 1025)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Both TLS modes verify the server's certificate and host name. EMAIL_SSL_CAFILE: a PEM file of
# the CA(s) to trust instead of the system's (a private CA); SSL_CERT_FILE, read by OpenSSL
# itself, does the same for every TLS client of the process. EMAIL_SSL_CERTFILE and
# EMAIL_SSL_KEYFILE: a client certificate and its key, for a server that asks for one.
EMAIL_SSL_CAFILE = env_str("EMAIL_SSL_CAFILE")
EMAIL_SSL_CERTFILE = env_str("EMAIL_SSL_CERTFILE")
EMAIL_SSL_KEYFILE = env_str("EMAIL_SSL_KEYFILE")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Mailing service <noreply@localhost>")
# The development mail catcher (`manage.py mailcatcher`) keeps each message it receives here.
MAIL_CATCHER_DIR = Path(env_str("MAIL_CATCHER_DIR", str(BASE_DIR / "var" / "mail")))

# The delivery engine. Retries: exponential backoff with jitter from MAILING_RETRY_BASE seconds,
# up to MAILING_MAX_ATTEMPTS transactions and MAILING_MAX_AGE seconds, then FAILED. After
# MAILING_BREAKER_THRESHOLD connection failures in a row a run pauses for MAILING_BREAKER_COOLDOWN
# seconds (doubling while the server stays away), then tries the server again by itself.
MAILING_BATCH_SIZE = env_int("MAILING_BATCH_SIZE", 200)
MAILING_LEASE_SECONDS = env_int("MAILING_LEASE_SECONDS", 120)
MAILING_MAX_ATTEMPTS = env_int("MAILING_MAX_ATTEMPTS", 5)
MAILING_MAX_AGE = env_int("MAILING_MAX_AGE", 24 * 3600)
MAILING_RETRY_BASE = env_int("MAILING_RETRY_BASE", 60)
MAILING_RETRY_MAX = env_int("MAILING_RETRY_MAX", 6 * 3600)
MAILING_BREAKER_THRESHOLD = env_int("MAILING_BREAKER_THRESHOLD", 5)
MAILING_BREAKER_COOLDOWN = env_int("MAILING_BREAKER_COOLDOWN", 60)
MAILING_BREAKER_COOLDOWN_MAX = env_int("MAILING_BREAKER_COOLDOWN_MAX", 3600)
# Workers that share one run (each with its own SMTP connection), and how long one task sends
# before it hands the rest of the run to a fresh task (kept well under the cluster's timeout).
MAILING_RUN_WORKERS = env_int("MAILING_RUN_WORKERS", Q_CLUSTER_WORKERS)
MAILING_TASK_SECONDS = env_int("MAILING_TASK_SECONDS", Q_CLUSTER_TIMEOUT // 2)
MAILING_SMTP_PIPELINING = env_bool("MAILING_SMTP_PIPELINING", True)
# The replies of a batch are written every MAILING_SETTLE_EVERY messages: a worker killed outright
# (SIGKILL, a lost machine) sends at most that many of them again.
MAILING_SETTLE_EVERY = env_int("MAILING_SETTLE_EVERY", 20)
# The sending rate per SMTP server (host:port), shared by every worker of every cluster (Redis, or
# the database without it); 0 is no limit. A 421 or 4.7.x reply pauses the server for
# MAILING_RATE_PAUSE seconds (ten minutes at least). See mailing/delivery/rate.py.
MAILING_RATE_PER_SECOND = env_int("MAILING_RATE_PER_SECOND", 0)
MAILING_RATE_PER_HOUR = env_int("MAILING_RATE_PER_HOUR", 0)
MAILING_RATE_PER_DAY = env_int("MAILING_RATE_PER_DAY", 0)
MAILING_RATE_PAUSE = env_int("MAILING_RATE_PAUSE", 600)

# Bounces (README "Bounces, complaints and the suppression list"). With BOUNCE_ADDRESS set
# (bounces@mail.example), each message's envelope sender is bounces+<signed token>@mail.example,
# naming its delivery row; the BOUNCE_IMAP_* mailbox that address delivers to is read every
# minute. BOUNCE_SOFT_LIMIT soft bounces in a row suppress an address.
BOUNCE_ADDRESS = env_str("BOUNCE_ADDRESS")
BOUNCE_IMAP_HOST = env_str("BOUNCE_IMAP_HOST")
BOUNCE_IMAP_PORT = env_int("BOUNCE_IMAP_PORT", 993)
BOUNCE_IMAP_USER = env_str("BOUNCE_IMAP_USER")
BOUNCE_IMAP_PASSWORD = env_str("BOUNCE_IMAP_PASSWORD")
BOUNCE_IMAP_SSL = env_bool("BOUNCE_IMAP_SSL", True)
BOUNCE_IMAP_FOLDER = env_str("BOUNCE_IMAP_FOLDER", "INBOX")
BOUNCE_SOFT_LIMIT = env_int("BOUNCE_SOFT_LIMIT", 3)

# CORS: an explicit allow-list of origins; credentials so a browser app can use the session.
# An origin allowed to call the API with the session is also trusted for CSRF (Django checks
# the Origin header of a cross-origin POST against CSRF_TRUSTED_ORIGINS).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/(graphql|accounts/csrf)/?$"
CSRF_TRUSTED_ORIGINS = list(dict.fromkeys([*CSRF_TRUSTED_ORIGINS, *CORS_ALLOWED_ORIGINS]))

# Cookies and HTTPS, for production: SECURE_COOKIES=1, SECURE_SSL_REDIRECT=1,
# SECURE_HSTS_SECONDS=31536000 (and SECURE_HSTS_PRELOAD=1 once the domain is ready for it).
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
# "None" (with SECURE_COOKIES) for a browser app on another site; "Lax" keeps cross-site POSTs out.
SESSION_COOKIE_SAMESITE = env_str("SESSION_COOKIE_SAMESITE", "Lax")
CSRF_COOKIE_SAMESITE = env_str("CSRF_COOKIE_SAMESITE", SESSION_COOKIE_SAMESITE)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4) on every response: scripts only from our own static files
# (no inline script, no eval), no page may frame ours. Styles allow inline attributes: Alpine's
# `:style` bindings and GraphiQL's editor set them (a style cannot run code). frame-src 'self' is
# the message preview, itself sandboxed with a stricter policy of its own (mailing.views).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# GraphQL: GraphiQL follows DEBUG unless set explicitly, and introspection follows GraphiQL
# (which needs it). Both are read on each request.
GRAPHIQL = env_bool("GRAPHIQL", DEBUG)
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", GRAPHIQL)
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 10)
GRAPHQL_MAX_TOKENS = env_int("GRAPHQL_MAX_TOKENS", 2000)
GRAPHQL_MAX_ALIASES = env_int("GRAPHQL_MAX_ALIASES", 30)
GRAPHQL_PAGE_SIZE_MAX = 100
IMPORT_CLIENTS_MAX_ROWS = env_int("IMPORT_CLIENTS_MAX_ROWS", 50_000)

# Home page and blog.
HOME_STATS_TTL = env_int("HOME_STATS_TTL", 30)  # seconds the home figures stay cached
BLOG_IMAGE_MAX_BYTES = env_int("BLOG_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
BLOG_IMAGE_MAX_SIDE = 8000  # pixels, each side
BLOG_RANDOM_POSTS_MAX = 10


def _static(path: str) -> str:
    from django.templatetags.static import static

    return static(path)


# Bootstrap is served from our own static files: pages must not depend on a CDN.
BOOTSTRAP5 = {
    "css_url": {"url": lazy(_static, str)("vendor/bootstrap/bootstrap.min.css")},
    "javascript_url": None,
}

STRAWBERRY_DJANGO = {
    "MUTATIONS_DEFAULT_HANDLE_ERRORS": True,
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
}

# One line a record, with the request's id (also in the response's X-Request-ID header) or "-"
# outside a request. GraphQL errors are logged by `strawberry.execution` (graphql_schema/schema.py
# `Schema.process_errors`): a client's mistake at INFO in one line, anything else at ERROR with
# its traceback; GRAPHQL_LOG_LEVEL=WARNING keeps only the latter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"strawberry.execution": {"level": env_str("GRAPHQL_LOG_LEVEL", env_str("LOG_LEVEL", "INFO"))}},
}
