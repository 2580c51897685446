"""Settings, read once from the environment (and a `.env` file, which the environment overrides).

ENVIRONMENT is `development` (default) or `production`. Production has no default for any secret
and refuses to start without them, or with a gateway that is not Razorpay's HTTPS API.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from payments_service.amount_limits import parse_amount_limits
from payments_service.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env", override=False)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    return value.lower() in {"1", "true", "yes", "on"} if value else default


def env_int(name: str, default: int) -> int:
    value = env(name)
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_duration(name: str, default: str) -> int:
    """Seconds from `90`, `90s`, `15m`, `24h` or `7d`."""
    return _duration(name, env(name, default))


def _duration(name: str, value: str) -> int:
    value = value.lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (value[:-1], units[value[-1]]) if value[-1:] in units else (value, 1)
    if not number.isdigit():
        raise ImproperlyConfigured(f"{name} must be a duration like 90s, 15m, 24h; got {value!r}")
    return int(number) * unit


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


ENVIRONMENT = env("ENVIRONMENT", "development").lower()
IS_PRODUCTION = ENVIRONMENT == "production"
# Which Razorpay keys, apart from ENVIRONMENT (as dj-stripe keeps STRIPE_LIVE_MODE apart): a
# staging deployment runs production's hardening with test keys (RAZORPAY_LIVE_MODE=false).
RAZORPAY_LIVE_MODE = env_bool("RAZORPAY_LIVE_MODE", IS_PRODUCTION)
_RAZORPAY_KEYS = (
    ("RAZORPAY_LIVE_KEY_ID", "RAZORPAY_LIVE_SECRET_KEY")
    if RAZORPAY_LIVE_MODE
    else ("RAZORPAY_TEST_KEY_ID", "RAZORPAY_TEST_SECRET_KEY")
)
DEBUG = env("DJANGO_DEBUG").lower() == "true"

# --- Secrets: production must be given each of them -----------------------------------------
_PRODUCTION_REQUIRED = [
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    *_RAZORPAY_KEYS,
    "RAZORPAY_WEBHOOK_SECRET",
]
if IS_PRODUCTION:
    missing = [name for name in _PRODUCTION_REQUIRED if not env(name)]
    if missing:
        raise ImproperlyConfigured(
            "ENVIRONMENT=production needs these variables: " + ", ".join(missing)
        )

SECRET_KEY = env("DJANGO_SECRET_KEY") or "development-only-key-never-used-in-production"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

# --- Razorpay --------------------------------------------------------------------------------
RAZORPAY_API_BASE_URL = env("RAZORPAY_API_BASE_URL", "https://api.razorpay.com").rstrip("/")
RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET = (env(name) for name in _RAZORPAY_KEYS)
RAZORPAY_WEBHOOK_SECRET = env("RAZORPAY_WEBHOOK_SECRET")
# During a secret rotation, deliveries signed with the previous secret stay valid.
RAZORPAY_WEBHOOK_SECRET_PREVIOUS = env("RAZORPAY_WEBHOOK_SECRET_PREVIOUS")
# The SDK sets no timeout; every call gets these (seconds).
RAZORPAY_CONNECT_TIMEOUT = float(env("RAZORPAY_CONNECT_TIMEOUT", "3.05"))
RAZORPAY_READ_TIMEOUT = float(env("RAZORPAY_READ_TIMEOUT", "10"))
# Extra attempts for calls that are safe to repeat (reads, idempotent refunds).
RAZORPAY_RETRIES = env_int("RAZORPAY_RETRIES", 1)
# Connections kept open to the gateway: one per server thread.
RAZORPAY_HTTP_POOL_SIZE = env_int("RAZORPAY_HTTP_POOL_SIZE", 32)
# The simulator speaks plain HTTP; only the benchmark may run production settings against it.
BENCH_ALLOW_SIMULATOR = env_bool("BENCH_ALLOW_SIMULATOR")
if IS_PRODUCTION and not RAZORPAY_API_BASE_URL.startswith("https://") and not BENCH_ALLOW_SIMULATOR:
    raise ImproperlyConfigured(
        "ENVIRONMENT=production refuses a non-HTTPS RAZORPAY_API_BASE_URL (the simulator); "
        "set BENCH_ALLOW_SIMULATOR=true only for benchmarks"
    )

# --- Application -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",  # failed staff logins and lockouts
    "django_otp",  # two-factor sign-in for staff
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us: no CDN
    "django_tasks",
    "django_tasks_db",
    "payments_service",
    "audit",
    "clients",
    "notifications",
    "payments",
    "refunds",
    "disputes",
    "webhooks",
    "backoffice",
]

MIDDLEWARE = [
    "payments_service.middleware.RequestIdMiddleware",
    "payments_service.middleware.RequestTelemetryMiddleware",
    "payments_service.middleware.ProblemDetailsMiddleware",
    "payments_service.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Above: what every response gets. Below: what probes skip (the Host check among them).
    "payments_service.middleware.ProbeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The admin's alone (every other path passes straight through): two-factor verification
    # and its requirement, and django-axes' lockout answer (so axes.W002 is silenced below).
    "backoffice.middleware.StaffAdminMiddleware",
]

ROOT_URLCONF = "payments_service.urls"
WSGI_APPLICATION = "payments_service.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database --------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
    }
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "var" / "db.sqlite3"}
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg's pool, per process: a request takes a connection at its first query, hands it
    # back before each gateway call (payments_service/db.py: release_connections) and takes
    # one again after, so threads waiting on Razorpay hold none. An instance uses at most
    # WEB_CONCURRENCY x DB_POOL_SIZE connections, whatever its threads (gunicorn.conf.py).
    # The pool checks a connection (an empty query) each time it lends one, and replaces one
    # that fails the check, as Django's health check did for a persistent connection.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("DB_POOL_SIZE", 8),
        # A request that waits longer for a connection is answered 503 (problems.py).
        "timeout": float(env("DB_POOL_TIMEOUT", "5")),
    }

# Test databases are named per process, so that test runs side by side never share one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE makes writers queue on the
        # busy timeout at BEGIN instead of failing on a lock upgrade mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that live-server threads share the database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits) ---------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis: its client is built once, and a rate limit counts through it in one
            # script (payments_service/ratelimit.py), not get_usage's `add` then `incr`.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth, i18n, static ----------------------------------------------------------------------
# django-axes' backend first: it refuses a locked-out account before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# axes.W002: its middleware runs inside StaffAdminMiddleware. axes.W006: lockout is by account
# on purpose (guessing from many addresses must still lock it); a superuser lifts it.
SILENCED_SYSTEM_CHECKS = ["axes.W002", "axes.W006"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Messages in the session (server side), not in their default cookie, which is signed but
# readable by anyone who has it: the admin shows a newly issued API key as a message.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root at every start
# Outside production the admin's CSS is served straight from the apps, no collectstatic step.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- HTTP limits, CORS, security -------------------------------------------------------------
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = ["x-request-id", "idempotent-replayed", "retry-after"]

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if IS_PRODUCTION:
    # TLS ends at the load balancer, which says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes from inside the cluster speak plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Staff accounts: sessions, lockout, two-factor sign-in -----------------------------------
# Sessions are the back office's alone (client apps use API keys): a staff sign-in lasts this.
STAFF_SESSION_HOURS = env_int("STAFF_SESSION_HOURS", 8)
SESSION_COOKIE_AGE = STAFF_SESSION_HOURS * 3600
# Staff who can move money or manage keys must sign in with a TOTP code too; those without a
# device are sent to enrol and reach nothing else. Off outside production: a password is enough.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", IS_PRODUCTION)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Payments back office")
# This many failed sign-ins lock the account (by username, from any address) for the cool-off
# (0: until a superuser lifts it in the admin's access attempts).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = (env_duration("AXES_COOLOFF_TIME", "1h") / 3600) or None
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "payments_service.ratelimit.client_ip"  # behind TRUSTED_PROXY_HOPS
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "backoffice/locked_out.html"

# --- Payments --------------------------------------------------------------------------------
PAYMENT_MAX_AMOUNT = env_int("PAYMENT_MAX_AMOUNT", 50_000_000)

# --- Four-eyes refunds -----------------------------------------------------------------------
# A staff refund (the admin, `refund_payment`) above this, per currency in minor units
# (`INR:1000000,USD:100000`), waits `awaiting_approval` for a second finance user. Unset: off;
# a currency left out: no limit. A client app's own limit is on the app (off by default).
try:
    REFUND_APPROVAL_THRESHOLD = parse_amount_limits(env("REFUND_APPROVAL_THRESHOLD"))
except ValueError as exc:
    raise ImproperlyConfigured(f"REFUND_APPROVAL_THRESHOLD: {exc}") from None
# An unapproved refund fails this long after it was asked for (the expire_refund_approvals chore).
REFUND_APPROVAL_TTL_SECONDS = env_duration("REFUND_APPROVAL_TTL", "72h")

# --- Client apps ------------------------------------------------------------------------------
# Each process remembers a key it has checked this long, so most requests skip the key lookup;
# a key revoked (or an app deactivated) elsewhere stops working within it. 0: look up every time.
API_KEY_CACHE_SECONDS = env_int("API_KEY_CACHE_SECONDS", 5)

# --- Rate limits (django-ratelimit rates, counted in the default cache) -----------------------
RATE_LIMIT_CLIENT_APP = env("RATE_LIMIT_CLIENT_APP", "600/m")
RATE_LIMIT_CONFIRM_IP = env("RATE_LIMIT_CONFIRM_IP", "120/m")
# Proxies in front of the service that append to X-Forwarded-For (0: use the peer address).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
# A cache that does not answer must not turn every request into a 429.
RATELIMIT_FAIL_OPEN = True

# --- Webhooks --------------------------------------------------------------------------------
# Deliveries that fail verification are kept for inspection, but at most this many a minute
# across all processes (a flood of forgeries must not fill the database) and for this long.
WEBHOOK_REJECTED_KEPT_RATE = env("WEBHOOK_REJECTED_KEPT_RATE", "10/m")
WEBHOOK_REJECTED_RETENTION_SECONDS = env_duration("WEBHOOK_REJECTED_RETENTION", "7d")
# An event failing with an error of ours (a bug, the database) answers 500, for Razorpay to
# deliver it again, only while it is younger than this: Razorpay disables an endpoint that
# fails for 24 h. Older, it answers 200 and stays failed for `process_webhooks --failed`.
WEBHOOK_REDELIVERY_WINDOW_SECONDS = env_duration("WEBHOOK_REDELIVERY_WINDOW", "12h")

# --- Reconciliation --------------------------------------------------------------------------
# A payment still `created`, or a refund still `pending`, this long after creation is "stuck".
RECONCILE_STUCK_AFTER_SECONDS = env_duration("RECONCILE_STUCK_AFTER", "24h")

# --- Idempotency -----------------------------------------------------------------------------
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
# How long a running request holds its key; longer than any request can take (the gateway
# timeouts and one retry bound it: about 40 s at most with the defaults; gunicorn's gthread
# workers do not cut a slow request short), so a crashed one's key is free again after it.
IDEMPOTENCY_LOCK_SECONDS = env_int("IDEMPOTENCY_LOCK_SECONDS", 60)

# --- Worker: tasks and chores ---------------------------------------------------------------
# Django's task API on the database backend: no broker; workers claim tasks with SKIP LOCKED.
# Another backend of the same API (RQ, Celery) is a change of this setting.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How often each chore runs (`manage.py worker` runs them; each once across all workers).
CHORE_INTERVALS = {
    "settle_refunds": env_duration("CHORE_SETTLE_REFUNDS_INTERVAL", "1m"),
    "retry_webhooks": env_duration("CHORE_RETRY_WEBHOOKS_INTERVAL", "5m"),
    "reconcile": env_duration("CHORE_RECONCILE_INTERVAL", "1h"),
    "purge": env_duration("CHORE_PURGE_INTERVAL", "1h"),
    "expire_refund_approvals": env_duration("CHORE_EXPIRE_REFUND_APPROVALS_INTERVAL", "5m"),
    "summarise_days": env_duration("CHORE_SUMMARISE_DAYS_INTERVAL", "10m"),
}
# A refund still pending this long after it was made is settled by the chore.
CHORE_SETTLE_REFUNDS_AFTER_SECONDS = env_duration("CHORE_SETTLE_REFUNDS_AFTER", "1m")
# Longer than any chore takes: a chore whose worker died runs again this long after it began.
CHORE_LEASE_SECONDS = env_duration("CHORE_LEASE", "10m")
# Chore runs and stored reconciliation reports are kept this long.
CHORE_HISTORY_DAYS = env_int("CHORE_HISTORY_DAYS", 30)
# How often a worker looks for tasks and due chores when it has nothing to do.
WORKER_POLL_SECONDS = float(env("WORKER_POLL_SECONDS", "1"))

# --- Back office ----------------------------------------------------------------------------
# Whether support staff see money totals on the dashboard (finance always does).
DASHBOARD_MONEY_FOR_SUPPORT = env_bool("DASHBOARD_MONEY_FOR_SUPPORT")

# --- Events ----------------------------------------------------------------------------------
# Events are kept this long in the feed, then purged by the worker's purge chore.
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 30)

# --- Event deliveries to client apps' endpoints (Standard Webhooks; the worker sends them) -----
# Seconds for one POST, connecting and reading included; a 2xx within it is delivered.
NOTIFY_TIMEOUT = float(env("NOTIFY_TIMEOUT", "10"))
# How long a worker holds a delivery it is sending; a killed worker's deliveries go out again
# after it (same webhook-id). Longer than NOTIFY_TIMEOUT.
NOTIFY_LEASE_SECONDS = env_duration("NOTIFY_LEASE", "1m")
if NOTIFY_LEASE_SECONDS <= NOTIFY_TIMEOUT:
    raise ImproperlyConfigured("NOTIFY_LEASE must be longer than NOTIFY_TIMEOUT")
# The waits after each failed attempt (each ±10 %); after the last, the delivery is failed.
# The default ends about three days after the event, as Stripe's does.
NOTIFY_RETRY_SCHEDULE = [
    _duration("NOTIFY_RETRY_SCHEDULE", part)
    for part in env_list("NOTIFY_RETRY_SCHEDULE", "5s,1m,5m,30m,2h,5h,10h,10h,10h,10h,10h,10h")
]
# An endpoint failing this long without one success is disabled (and flagged in the admin).
NOTIFY_DISABLE_AFTER_DAYS = env_int("NOTIFY_DISABLE_AFTER_DAYS", 5)
# After a secret rotation, deliveries are signed with both secrets this long.
NOTIFY_SECRET_OVERLAP_SECONDS = env_duration("NOTIFY_SECRET_OVERLAP", "24h")
# Endpoints on loopback, private, link-local (cloud metadata) and other non-public addresses:
# refused in production, allowed elsewhere (`make run`'s local receiver, tests).
NOTIFY_ALLOW_PRIVATE_URLS = env_bool("NOTIFY_ALLOW_PRIVATE_URLS", not IS_PRODUCTION)
# Production delivers to https:// endpoints only.
NOTIFY_HTTPS_ONLY = IS_PRODUCTION
# Deliveries sent at once by each worker process.
NOTIFY_CONCURRENCY = env_int("NOTIFY_CONCURRENCY", 4)
# Tests only: the CA bundle that endpoints' certificates are checked against (default: certifi's).
NOTIFY_CA_BUNDLE = env("NOTIFY_CA_BUNDLE")

# --- Crash tests -----------------------------------------------------------------------------
# Points at which a request stalls so that a test can SIGKILL the process there (crashpoints.py).
CRASH_POINTS = frozenset(env_list("CRASH_POINTS"))
if IS_PRODUCTION and CRASH_POINTS:
    raise ImproperlyConfigured("CRASH_POINTS is for crash tests only; unset it in production")

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "payments_service.api.ContentNegotiation",
    # DRF's, refusing deep nesting and lone surrogates before a view sees the body.
    "DEFAULT_PARSER_CLASSES": ["payments_service.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "payments_service.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "payments_service.openapi.ServiceAutoSchema",
}

# --- OpenAPI schema (/api/schema/) and its docs page (/api/docs/) -----------------------------
SPECTACULAR_SETTINGS = {
    "TITLE": "Payment service API",
    "DESCRIPTION": "Client apps take payments through Razorpay: initiate, confirm, read, "
    "refund. JSON bodies in camelCase, amounts in the currency's smallest unit, every error an "
    "RFC 9457 problem (application/problem+json).",
    "VERSION": "1.0.0",
    # 3.1: a nullable object is `oneOf: [ref, null]`, which validators agree on (3.0 has none).
    "OAS_VERSION": "3.1.0",
    "DEFAULT_GENERATOR_CLASS": "payments_service.openapi.ServiceSchemaGenerator",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Metrics ---------------------------------------------------------------------------------
# Unset: /metrics is open (keep it off the public network); set: scrapes send it as a Bearer token.
METRICS_TOKEN = env("METRICS_TOKEN")

# --- Logging ---------------------------------------------------------------------------------
# json: one JSON object per line, for a log pipeline; plain: for people reading a terminal.
LOG_FORMAT = (env("LOG_FORMAT") or ("json" if IS_PRODUCTION else "plain")).lower()
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
