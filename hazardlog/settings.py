"""Settings, read from environment variables through small strict helpers.

With DEBUG off (the default) every setting is production-safe: there is no default secret key,
cookies are secure and HSTS is on. `make run` and the tests set DEBUG=true explicitly.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # intcomma: "10,000 hazards", as the NHS style guide writes numbers
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "django_filters",
    "import_export",
    # Before simple_history: its own clean_old_history and clean_duplicate_history (refusals) win.
    "hazardlog",
    "simple_history",
    "axes",
    "resources",
    "safetycase",
    "upstream",
]

MIDDLEWARE = [
    # First: one JSON line per request with the status and duration the client sees (hazardlog/operations).
    "hazardlog.operations.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "hazardlog.bodylimit.RequestBodyLimitMiddleware",  # before anything reads the body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view is marked @login_not_required (guidance, sign-in).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it signs out a session past its absolute lifetime and says so on the sign-in page.
    "hazardlog.accounts.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hazardlog.urls"
WSGI_APPLICATION = "hazardlog.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections in production (the hazard list served ~50% more requests/s than with a new
        # connection per request); each is checked before a request reuses it, so a database restart is survived.
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes). Its backend comes first so that a locked-out account or address is
# refused before any password is hashed: a flood of failures costs a database query each, not a hash.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("HAZARDLOG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("HAZARDLOG_LOGIN_COOLOFF_MINUTES", 15))
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME.total_seconds() < 60:
    raise ImproperlyConfigured("HAZARDLOG_LOGIN_FAILURE_LIMIT and HAZARDLOG_LOGIN_COOLOFF_MINUTES must be at least 1")
# Each counted on its own: an account guessed at from many addresses, and one address trying many accounts.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Not axes' reset on success, which would also clear the address's failures on other accounts: someone
# with an account could sign in between guesses to reset them. hazardlog.accounts clears only the account's.
AXES_RESET_ON_SUCCESS = False
# Attempts while locked out are refused but not recorded: the lock ends a fixed time after the last counted
# failure, and a flood of refused attempts writes nothing.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False  # no banner on every manage.py command
AXES_LOCKOUT_CALLABLE = "hazardlog.accounts.locked_out"
AXES_CLIENT_IP_CALLABLE = "hazardlog.accounts.client_ip"
# Behind N proxies that each append to X-Forwarded-For, the client is the N-th address from the right.
HAZARDLOG_TRUSTED_PROXIES = envint("HAZARDLOG_TRUSTED_PROXIES", 0)

# Sessions end after HAZARDLOG_SESSION_IDLE_MINUTES without a request (a request renews the session at most
# once a minute), and HAZARDLOG_SESSION_MAX_HOURS after signing in whatever the activity (hazardlog.accounts).
SESSION_COOKIE_AGE = 60 * envint("HAZARDLOG_SESSION_IDLE_MINUTES", 30)
HAZARDLOG_SESSION_MAX_HOURS = envint("HAZARDLOG_SESSION_MAX_HOURS", 12)
if SESSION_COOKIE_AGE < 60 or HAZARDLOG_SESSION_MAX_HOURS < 1:
    raise ImproperlyConfigured("HAZARDLOG_SESSION_IDLE_MINUTES and HAZARDLOG_SESSION_MAX_HOURS must be at least 1")

# Password reset e-mails need an SMTP server; without EMAIL_HOST the reset page says to ask an administrator.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"  # where collectstatic writes
# Built by `npm run build` from the nhsuk-frontend package (see package.json).
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["nhsuk"]
CRISPY_TEMPLATE_PACK = "nhsuk"

# Every resource comes from this server: no CDN, no remote fonts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

# Workbook uploads: limits checked before any parsing (hazardlog/workbook/guard.py).
HAZARDLOG_MAX_UPLOAD_BYTES = envint("HAZARDLOG_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
HAZARDLOG_MAX_UNCOMPRESSED_BYTES = envint("HAZARDLOG_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024)
HAZARDLOG_MAX_HAZARDS = envint("HAZARDLOG_MAX_HAZARDS", 10_000)
# Work bounds checked while a workbook is streamed, so that any upload within the limits above is read or
# refused in seconds (bench/upload_bounds.py): zip parts, XML tags when unpacked, rows and cells read.
HAZARDLOG_MAX_PARTS = envint("HAZARDLOG_MAX_PARTS", 1_000)
HAZARDLOG_MAX_XML_TAGS = envint("HAZARDLOG_MAX_XML_TAGS", 2_000_000)
HAZARDLOG_MAX_ROWS = envint("HAZARDLOG_MAX_ROWS", 50_000)
HAZARDLOG_MAX_CELLS = envint("HAZARDLOG_MAX_CELLS", 250_000)
HAZARDLOG_MAX_MESSAGES = envint("HAZARDLOG_MAX_MESSAGES", 500)  # errors and warnings kept in a report
# Request bodies (hazardlog/bodylimit.py): the workbook import may send an upload plus its form; others far less.
HAZARDLOG_MAX_BODY_BYTES = envint("HAZARDLOG_MAX_BODY_BYTES", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = HAZARDLOG_MAX_BODY_BYTES  # form fields other than files
FILE_UPLOAD_MAX_MEMORY_SIZE = HAZARDLOG_MAX_UPLOAD_BYTES + 1024 * 1024

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# The admin import keeps an upload between preview and confirm in the database, not the local temp folder.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "hazardlog.admin_uploads.DatabaseStorage"

# Production hardening: on unless DEBUG, each overridable for a proxy that terminates TLS.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers often check health over plain HTTP: /healthz answers there rather than redirecting.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "hazardlog.operations.requestlog.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "requests": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs each failed sign-in and lock-out as a warning, and chatters at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        # One JSON line per request (hazardlog/operations/requestlog.py), not repeated by the root's handler.
        "hazardlog.requests": {"handlers": ["requests"], "level": "INFO", "propagate": False},
    },
}
