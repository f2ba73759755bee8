"""tongban settings: one env-driven base, no production-only module.

Every knob is an environment variable (see docs/deploy.md). Defaults are
the *production* posture, except where ``TONGBAN_DEMO=1`` (set by ``make
demo``) or the test runner relaxes one explicitly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dj_database_url

from tongban.conf.env import env_bool, env_int, env_list, env_str

SRC_DIR = Path(__file__).resolve().parent.parent  # src/tongban
BASE_DIR = SRC_DIR.parent.parent  # repository root
VAR_DIR = Path(env_str("TONGBAN_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEMO = env_bool("TONGBAN_DEMO", False)
# Off in the demo too: it is what a district tries, and a mistyped address should get the product's 404 page,
# not Django's list of every URL. TONGBAN_DEBUG=1 for development.
DEBUG = env_bool("TONGBAN_DEBUG", False)
TESTING = env_bool("TONGBAN_TESTING", "pytest" in sys.modules)

SECRET_KEY = env_str("TONGBAN_SECRET_KEY") or (
    "insecure-demo-key-do-not-use-in-production" if (DEMO or DEBUG or TESTING) else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("TONGBAN_SECRET_KEY must be set outside demo/test mode.")

ALLOWED_HOSTS = env_list("TONGBAN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("TONGBAN_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "tongban.core",
    "tongban.catalog",
    "tongban.accounts",
    "tongban.notifications",
    "tongban.applications",
    "tongban.queueing",
    "tongban.cabinet",
    "tongban.selfservice",
    "tongban.ratings",
    "tongban.dashboard",
    "tongban.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tongban.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tongban.conf.urls"
WSGI_APPLICATION = "tongban.conf.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tongban.web.context_processors.tongban",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tongban.sqlite3'}")
# Tests: no persistent connections, so live-server threads leave nothing open at teardown.
# Servers keep each thread's connection for 10 minutes. A gunicorn worker's threads connect within
# moments of each other, so with a short age they all reconnect together too: at 60 s the queue benchmark's
# threads did (16 new backends in one second by PostgreSQL's log; prepared statements again), and that second
# carried 0.3–0.6 s latencies, once a minute (bench/README.md). A connection that breaks is closed at the
# end of its request either way.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=0 if TESTING else env_int("DB_CONN_MAX_AGE", 600)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let several demo processes share the file; IMMEDIATE
    # transactions take the write lock up front so concurrent writers queue
    # instead of failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif env_bool("DB_PREPARE", True):
    # PostgreSQL: parameters bound by the server, so the hot paths' fixed statements can be prepared once per
    # connection (tongban.core.sql.execute; 30–40 % less PostgreSQL CPU per call-next and finish). Nothing
    # else is prepared — psycopg's automatic preparation is set out of reach — because a prepared statement
    # may get a generic plan, and a prefix search, for one, would lose its index (tried: the clerk's search
    # went from 7 to 500 ms at p95). Prepared statements live in the server session: behind PgBouncer in
    # transaction mode older than 1.21 set DB_PREPARE=0 (docs/deploy.md).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2**62}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# Bootstrap's name for an error's colour is "danger": without this an error message got the class
# alert-error, which Bootstrap does not style, and showed as plain text
MESSAGE_TAGS = {40: "danger"}  # django.contrib.messages.constants.ERROR
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("TONGBAN_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
UPLOAD_MAX_BYTES = env_int("TONGBAN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
UPLOAD_ALLOWED_TYPES = env_list("TONGBAN_UPLOAD_ALLOWED_TYPES", "application/pdf,image/jpeg,image/png")
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024

# --- cache, Redis, Celery -------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
USE_REDIS = env_bool("USE_REDIS", False)
USE_CELERY = env_bool("USE_CELERY", False)
if USE_REDIS:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The demo runs several processes on one SQLite file: a database cache is
    # shared between them, unlike locmem.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tongban_cache"}
    }
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not USE_CELERY
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True

# --- MQTT (smart cabinets) ------------------------------------------------
MQTT_URL = env_str("MQTT_URL", "")  # e.g. mqtt://127.0.0.1:1883 ; empty = embedded transport
MQTT_TOPIC_PREFIX = env_str("MQTT_TOPIC_PREFIX", "tongban")

# --- security, personal data ----------------------------------------------
# Field encryption keys: comma-separated Fernet keys, newest first (rotation).
FIELD_ENCRYPTION_KEYS = env_list("TONGBAN_FIELD_KEYS", "")
FIELD_HASH_KEY = env_str("TONGBAN_FIELD_HASH_KEY", "")
if not FIELD_ENCRYPTION_KEYS or not FIELD_HASH_KEY:
    if DEMO or DEBUG or TESTING:
        # Derived dev keys: stable so demo data stays readable between runs.
        import base64
        import hashlib

        _seed = hashlib.sha256(("tongban-dev-keys:" + SECRET_KEY).encode()).digest()
        FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [base64.urlsafe_b64encode(_seed).decode()]
        FIELD_HASH_KEY = FIELD_HASH_KEY or hashlib.sha256(b"hash:" + _seed).hexdigest()
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("TONGBAN_FIELD_KEYS and TONGBAN_FIELD_HASH_KEY must be set in production.")

# Audit log: entries are sealed into the hash chain every few seconds (core.audit_seal); an
# entry still pending after this long means the sealer is not running (audit_verify, /healthz).
AUDIT_SEAL_STALE_SECONDS = env_int("TONGBAN_AUDIT_SEAL_STALE_SECONDS", 300)

STAFF_2FA_REQUIRED = env_bool("TONGBAN_STAFF_2FA", not (DEMO or TESTING))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("TONGBAN_SECURE_COOKIES", not (DEMO or DEBUG or TESTING))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "SAMEORIGIN"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if TESTING
    else ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
)
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "tongban-demo")

# --- ratings (好差评) and rectification ------------------------------------
RATINGS_CONTACT_WORKDAYS = env_int("TONGBAN_RATINGS_CONTACT_WORKDAYS", 1)  # call the rater back within
RATINGS_CLOSE_WORKDAYS = env_int("TONGBAN_RATINGS_CLOSE_WORKDAYS", 5)  # report back / close within
RATINGS_PAD_MINUTES = env_int("TONGBAN_RATINGS_PAD_MINUTES", 30)  # a served ticket stays rateable this long
RATINGS_LINK_MAX_AGE_DAYS = env_int("TONGBAN_RATINGS_LINK_MAX_AGE_DAYS", 15)  # SMS rating links expire
RATINGS_RATE_LIMIT = env_int("TONGBAN_RATINGS_RATE_LIMIT", 20)  # rating attempts per client per window
RATINGS_RATE_WINDOW_SECONDS = env_int("TONGBAN_RATINGS_RATE_WINDOW_SECONDS", 600)
# The public https origin residents' phones reach (QR codes on receipts and ticket slips, SMS links). Unset,
# pages use the request's own host and SMS links the demo's address.
PUBLIC_BASE_URL = env_str("TONGBAN_PUBLIC_BASE_URL", "")
RATINGS_LINK_BASE_URL = PUBLIC_BASE_URL or "http://localhost:8000"

# --- outside world plugins ------------------------------------------------
SMS_BACKEND = env_str("TONGBAN_SMS_BACKEND", "outbox")  # outbox = dev backend with an outbox page
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
IDCARD_READER_BACKEND = env_str("TONGBAN_IDCARD_READER", "dev")
OIDC_ENABLED = env_bool("TONGBAN_OIDC_ENABLED", False)
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")

AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# Sign-in (accounts; docs/deploy.md "Sign-in"). Residents: SMS code (dev identity provider) or OIDC.
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("tongban.accounts.oidc.ResidentOIDCBackend")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid profile phone")
OIDC_CLAIM_PHONE = env_str("OIDC_CLAIM_PHONE", "phone_number")
OIDC_CLAIM_ID_NUMBER = env_str("OIDC_CLAIM_ID_NUMBER", "id_number")
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc-callback"
LOGIN_REDIRECT_URL = "/"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/oidc/failed/"
OTP_TOTP_ISSUER = env_str("TONGBAN_OTP_ISSUER", "通办 tongban")
API_TOKEN_TTL_HOURS = env_int("TONGBAN_API_TOKEN_TTL_HOURS", 12)

# --- PDF ------------------------------------------------------------------
# A TrueType CJK font with Latin glyphs, subset-embedded into every PDF.
PDF_FONT_PATH = env_str("TONGBAN_PDF_FONT", "")

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tongban.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "tongban.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "tongban.core.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "tongban.core.api.negotiation.ContentNegotiation",
    # DRF's three, the JSON one reading the body in one piece (core/api/parsers.py)
    "DEFAULT_PARSER_CLASSES": [
        "tongban.core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
from tongban.core.converters import MAX_ID  # noqa: E402 - plain constants, no Django import

SPECTACULAR_SETTINGS = {
    "TITLE": "tongban API",
    "DESCRIPTION": "通办 — service catalog, applications, queue, cabinet, self-service and ratings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # ``<id:…>`` (tongban.core.converters): a key of at most 18 digits
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": MAX_ID}},
}

# applications: one OpenAPI name per choice set it shares between fields
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),  # type: ignore[dict-item]
    "ApplicationStatusEnum": "tongban.applications.models.Status",
    "ApplicationMaterialStateEnum": "tongban.applications.models.ApplicationMaterial.State",
    "MaterialFormEnum": "tongban.applications.models.FORM_CHOICES",
    "DeliveryMethodEnum": "tongban.applications.models.DeliveryMethod",
    "SuspensionKindEnum": "tongban.applications.models.Suspension.Kind",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "tongban.core.logging.MaskPIIFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_pii"]}
    },
    "root": {"handlers": ["console"], "level": env_str("TONGBAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
