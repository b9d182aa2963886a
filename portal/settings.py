"""Tierwise settings: everything that differs between machines comes from the environment.

The embedded default (no variables set) needs no server: SQLite in var/ and Celery's
filesystem:// broker. Production sets DATABASE_URL=postgres://…, CELERY_BROKER_URL=redis://…
and the rest listed in the README.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TIERWISE_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_int_list(name: str, default: list[int]) -> list[int]:
    """Whole numbers of days, comma-separated ("90,30,7"), each 0 or more."""
    items = env_list(name)
    if not items:
        return list(default)
    try:
        days = [int(item) for item in items]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be whole numbers, comma-separated") from exc
    if any(day < 0 for day in days):
        raise ImproperlyConfigured(f"{name} must be 0 or more")
    return days


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

_INSECURE_KEY = "django-insecure-tierwise-development-key-not-for-production"
SECRET_KEY = env_str("SECRET_KEY") or (_INSECURE_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
if not DEBUG and (SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be a real secret (50+ characters) when DEBUG is off."
    )

# The test clock (portal.clock), as Stripe's test clocks: staff move the site's date
# forward and every time-based job due in between runs. For development and demos only:
# refused when DEBUG is off unless TEST_CLOCK_WITHOUT_DEBUG says so explicitly.
TEST_CLOCK = env_bool("TEST_CLOCK", False)
if TEST_CLOCK and not DEBUG and not env_bool("TEST_CLOCK_WITHOUT_DEBUG", False):
    raise ImproperlyConfigured(
        "TEST_CLOCK is for development: it needs DEBUG, or TEST_CLOCK_WITHOUT_DEBUG=true."
    )

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if urlsplit(SITE_URL).hostname and urlsplit(SITE_URL).hostname not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(urlsplit(SITE_URL).hostname)
CSRF_TRUSTED_ORIGINS = [f"{urlsplit(SITE_URL).scheme}://{urlsplit(SITE_URL).netloc}"]

INSTALLED_APPS = [
    "portal",
    "licensing",
    "billing",
    "portal.apps.TierwiseAdminConfig",  # django.contrib.admin, scoped to one's customers
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "simple_history",
    "ninja",  # so the API docs use its bundled Swagger UI, not a CDN
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Ahead of WhiteNoise, so static files (SVG images too) carry the policies as well.
    "csp.middleware.CSPMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    # Before anything reads the path, the query or the form (see its docstring).
    "portal.middleware.MalformedInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.StaffMFAMiddleware",
    "portal.unavailable.ServiceUnavailableMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.navigation",
                "portal.context_processors.test_clock",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tierwise.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
# Every view runs in one transaction: a request that fails half-way (a dead Redis above
# all, see portal/unavailable.py) leaves nothing half-written.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg's pool: opening a connection per request costs about 5x the request itself.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 2),
        "max_size": env_int("DATABASE_POOL_MAX", 10),
        "timeout": 10,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery and cache -----------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
REDIS_BROKER_TRANSPORT_OPTIONS = {
    # A task not acknowledged within this window is redelivered; it must exceed the
    # longest task (time limits below) so acks_late never runs a task twice at once.
    "visibility_timeout": 3600,
    # A web request that hands a task over gives up on a dead broker within about two
    # seconds (kombu would otherwise retry the connection for ever); the outbox and the
    # beat sweep deliver what could not be handed over.
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
BROKER_IS_REDIS = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_queue_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif BROKER_IS_REDIS:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "tierwise")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = False
# The beat schedule lives in code (portal/celery.py) so every deploy runs the same one.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

CACHE_URL = env_str("CACHE_URL", CELERY_BROKER_URL if BROKER_IS_REDIS else "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "tierwise",
            # A Redis that does not answer fails the request in a second (a 503), rather
            # than holding a web worker until the load balancer gives up.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # Shared between the web workers of one machine, so rate limits hold across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "app_home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "portal.forms.SignupExtraForm"
ACCOUNT_FORMS = {"request_login_code": "portal.account_forms.LoginCodeRequestForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Tierwise] "
# "ip" is the client's address as portal.http.client_address reads it (see
# TRUSTED_PROXY_COUNT below), never the load balancer's, which every visitor shares.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Guessing someone's password closes only the password: the emailed sign-in code
    # and the password reset have limits of their own and stay open to them.
    "login_failed": "10/m/ip,5/5m/key",
    "request_login_code": "20/m/ip,3/m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "confirm_email": "1/3m/key",
}
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# How many proxies of ours (load balancers) stand before the web processes, each adding
# the address it saw to X-Forwarded-For. 0: the header is ignored, since a client can
# write it; N: the client is the address the outermost of them added.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tierwise"
# Staff must have two-factor authentication before they reach staff pages.
TIERWISE_STAFF_REQUIRE_MFA = env_bool("STAFF_REQUIRE_MFA", not DEBUG)
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)

# --- Licensing ------------------------------------------------------------------------
# Ed25519 private key (PEM, or the PEM in base64) that signs license files. Without it a
# DEBUG run (and the tests) generates one into var/ on first use; production refuses.
LICENSE_SIGNING_KEY = env_str("LICENSE_SIGNING_KEY")
LICENSE_SIGNING_KEY_DEV_FILE = str(VAR_DIR / "license-signing-key.pem") if DEBUG else ""
# Requests per API token per minute.
LICENSING_API_RATE_LIMIT = env_int("LICENSING_API_RATE_LIMIT", 600)
# Days an auto-renewing license stays valid after its term while its renewal has not run.
RENEWAL_GRACE_DAYS = env_int("RENEWAL_GRACE_DAYS", 7)
# Proposals (billing.proposals): a negotiated discount above this share waits for an
# admin's approval before it is sent; a proposal is valid this many days by default.
PROPOSAL_APPROVAL_THRESHOLD_PERCENT = env_int("PROPOSAL_APPROVAL_THRESHOLD_PERCENT", 15)
PROPOSAL_VALID_DAYS = env_int("PROPOSAL_VALID_DAYS", 30)
# Renewal reminders: days before the renewal date, per billing cycle (annual covers the
# longer terms too). Each is sent once per license and period (billing.renewals).
RENEWAL_REMINDER_DAYS = {
    "annual": env_int_list("RENEWAL_REMINDER_DAYS_ANNUAL", [90, 30, 7]),
    "monthly": env_int_list("RENEWAL_REMINDER_DAYS_MONTHLY", [7]),
}
# A price rise at the next renewal is told at least this many days ahead (or at the first
# reminder, for shorter terms).
PRICE_INCREASE_NOTICE_DAYS = env_int("PRICE_INCREASE_NOTICE_DAYS", 90)
# Dunning of an unpaid invoice, in days after its due date: reminders, then the license
# is past due (still usable), then suspended (held by dunning until paid). Copied onto
# each invoice when it is finalized.
DUNNING_REMINDER_DAYS = env_int_list("DUNNING_REMINDER_DAYS", [1, 7, 14])
DUNNING_PAST_DUE_DAYS = env_int("DUNNING_PAST_DUE_DAYS", 7)
DUNNING_SUSPEND_DAYS = env_int("DUNNING_SUSPEND_DAYS", 30)
# How long a canceled subscription's data stays readable (read-only) after its term ends,
# as the cancel page promises.
CANCELED_DATA_RETENTION_DAYS = env_int("CANCELED_DATA_RETENTION_DAYS", 90)
# Failed API authentications per client address per minute; past it, unknown tokens from
# that address are refused (429) without a database lookup.
LICENSING_API_AUTH_FAILURE_LIMIT = env_int("LICENSING_API_AUTH_FAILURE_LIMIT", 30)

# --- Payments -------------------------------------------------------------------------
# Where customers send a bank transfer (billing.providers.bank_transfer): shown on every
# open invoice, page and PDF, with the invoice number as the payment reference. The
# defaults are a demo account (the IBAN is the standard example number, which no bank
# holds); `manage.py check --deploy` warns while they are in use.
TIERWISE_BANK_DETAILS = {
    "account_name": env_str("BANK_ACCOUNT_NAME", "Tierwise Demo Ltd"),
    "bank_name": env_str("BANK_NAME", "Example Bank plc, London"),
    "iban": env_str("BANK_IBAN", "GB33 BUKB 2020 1555 5555 55"),
    "bic": env_str("BANK_BIC", "BUKBGB22"),
}

# Cards, through Stripe (billing.providers.stripe_card, billing.cards). A DEBUG run (make
# run, the tests) talks to localstripe, the fake Stripe server `make run` and .ci/run
# start on port 8420, with its own fake Stripe.js; production talks to Stripe itself
# once STRIPE_API_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET are set (README,
# "Card payments"). Without an API key, card payments are off and invoices are paid by
# bank transfer only.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "http://localhost:8420" if DEBUG else "").rstrip("/")
STRIPE_JS_URL = env_str(
    "STRIPE_JS_URL",
    f"{STRIPE_API_BASE}/js.stripe.com/v3/" if STRIPE_API_BASE else "https://js.stripe.com/v3/",
)
STRIPE_API_KEY = env_str("STRIPE_API_KEY", "sk_test_localstripe" if DEBUG else "")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe" if DEBUG else "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "whsec_localstripe" if DEBUG else "")
# Who issues the invoices (billing.tax.seller), printed on every invoice and credit note
# and copied onto each invoice when it is finalized. The defaults are a demo company (its
# VAT number is a published example); `manage.py check --deploy` warns while they are in
# use. The seller's country and its tax union decide the tax (billing.tax.rules): the
# union is the EU's VAT area unless TAX_UNION says otherwise (ISO codes, comma-separated;
# empty for none).
TIERWISE_SELLER = {
    "legal_name": env_str("SELLER_LEGAL_NAME", "Tierwise Demo Ltd"),
    # Lines separated by "|".
    "address": [
        line.strip()
        for line in env_str("SELLER_ADDRESS", "1 Example Quay|Dublin 2, D02 X285").split("|")
        if line.strip()
    ],
    "country": env_str("SELLER_COUNTRY", "IE"),
    "tax_id": env_str("SELLER_TAX_ID", "IE6388047V"),
    "registration": env_str("SELLER_REGISTRATION", "Registered in Ireland, company no. 999999"),
    "email": env_str("SELLER_BILLING_EMAIL", "billing@tierwise.example"),
}
TIERWISE_TAX_UNION = env_list(
    "TAX_UNION",
    "AT,BE,BG,CY,CZ,DE,DK,EE,ES,FI,FR,GR,HR,HU,IE,IT,LT,LU,LV,MT,NL,PL,PT,RO,SE,SI,SK",
)

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tierwise <no-reply@tierwise.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Locale ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------
# Sessions are kept in the database and read through the cache (portal/sessions.py): a
# signed-in page reads its session from Redis instead of PostgreSQL; the database stays
# the record.
SESSION_ENGINE = "portal.sessions"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# The site's 403 page, or JSON under /api/ (which authenticates by token, not cookie).
CSRF_FAILURE_VIEW = "portal.views.errors.csrf_failure"
# Content-Security-Policy (django-csp): scripts, styles, fonts and requests only from the
# site itself, with no inline script or style and no eval, so markup that slips into a
# page cannot run. Templates keep to it: behaviour lives in static/js, styles in
# static/css, and the pygal charts are drawn without their inline <style> and <script>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Browser features no page uses, denied to every origin (portal.middleware).
PERMISSIONS_POLICY_OFF = [
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list binds every subdomain to HTTPS for months and
        # is hard to undo, so it is the operator's explicit choice, not a deploy warning.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz is probed over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_error_one_line": {"()": "portal.logs.ClientErrorWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # A 403 or 400 is one line in the log; a 500 keeps its traceback.
    "loggers": {
        # Once, through our handler: Django's own console handler (on in DEBUG) would
        # print every line a second time.
        "django": {"handlers": ["console"], "propagate": False},
        "django.request": {"filters": ["client_error_one_line"]},
        # The Stripe library logs every API request at INFO; its errors still show.
        "stripe": {"level": "WARNING"},
    },
}
