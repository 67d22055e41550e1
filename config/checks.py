"""The project's own system checks, registered by config.apps.AdminConfig.ready()."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_KEY = (
    "SECRET_KEY is not set. In production, set it to a long random value, e.g. the output "
    "of: python -c 'import secrets; print(secrets.token_urlsafe(50))'. For local "
    "development, set DEBUG=true (make run does)."
)


def secret_key_is_missing():
    try:
        return not settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to give an empty one
        return True


# A deployment check: `check --deploy` fails without a key, and config/wsgi.py refuses to
# serve, while commands that sign nothing (makemigrations, migrate) still run.
@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if secret_key_is_missing():
        return [checks.Error(MISSING_SECRET_KEY, id="essaim.E001")]
    return []
