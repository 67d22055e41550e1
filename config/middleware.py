"""Site-wide request handling: request ids, hostile parameters, public caching, client IP."""

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponseBadRequest
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _

from initiatives.freshness import CACHE_SECONDS, cache_key

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
current_request_id = contextvars.ContextVar("request_id", default="-")


class RequestIdMiddleware:
    """Give every request an id (the proxy's X-Request-ID, or a new one), sent back in the
    response and written in every log line about it (gunicorn's access log included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        token = current_request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current_request_id.get()
        return True


class RejectNulBytesMiddleware:
    """A NUL byte in a parameter is never meant: answer 400 before it reaches a query
    (PostgreSQL refuses NUL in strings, which would be a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        parameters = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            parameters.append(request.POST)
        for query in parameters:
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return HttpResponseBadRequest(
                        _("The parameter %(name)s holds a NUL character (%%00): remove it.")
                        % {"name": key.replace("\x00", "%00")[:80]},
                        content_type="text/plain; charset=utf-8",
                    )
        return self.get_response(request)


# Answers the page cache never looks up.
UNCACHED_PATHS = ("/healthz", "/bench/")


class DirectoryPageCacheMiddleware:
    """Whole public pages from the cache (Redis, shared by the app servers) until the
    directory changes: for a visitor without a session, a GET answered 200 without a cookie
    is kept under the directory version (freshness.cache_key) and the full address, and
    served again without running the view. A curator, logged in, always gets a fresh page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self.cacheable_request(request):
            return self.get_response(request)
        key = cache_key(f"page:{request.scheme}://{request.get_host()}{request.get_full_path()}")
        response = cache.get(key)
        if response is not None:
            etag = response.get("ETag")
            return get_conditional_response(request, etag=etag, response=response)
        response = self.get_response(request)
        if self.cacheable_response(response):
            cache.set(key, response, CACHE_SECONDS)
        return response

    @staticmethod
    def cacheable_request(request):
        # Without a session nor a CSRF cookie, a page is the same for every visitor (a
        # `Vary: Cookie` says no more than that); the health check and the benchmark's floor
        # must not touch the database.
        return (
            settings.CACHE_PAGES
            and request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and settings.CSRF_COOKIE_NAME not in request.COOKIES
            and not request.path.startswith(("/" + settings.ADMIN_URL, *UNCACHED_PATHS))
        )

    @staticmethod
    def cacheable_response(response):
        cache_control = response.get("Cache-Control", "")
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not any(word in cache_control for word in ("private", "no-cache", "no-store"))
        )


class PublicCacheMiddleware:
    """Let shared caches keep what a visitor without a session sees.

    A public page that sets no cookie, asked for without a session cookie, may be kept
    PUBLIC_CACHE_SECONDS by browsers and shared caches; what a logged-in curator sees (drafts,
    archives) is private. Views that choose their own Cache-Control keep it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        anonymous = settings.SESSION_COOKIE_NAME not in request.COOKIES
        if (
            anonymous
            and request.method in ("GET", "HEAD")
            and response.status_code in (200, 301, 404)
            and not response.cookies
            and not request.path.startswith("/" + settings.ADMIN_URL)
        ):
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        else:
            patch_cache_control(response, private=True, no_cache=True)
        return response


def client_ip(request):
    """The visitor's address: the proxy's X-Real-IP behind our reverse proxy (which sets it,
    deploy/nginx.conf), else the connection's. For the login lockout and the rate limits."""
    if settings.BEHIND_PROXY and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"]
    return request.META.get("REMOTE_ADDR", "")
