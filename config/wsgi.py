import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    from .postgresql import install_deadline

    # Half a second more than the server's own statement_timeout, which normally ends first.
    install_deadline(settings.DATABASE_CONNECT_TIMEOUT, settings.DATABASE_STATEMENT_TIMEOUT + 0.5)
