"""
Settings for the e-safety administration app.

Everything that differs between a laptop, CI and production is read from the
environment (or a `.env` file beside `manage.py`); `.env.example` lists each
variable. With nothing set, the app runs on an SQLite file with background
tasks run in-process, which is what `make run` uses.
"""

import os
import tempfile
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# pytest (8.2 and later) sets PYTEST_VERSION for the length of a test run.
TESTING = "PYTEST_VERSION" in os.environ
# A development key is only acceptable on a laptop or in tests; production must set one.
SECRET_KEY = env.str("SECRET_KEY", default="") or ("django-insecure-development-only-key" if DEBUG or TESTING else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set SECRET_KEY in the environment (or DEBUG=true on a development machine).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    # Database sessions that know their user, address and browser, so that a user can see and end them.
    "qsessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "simple_history",
    "axes",
    # Two-factor sign-in: time-based codes from an authenticator app, and single-use backup codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "csp",  # for its system checks of CONTENT_SECURITY_POLICY
    "esafety.apps.EsafetyConfig",
    "incidents",
    "consents",
    "filtering",
    "devices",
    "policies",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer, static files included.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so that static files keep their long cache lifetimes; every other answer
    # carries personal data and is marked `no-store`.
    "esafety.middleware.NoStoreMiddleware",
    "esafety.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets request.user.is_verified(): whether this session has passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    # Every page needs a login unless its view says otherwise (@login_not_required): fails closed.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "esafety.middleware.SchoolAccessMiddleware",
    # Every query of a school-owned model from here on is of the user's school, or raises (esafety.scoping).
    "esafety.scoping.SchoolScopeMiddleware",
    # Sessions' absolute limit, the second factor for those who must have one, and the shorter idle
    # limit on restricted pages: before any other page can be reached.
    "esafety.middleware.SignInPolicyMiddleware",
    # Staff who have not accepted the current staff agreement are asked to, once they log in.
    "consents.middleware.StaffAgreementMiddleware",
    # Then the policies staff are asked to read and acknowledge (checked once per session and school).
    "policies.middleware.PolicyAcknowledgementMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "esafety.urls"
WSGI_APPLICATION = "esafety.wsgi.application"

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
                "esafety.context_processors.school_access",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# DATABASE_URL unset: an SQLite file for trying the app; set: PostgreSQL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker started by a test sees the
    # same test database as the test itself; one per test run, so runs never collide.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"esafety-test-{os.getpid()}.sqlite3")}
    # Several processes (web, worker, beat) share the file: write-ahead logging lets
    # readers carry on during a write, and IMMEDIATE transactions take the write
    # lock up front, so that two writers queue instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Planner settings for the app's sessions. PostgreSQL's JIT compiler switches on for the visibility and
    # "no answer in force" subqueries, whose row estimates look large, and spends 20-110 ms compiling a query
    # that runs in a few: off. The default random_page_cost (4) assumes spinning disks, so the planner reads a
    # whole table where an index would fetch the few rows wanted (a school's data sits in memory or on SSD).
    # Options in DATABASE_URL (?options=-c ...) come after these, so a database administrator's win.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = " ".join(filter(None, ["-c jit=off -c random_page_cost=1.1", options.get("options", "")]))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "esafety.User"

# --- Authentication -------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out login before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Long passwords, checked against the list of common ones; no rules about digits or symbols,
# which push people to predictable patterns (NCSC, and OWASP ASVS 5.0 6.2).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in pauses after repeated failures, counted two ways (esafety.signin.AccountOrAddressLockout):
# for an account, from any address (guessing one password), and from an address, at any accounts
# (trying one password at many accounts). A school's staff often share one address, so that limit is
# higher. A paused sign-in gets the same answer as a wrong password. Counted in the database, so it
# holds with Redis down.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "esafety.signin.AccountOrAddressLockout"
AXES_LOCKOUT_CALLABLE = "esafety.signin.sign_in_refused"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "esafety.signin.username_for_lockout"
# A success must not wipe the failures counted against its address: one valid account would reset a spray.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Behind a reverse proxy every request comes from the proxy: count the proxies
# in front of the app so that lockouts and the access log use the client's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# The last proxy is REMOTE_ADDR itself; the ones before it add themselves to X-Forwarded-For,
# so the client is the address that many places from the right. Addresses a client put
# further left are ignored (not strict), so it cannot choose its own.
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1 if TRUSTED_PROXY_COUNT else None
IPWARE_STRICT = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]

# Log out after a period of inactivity: the expiry moves on with every request. Pages of restricted
# records shorten it (esafety.middleware.SignInPolicyMiddleware), and no session outlives its absolute limit.
SESSION_ENGINE = "qsessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_RESTRICTED_IDLE_SECONDS = env.int("SESSION_RESTRICTED_IDLE_MINUTES", default=15) * 60
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_HOURS", default=12) * 3600
# Saved when it changes, and at most once a minute for activity alone (SignInPolicyMiddleware).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ACTIVITY_SAVE_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Two-factor sign-in (esafety.second_factor): who must use it, and how fresh it must be to open a
# restricted record.
SECOND_FACTOR_STEP_UP_SECONDS = env.int("SECOND_FACTOR_STEP_UP_MINUTES", default=15) * 60
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="E-safety")

# --- Security (production) ------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# The school's or trust's choice, so off unless set; the header alone puts no domain on the
# browsers' preload list (docs/deployment.md, "HSTS preloading").
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only the app's own files run or style a page: Bootstrap, htmx and Chart.js are vendored in static/,
# and no template has an inline script, style or event handler (tests/esafety/test_headers.py).
# Django's admin has none either (its scripts read their settings from data attributes), so it needs
# no exception; the one style attribute in its pages, on django-simple-history's page links, is only
# ignored (a border more). `data:` images: Bootstrap's CSS draws select arrows, checkbox ticks, close
# buttons and the menu button as data: SVGs. Chromium's PDF viewer works under this policy too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# The app uses none of the browser's powerful features: turn them all off, for the app and any frame.
# (Not bluetooth or ambient-light-sensor: Chromium does not know them as policies yet, and says so on
# every page. Nor publickey-credentials-*, which security keys for two-factor sign-in would need.)
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    ]
}

# --- Language and time ----------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y", "%d-%m-%Y"]

# --- Static and uploaded files ---------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("MANIFEST_STATIC", default=not (DEBUG or TESTING))
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (a laptop, the tests), serve straight from static/.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Cache (import progress, rate limits) ----------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://esafety")}

# --- E-mail ---------------------------------------------------------------
# Console in development; SMTP in production via EMAIL_URL (smtp+tls://user:pass@host:587).
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "tmp" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="E-safety <esafety@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------
# CELERY_BROKER_URL unset: tasks run in-process, straight after the commit
# that queued them. Set (redis://...): a worker runs them.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
# In-process mode: a failing task is logged and left in the outbox rather than failing the page.
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Publishing must fail fast when Redis is down: the outbox keeps the message
# and the drain job sends it later, so a save never waits on the broker.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY = False

# The whole beat schedule, in one place. django-celery-beat copies these
# entries into its tables when beat starts; a job that concerns schools fans
# out to one task per school.
CELERY_BEAT_SCHEDULE = {
    # Sends side effects (e-mails, background jobs) whose first dispatch
    # failed, e.g. because Redis was down when the record was saved.
    "drain-outbox": {"task": "esafety.tasks.outbox_drain", "schedule": 60.0},
    # Removes the uploaded MIS files (personal data) of finished imports, and
    # cancels imports that were checked but never confirmed (per school).
    "purge-import-files": {"task": "esafety.tasks.imports_purge_files_all", "schedule": crontab(hour=2, minute=15)},
    # Removes outbox messages sent more than OUTBOX_RETENTION_DAYS ago.
    "purge-outbox": {"task": "esafety.tasks.outbox_purge", "schedule": crontab(hour=2, minute=30)},
    # Deletes expired sessions from the database.
    "clear-sessions": {"task": "esafety.tasks.sessions_clear", "schedule": crontab(hour=3, minute=0)},
    # Tells each owner of an overdue incident action, once a day, before school starts (per school).
    "incident-actions-overdue": {"task": "incidents.tasks.overdue_actions_remind_all", "schedule": crontab(hour=7, minute=0)},
    # Removes incident-log drafts nobody came back to within a month (per school).
    "incident-drafts-purge": {"task": "incidents.tasks.drafts_purge_all", "schedule": crontab(hour=3, minute=15)},
    # Yearly consent renewal: queues one task per school, which acts only on or after the
    # school's renewal date (1 September unless it set another) and only once a year.
    "consent-renewal": {"task": "consents.tasks.consent_renewal_all", "schedule": crontab(hour=4, minute=30)},
    # Removes the consent records of pupils who left longer ago than their school keeps them
    # (counts go in the history), and forgets who looked pupils up in the photo check weeks ago.
    "consent-retention": {"task": "consents.tasks.consent_retention_all", "schedule": crontab(hour=4, minute=45)},
    # Web filtering, before school starts: marks exceptions past their last day as ended (the feed has left
    # them out since midnight without this job), then reminds the head teacher and IT of requests waiting more
    # than a school day, IT and requesters of exceptions closing tomorrow, and IT of ended ones not yet
    # removed from the filter (per school).
    "filtering-daily": {"task": "filtering.tasks.filtering_daily_all", "schedule": crontab(hour=7, minute=5)},
    # The phone register's end of the day: every quarter of an hour in the afternoon and evening, each school's
    # task lists, once a school day and only after the school's own end-of-day time, the phones not collected,
    # to the office and the tutors (per school).
    "phones-end-of-day": {"task": "devices.tasks.phones_end_of_day_all", "schedule": crontab(hour="12-20", minute="*/15")},
    # Devices, before school starts: phone exceptions due for review, overdue loans of school devices, images
    # from personal equipment not yet confirmed moved and deleted (escalated to the head teacher once past the
    # deadline), and the yearly review of access rights when it is due (per school).
    "devices-daily": {"task": "devices.tasks.devices_daily_all", "schedule": crontab(hour=7, minute=10)},
    # Policy reviews due in two months, one month, one week and today, to each policy's owner; training due or
    # overdue, to each member of staff (at most weekly).
    "policies-daily": {"task": "policies.tasks.policies_daily_all", "schedule": crontab(hour=7, minute=15)},
    # From the first day of an academic year, the draft of last year's governors' report, once; the lead is told.
    "governors-report-draft": {"task": "reports.tasks.report_draft_last_year_all", "schedule": crontab(hour=6, minute=30)},
}

# --- Forms and messages ----------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
FORMAT_MODULE_PATH = ["esafety.formats"]

from django.contrib.messages import constants as message_constants  # noqa: E402

MESSAGE_TAGS = {message_constants.ERROR: "danger"}

# --- App settings ----------------------------------------------------------
# Uploaded MIS files are kept this long after an import finishes, then removed.
IMPORT_FILE_RETENTION_DAYS = env.int("IMPORT_FILE_RETENTION_DAYS", default=7)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20000)
# An MIS export of a large school is well under this; a bigger file is refused with a message.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
# Sent outbox messages are kept this long (to trace what was sent), then removed.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)
# Processes that render a long PDF (a whole round's consent slips) side by side, form by form, inside the task
# that builds it: one per CPU by default. Lower it on a small server that shares its CPUs; 1 renders in the task.
PDF_PROCESSES = env.int("PDF_PROCESSES", default=os.cpu_count() or 1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback_for_refusals": {"()": "esafety.log_filters.NoTracebackForRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_traceback_for_refusals"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint reports each step of every render (and its style sheets as a worker starts) at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Django's own records go to the root's handler alone, so that each is written once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
