"""Essaim's settings, read from the environment with safe defaults.

Every value a deployment changes is an environment variable (README.md and
docs/deployment.md list them). Production is the default: DEBUG is off and SECRET_KEY must
be given; `make run` turns DEBUG on for local development.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Unset in production, it stays empty: the app server refuses to start and `check --deploy`
# fails (config/checks.py), while commands that sign nothing (makemigrations) still run.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Only ever used with DEBUG on; "django-insecure-" makes `check --deploy` flag it.
    SECRET_KEY = "django-insecure-local-development-key-do-not-deploy"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The admin's address: moving it off /admin/ keeps most scanners away from the login page.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

INSTALLED_APPS = [
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "axes",
    "csp",
    "django_filters",
    "leaflet",
    "reversion",
    "initiatives",
    "actors",
    "evaluation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    # Before the session and CSRF middleware: it sees the cookies they set.
    "config.middleware.PublicCacheMiddleware",
    "config.middleware.DirectoryPageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the failed logins of the admin's view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "config.site.site",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# A web request never waits long for the database: connecting gives up after
# DATABASE_CONNECT_TIMEOUT seconds, a statement after DATABASE_STATEMENT_TIMEOUT (manage.py
# gives commands longer; config/wsgi.py also stops waiting on a frozen server).
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 5)
# The exports read their ids through a server-side cursor (initiatives/exports.py), which
# PostgreSQL plans for its first rows by default (cursor_tuple_fraction 0.1): walking the
# index by name through 100,000 initiatives to find a département's. 1: planned as a query.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=DATABASE_CONNECT_TIMEOUT,
        options=f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000} "
        "-c cursor_tuple_fraction=1",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The project's cache: Redis when REDIS_URL is set (shared by every app server), else this
# process's memory. Redis being down only makes pages slower (config/cache.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Whole public pages kept in the cache until the directory changes (config/middleware.py).
CACHE_PAGES = env_bool("CACHE_PAGES", True)
# The benchmark's cold pass (manage.py bench): every figure computed again, as for a URL
# never seen.
if env_bool("DISABLE_CACHE", False):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
# manage.py bench serves /bench/floor, a view that touches no database: the floor its pages
# are compared with.
BENCHMARK = env_bool("BENCHMARK", False)
# Sessions stay in the database: any app server reads them, and Redis going down logs no one
# out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# Brute force on the admin's login: after AXES_FAILURE_LIMIT failures for one username from
# one address, that pair is locked out for AXES_COOLOFF_HOURS (failures are kept in the
# database, so every app server sees them, and logged).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.middleware.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The logs give the address, to block an attacker at the proxy; not the username typed, which
# is sometimes a password typed in the wrong field.
AXES_SENSITIVE_PARAMETERS = ["username", "password"]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    # Uploads go through Django's storage API: production may point it at object storage,
    # e.g. MEDIA_STORAGE_BACKEND=storages.backends.s3.S3Storage, with django-storages
    # installed and its settings added here (docs/deployment.md).
    "default": {
        "BACKEND": os.environ.get(
            "MEDIA_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        )
    },
    # Hashed, compressed names, served by WhiteNoise with a year of cache.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS. Behind a reverse proxy that terminates TLS, trust its X-Forwarded-Proto and its
# X-Real-IP (deploy/nginx.conf sets both, overwriting what the client sent).
BEHIND_PROXY = env_bool("BEHIND_HTTPS_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = env_bool(
    "SECURE_COOKIES", not DEBUG
)
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
# Only the embeddable map lifts this (with xframe_options_exempt).
X_FRAME_OPTIONS = "DENY"

MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILES_ATTRIBUTION = os.environ.get(
    "MAP_TILES_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (46.6, 2.4),
    "DEFAULT_ZOOM": 5,
    "MIN_ZOOM": 2,
    "MAX_ZOOM": 18,
    "TILES": [(_("Map"), MAP_TILES_URL, {"attribution": MAP_TILES_ATTRIBUTION, "maxZoom": 19})],
    "ATTRIBUTION_PREFIX": "Leaflet",
    "RESET_VIEW": False,
}


def tile_origin(url):
    """The origin the map tiles come from, for img-src: {s} subdomains become a wildcard."""
    parts = urlsplit(url.replace("{s}.", "*."))
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else SELF


# No inline script or style anywhere: the pages' data travels in json_script blocks, which
# browsers do not run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", tile_origin(MAP_TILES_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Who may show the map embed (/carte/embed/) in a frame: "*" for any website, or a list of
# origins.
EMBED_FRAME_ANCESTORS = env_list("EMBED_FRAME_ANCESTORS", "*")

# How long browsers and shared caches may keep a public page (config/middleware.py).
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 60)

# The instance's identity: a network runs Essaim under its own name (config/site.py).
SITE_NAME = os.environ.get("SITE_NAME", "Essaim")
# A logo served by this site (img-src is 'self'), e.g. /media/logo.svg, and its text.
SITE_LOGO_URL = os.environ.get("SITE_LOGO_URL", "")
SITE_LOGO_ALT = os.environ.get("SITE_LOGO_ALT", SITE_NAME)
# The colour of links and buttons, and of their hover state (CSS colours).
SITE_COLOUR = os.environ.get("SITE_COLOUR", "")
SITE_COLOUR_DARK = os.environ.get("SITE_COLOUR_DARK", SITE_COLOUR)
# The home page's introduction (the default one when empty) and the contact address.
SITE_INTRODUCTION = os.environ.get("SITE_INTRODUCTION", "")
SITE_CONTACT_EMAIL = os.environ.get("SITE_CONTACT_EMAIL", "")

# The licence of the open data the API and the downloads publish (initiatives/exports.py),
# stated in every export; the Open Database License by default, like OpenStreetMap's.
DATA_LICENCE_NAME = os.environ.get("DATA_LICENCE_NAME", "ODbL 1.0")
DATA_LICENCE_URL = os.environ.get(
    "DATA_LICENCE_URL", "https://opendatacommons.org/licenses/odbl/1-0/"
)
# Who publishes the data, as exports name their source.
DATA_SOURCE_NAME = os.environ.get("DATA_SOURCE_NAME", SITE_NAME)
# Whole-file exports per visitor's address (django-ratelimit's "N/s|m|h|d"), counted in the
# cache: Redis when REDIS_URL is set, shared by the app servers. Empty: no limit. The limit
# fails open: while Redis is unreachable, nothing is counted and every request is served.
EXPORT_RATE_LIMIT = os.environ.get("EXPORT_RATE_LIMIT", "30/m") or None

# Contributions from the public (initiatives/contributions.py): proposals of initiatives and
# corrections per visitor's address, counted in the cache like the exports' limit; the least
# time a person takes to fill in a form (a robot takes less); how long a contributor's name
# and e-mail are kept after moderation; whether curators get an e-mail for each contribution.
PROPOSAL_RATE_LIMIT = os.environ.get("PROPOSAL_RATE_LIMIT", "5/h") or None
CORRECTION_RATE_LIMIT = os.environ.get("CORRECTION_RATE_LIMIT", "20/h") or None
CONTRIBUTION_MIN_SECONDS = env_int("CONTRIBUTION_MIN_SECONDS", 5)
CONTRIBUTOR_DATA_RETENTION_DAYS = env_int("CONTRIBUTOR_DATA_RETENTION_DAYS", 365)
NOTIFY_CURATORS = env_bool("NOTIFY_CURATORS", True)

# The countries listed first, in this order, on the territories and home pages (ISO codes,
# as Territory.country); the others follow by name.
COUNTRY_ORDER = env_list("COUNTRY_ORDER", "FR,CA")

# E-mail: printed on the console in development, sent over SMTP in production.
if DEBUG and "EMAIL_HOST" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <essaim@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Published initiatives not updated for this long are flagged for curators to review.
STALE_AFTER_DAYS = int(os.environ.get("STALE_AFTER_DAYS", "365"))

# One line per request comes from gunicorn's access log (gunicorn.conf.py); errors come here,
# with their traceback and the request's id, never in the response.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "plain",
        }
    },
    # At WARNING, django-axes logs every failed login and lockout.
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
