"""KAM settings: one module, driven by the environment.

Every variable is listed in `.env.example` and in the README's configuration table.
Defaults suit a developer's laptop (SQLite under var/, Celery tasks run in-process);
production sets DEBUG=0 and real values and passes `manage.py check --deploy`.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as `600/min`, refused at start-up rather than on every request."""
    value = os.environ.get(name) or default
    if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", value.strip()):
        raise ImproperlyConfigured(f"{name}={value!r}: expected requests/period, e.g. 600/min or 10/s.")
    return value.strip()


# --- Core -----------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-kam-development-only-key"  # noqa: S105 — DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Runtime files (the SQLite database, screenshots) live here, outside version control.
VAR_DIR = Path(os.environ.get("KAM_VAR_DIR", BASE_DIR / "var"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "kam",
    "web",
    "audit",
    "users",
    "events",
    "accounts",
    "scoring",
    "pipeline",
    "servicing",
    "receivables",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so it wraps everything that may touch PostgreSQL or Redis (sessions, logins, views).
    "web.middleware.ServiceUnavailableMiddleware",
    "web.middleware.PageMethodsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "web.middleware.PageLoginRequiredMiddleware",
    "audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

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
                "django.template.context_processors.i18n",
                "events.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'kam.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A persistent connection is checked before reuse, so a restarted PostgreSQL
        # costs one failed request at most instead of every request on a dead socket.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A database host that drops packets answers 503 in seconds, not after the TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Logins ---------------------------------------------------------------------------

AUTH_USER_MODEL = "users.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out username+IP pairs before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling: 5 failures per username+IP lock that pair out for 15 minutes.
# Unknown usernames are counted the same way, so the answer reveals nothing.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "web.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "web.auth.client_ip"  # behind a proxy, the same address the API limits use
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Internationalisation -------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Cache ----------------------------------------------------------------------------

# API throttling counts requests here, so all web processes must share one cache: Redis when
# REDIS_URL (or a redis:// broker URL) is set. Otherwise each process counts for itself in memory.
_cache_url = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "kam",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Static files ---------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security (production values whenever DEBUG is off) -------------------------------

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a TLS-terminating proxy (nginx, a load balancer) that sets X-Forwarded-Proto.
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Sent on every response by web.middleware.SecurityHeadersMiddleware; docs/security.md says why
# each source is there. Scripts only from KAM itself (no inline script anywhere: the pages,
# ECharts, Swagger UI's split view, Redoc and the admin all load files); styles also inline,
# for the bar widths in style attributes and the HTML ECharts and Swagger UI build at run time.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Geolocation for KAM itself (the visit check-in), every other powerful feature off.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "bluetooth": [],
    "midi": [],
    "magnetometer": [],
    "gyroscope": [],
    "accelerometer": [],
    "display-capture": [],
    "fullscreen": [],
    "browsing-topics": [],
}
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(14 * 24 * 3600)))
# Largest request body accepted (bytes); bigger bodies get a 400, not a 500.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(5 * 1024 * 1024)))

# --- REST API -------------------------------------------------------------------------

REST_FRAMEWORK = {
    # API keys first: that class also refuses credentials in the URL, whatever authenticates.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "web.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "web.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "web.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "web.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "web.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Requests per signed-in user and per anonymous client IP; over the limit is a 429 with
    # Retry-After. The counts live in the cache (see Cache), which every web process must share.
    "DEFAULT_THROTTLE_CLASSES": ["web.throttling.UserRateThrottle", "web.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_rate("KAM_API_THROTTLE_USER", "600/min"),
        "anon": env_rate("KAM_API_THROTTLE_ANON", "60/min"),
    },
    # Proxies in front of KAM that append to X-Forwarded-For. 0 trusts only REMOTE_ADDR, so a
    # client cannot pick its own IP (and escape its limit) by sending that header itself.
    "NUM_PROXIES": int(os.environ.get("KAM_NUM_PROXIES", "0")),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "KAM API",
    "DESCRIPTION": (
        "Key-account management: customers, contacts, visits, transactions, scores and tiers, "
        "opportunities through the five-stage pipeline, account plans and the manager dashboard.\n\n"
        "Authenticate with `POST /api/v1/auth/token/` and send `Authorization: Token <key>`, or, "
        "for an integration, with an API key (`/account/api-keys/`): `Authorization: Api-Key <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets named after their model, not their field ("status" means other things elsewhere).
    "ENUM_NAME_OVERRIDES": {
        "ApiKeyScopeEnum": "users.models.ApiKeyScope",
        "ApiKeyStatusEnum": "users.models.ApiKeyStatus",
    },
}

# --- Celery ---------------------------------------------------------------------------

# No broker configured: tasks run eagerly in-process, so a laptop needs no Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL or None
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged after it finishes, and a task whose worker is killed goes back
# on the queue (acks_late alone would still drop it when the worker process dies).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", str(2 * 3600)))
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 300
# Redis redelivers an unacknowledged task after this long: it must exceed the longest job,
# or a long scoring run would be started a second time while the first still runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 3600}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose Redis goes away keeps reconnecting until it is back, however long that takes.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A web request that queues a task gives up within a few seconds when Redis is down, so it can
# answer 503 instead of hanging (web.middleware.ServiceUnavailableMiddleware).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_TASK_TRACK_STARTED = True
# Nightly whole-population scoring (动态评估), local time; SCORING_NIGHTLY_AT="" turns it off.
SCORING_NIGHTLY_AT = os.environ.get("SCORING_NIGHTLY_AT", "02:30")
CELERY_BEAT_SCHEDULE: dict = {}
if SCORING_NIGHTLY_AT:
    _hour, _minute = (int(part) for part in SCORING_NIGHTLY_AT.split(":"))
    CELERY_BEAT_SCHEDULE["nightly-scoring"] = {
        "task": "scoring.nightly",
        "schedule": crontab(hour=_hour, minute=_minute),
    }

# How long a run waits, at its end, for readers of the customers' standing table before it
# swaps the new one in (milliseconds); past it the run fails and its task retries it.
SCORING_SWAP_LOCK_TIMEOUT_MS = int(os.environ.get("SCORING_SWAP_LOCK_TIMEOUT_MS", "5000"))

# Score history (scoring.history): every run's snapshots for SCORING_HISTORY_DAYS days, then only
# the last run of each month; pruned daily at SCORING_PRUNE_AT, local time ("" turns it off).
SCORING_HISTORY_DAYS = int(os.environ.get("SCORING_HISTORY_DAYS", "400"))
SCORING_PRUNE_AT = os.environ.get("SCORING_PRUNE_AT", "03:30")
if SCORING_PRUNE_AT:
    _hour, _minute = (int(part) for part in SCORING_PRUNE_AT.split(":"))
    CELERY_BEAT_SCHEDULE["prune-score-history"] = {
        "task": "scoring.prune_history",
        "schedule": crontab(hour=_hour, minute=_minute),
    }

# The outbox's sweep (events.tasks.sweep): events never dispatched and webhook deliveries never
# attempted or due for a retry are queued again, so a worker killed after a commit loses nothing.
CELERY_BEAT_SCHEDULE["events-sweep"] = {"task": "events.sweep", "schedule": 60.0}
# Installments fallen overdue since the last run are announced (installment.overdue) each
# morning, local time, before the digests; idempotent, so a repeated run announces nothing twice.
CELERY_BEAT_SCHEDULE["overdue-installments"] = {
    "task": "receivables.announce_overdue",
    "schedule": crontab(hour=7, minute=0),
}

# --- Notifications and the daily digest e-mail (events/notifications.py, events/digest.py) ---
# Local time of the "follow-up due today" notifications and, after them, the digest e-mails;
# KAM_DIGEST_AT="" turns both off.
KAM_DIGEST_AT = os.environ.get("KAM_DIGEST_AT", "07:30")
if KAM_DIGEST_AT:
    _hour, _minute = (int(part) for part in KAM_DIGEST_AT.split(":"))
    CELERY_BEAT_SCHEDULE["follow-ups-due"] = {
        "task": "accounts.follow_ups_due",
        "schedule": crontab(hour=_hour, minute=max(0, _minute - 15)),
    }
    CELERY_BEAT_SCHEDULE["daily-digest"] = {
        "task": "events.send_digests",
        "schedule": crontab(hour=_hour, minute=_minute),
    }
# Links in e-mails are absolute: the site's address as people reach it (e.g. https://kam.example.com).
KAM_SITE_URL = os.environ.get("KAM_SITE_URL", "")
# E-mail: printed to the console in development; SMTP (EMAIL_HOST…) otherwise.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "KAM <kam@localhost>")

# --- Outbound webhooks (events/, docs/webhooks.md) ---------------------------------------
# Short timeouts: a slow receiver must not hold a worker (seconds).
KAM_WEBHOOK_CONNECT_TIMEOUT = float(os.environ.get("KAM_WEBHOOK_CONNECT_TIMEOUT", "3"))
KAM_WEBHOOK_READ_TIMEOUT = float(os.environ.get("KAM_WEBHOOK_READ_TIMEOUT", "5"))
# Seconds to wait before each retry (jittered ±20%): 1 min, 5 min, 30 min, 2 h, 12 h, then failed.
KAM_WEBHOOK_RETRY_SCHEDULE = [
    int(part)
    for part in os.environ.get("KAM_WEBHOOK_RETRY_SCHEDULE", "60,300,1800,7200,43200").split(",")
    if part.strip()
]
# This many deliveries failing in a row (retries exhausted) disable a subscription; admins are told.
KAM_WEBHOOK_DISABLE_AFTER = int(os.environ.get("KAM_WEBHOOK_DISABLE_AFTER", "10"))
# Targets on loopback or private networks are refused (SSRF) unless this is on (tests, demos).
# Cloud metadata addresses are refused always.
KAM_WEBHOOK_ALLOW_PRIVATE = os.environ.get("KAM_WEBHOOK_ALLOW_PRIVATE", "") in {"1", "true", "yes"}
# The Celery queue of the outbox's tasks (default: Celery's default queue).
KAM_EVENTS_QUEUE = os.environ.get("KAM_EVENTS_QUEUE") or None

# A visit's check-in farther than this from the customer's site is flagged (metres).
KAM_CHECKIN_MAX_METERS = int(os.environ.get("KAM_CHECKIN_MAX_METERS", "1000"))
# A visit may be dated at most this many minutes ahead of the server's clock (a phone's runs fast).
KAM_VISIT_FUTURE_SKEW_MINUTES = int(os.environ.get("KAM_VISIT_FUTURE_SKEW_MINUTES", "5"))

# --- Logging --------------------------------------------------------------------------

# Error reports (the e-mails to ADMINS, the technical 500 data) mask a contact's personal data too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "accounts.reporting.PersonalDataReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # SQL with its parameters (DEBUG level) would put contacts' personal data in the logs.
    "loggers": {"axes": {"level": "WARNING"}, "django.db.backends": {"level": "INFO"}},
}
