"""The health check and the pages for server errors, which need no database."""

import sys

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# Clients (and load balancers) may try again after this many seconds.
RETRY_AFTER_SECONDS = 30
# The database could not be reached, or did not answer in time.
UNAVAILABLE = (OperationalError, InterfaceError)


@require_safe
@never_cache
def healthz(request):
    """GET /healthz: 200 when the database and the cache answer, else 503 and the reason.

    One query and one cache read: cheap enough to be polled every few seconds.
    """
    problems = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        problems["database"] = str(error).strip() or type(error).__name__
    try:
        if hasattr(cache, "ping"):
            cache.ping()
        else:
            cache.get("healthz")
    except Exception as error:  # Any cache backend, any way of failing.
        problems["cache"] = str(error).strip() or type(error).__name__
    if problems:
        return JsonResponse({"status": "unavailable", **problems}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "cache": "ok"})


def server_error(request):
    """handler500: a static page (no database, no context processors), a 503 with
    Retry-After when the database is what failed."""
    error = sys.exc_info()[1]
    if isinstance(error, UNAVAILABLE):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        response = HttpResponse(loader.render_to_string("500.html"), status=500)
    response["Cache-Control"] = "no-store"
    return response


def floor(request):
    """The benchmark's floor: Django's own cost for a request, no database, no template."""
    return HttpResponse(b"ok", content_type="text/plain")
