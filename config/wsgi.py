import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from .checks import MISSING_SECRET_KEY, secret_key_is_missing  # noqa: E402 (after setup)

if secret_key_is_missing():
    # The app server refuses to start, rather than fail at the first signed cookie.
    raise ImproperlyConfigured(MISSING_SECRET_KEY)

if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    from .postgresql import install_deadline

    # Half a second more than the server's own statement_timeout, which normally ends first.
    install_deadline(settings.DATABASE_CONNECT_TIMEOUT, settings.DATABASE_STATEMENT_TIMEOUT + 0.5)
