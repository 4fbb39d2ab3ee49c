"""Settings shared by every environment.  The environment is read in ``config.env`` only."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config import env as envmod

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV = envmod.load()

SECRET_KEY = ENV.secret_key or "dev-insecure-liuzhuan-key-change-me-in-production-0123456789"
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
LIUZHUAN_SANDBOX = ENV.sandbox

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_dramatiq",
    "admincharts",  # only for its bundled Chart.js (static/admincharts/chart.min.js)
    "core",
    "orders",
    "warehouses",
    "invoicing",
    "channels_adapters",
    "channels_adapters.subscribers",
    "orders.alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": envmod.database_settings(ENV.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = None  # set in prod (collectstatic); dev/test serve from finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / ".var" / "media"

# Requests bigger than this are refused before parsing (ingest bodies are small documents).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
LIUZHUAN_MAX_BODY_BYTES = 2 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "core.api.authentication.FastTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Liuzhuan API",
    "DESCRIPTION": "Order management back office: orders, channels, warehouses, invoicing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from the installed sidecar package: nothing fetched from the internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "HoldReasonEnum": "orders.choices.HoldReason",
        "OrderStatusEnum": "orders.choices.OrderStatus",
        "ChannelEnum": "orders.choices.Channel",
        "RefundStatusEnum": "orders.choices.RefundStatus",
        "CustomerLevelEnum": "orders.choices.CustomerLevel",
        "InvoiceRequestStatusEnum": "invoicing.models.RequestStatus",
        "InvoiceStatusEnum": "invoicing.models.InvoiceStatus",
        "AlertStatusEnum": "orders.alerts.models.alerts.AlertStatus",
        "InboundShipmentStatusEnum": "orders.alerts.models.fulfilment.InboundStatus",
        "DeliveryStatusEnum": "channels_adapters.subscribers.models.DeliveryStatus",
        "InboundOutcomeEnum": "channels_adapters.models.Outcome",
        "ReconcileStatusEnum": "channels_adapters.models.ReconcileStatus",
        "ApprovalOutcomeEnum": "warehouses.models.rules.ApprovalOutcome",
        "BatchStatusEnum": "warehouses.models.outbound.BatchStatus",
        "WaveStatusEnum": "warehouses.models.outbound.WaveStatus",
        "ParcelStatusEnum": "warehouses.models.outbound.ParcelStatus",
    },
}

# Spreadsheet exports never carry live formulas (=, +, -, @ are escaped).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

DRAMATIQ_REDIS_URL = ENV.redis_url
DRAMATIQ_BROKER = {
    "BROKER": "dramatiq.brokers.redis.RedisBroker",
    "OPTIONS": {"url": ENV.redis_url},
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": ENV.redis_url,
        "KEY_PREFIX": "liuzhuan",
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "apscheduler": {"level": "WARNING"},
    },
}
