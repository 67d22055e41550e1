"""What production relies on inside Django: settings, health, error pages, the cache."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import Client, RequestFactory, override_settings
from django.urls import path, reverse
from django.utils import translation
from django.views.defaults import permission_denied

from config.views import server_error

PROJECT = settings.BASE_DIR
# What docs/deployment.md tells a deployment to set.
PRODUCTION_ENVIRONMENT = {
    "SECRET_KEY": "0" * 10 + "a-long-random-production-key-for-the-check-only-5f8d1c",
    "ALLOWED_HOSTS": "essaim.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://essaim.example.org",
    "BEHIND_HTTPS_PROXY": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


def manage(*arguments, **environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_documented_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENVIRONMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    for command in (["check", "--deploy"], ["shell", "-c", "import config.wsgi"]):
        result = manage(*command)
        assert result.returncode != 0, command
        assert "SECRET_KEY is not set" in result.stderr, command
    # Commands that sign nothing still run: a migration check needs no secret.
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr


def test_debug_is_off_unless_asked_for():
    result = manage("diffsettings", "--all", SECRET_KEY="x" * 50)
    assert "DEBUG = False" in result.stdout


def test_the_health_check_answers_200_with_the_database_and_the_cache(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "config.cache.ForgivingRedisCache",
        # Nothing listens on port 1.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


@override_settings(CACHES=UNREACHABLE_REDIS)
def test_the_health_check_answers_503_and_why_when_redis_is_unreachable(client, db):
    caches._settings = None  # Read the overridden setting.
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "cache" in response.json()
    assert "database" not in response.json()


@override_settings(CACHES=UNREACHABLE_REDIS)
def test_an_unreachable_redis_is_an_empty_cache(directory, client):
    cache = caches.create_connection("default")
    start = time.monotonic()
    assert cache.get("anything", "fallback") == "fallback"
    cache.set("key", "value")
    assert cache.add("key", "value") is False
    assert cache.incr("counter") == 1
    assert time.monotonic() - start < 5
    # Pages do not use the cache for what they show.
    assert client.get(reverse("initiative_list")).status_code == 200


def raising(error):
    request = RequestFactory().get("/")
    try:
        raise error
    except Exception:
        return server_error(request)


def test_a_lost_database_is_a_static_503_with_retry_after(db):
    response = raising(OperationalError("could not connect to server"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "temporairement indisponible" in page
    assert "/static/css/essaim" in page


def test_any_other_error_is_a_static_500_without_details(db):
    response = raising(ZeroDivisionError("secret detail"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "secret detail" not in page
    assert "Traceback" not in page
    assert "Essaim" in page


@pytest.mark.parametrize(
    "url, words", [("/nulle-part/", "Page introuvable"), ("/en/nowhere/", "Page not found")]
)
def test_the_404_page_is_in_the_sites_look_and_language(client, db, url, words):
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert words in page
    assert 'class="site-header"' in page


def test_the_403_page_is_in_the_sites_look(curator_client):
    response = curator_client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accès refusé" in page
    assert 'class="site-header"' in page


def test_the_403_page_is_in_english_on_the_english_site(db):
    # No public page refuses access today but for a form's expired token (below): the
    # handler itself, as Django calls it, on the English site.
    request = RequestFactory().get("/en/")
    request.user = AnonymousUser()
    with translation.override("en"):
        response = permission_denied(request, PermissionDenied())
    page = response.content.decode()
    assert response.status_code == 403
    assert "Access refused" in page
    assert '<html lang="en"' in page
    assert 'class="site-header"' in page


@pytest.mark.parametrize(
    "url, words",
    [("/proposer/", "Le formulaire a expiré"), ("/en/proposer/", "The form has expired")],
)
def test_a_form_sent_without_its_security_token_gets_a_403_in_the_sites_look(db, url, words):
    client = Client(enforce_csrf_checks=True)
    response = client.post(url, {"name": "Une initiative"})
    assert response.status_code == 403
    page = response.content.decode()
    assert words in page
    assert 'class="site-header"' in page
    assert "CSRF" not in page  # no jargon


@pytest.mark.parametrize(
    "language, words",
    [("fr", "Une erreur s'est produite de notre côté"), ("en", "Something went wrong")],
)
def test_the_500_page_is_static_and_in_the_visitors_language(
    db, language, words, django_assert_num_queries
):
    with translation.override(language), django_assert_num_queries(0):
        response = raising(ZeroDivisionError("secret detail"))
    page = response.content.decode()
    assert words in page
    assert f'<html lang="{language}"' in page
    assert 'class="site-header"' in page


def boom(request):
    raise ValueError("secret detail of a bug")


# For the tests below: a view that fails, with the project's error handler.
urlpatterns = [path("boom/", boom)]
handler500 = "config.views.server_error"


@pytest.mark.urls("tests.test_production")
def test_an_error_is_logged_with_its_traceback_and_request_id_never_shown(client, db, caplog):
    client.raise_request_exception = False
    response = client.get("/boom/", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-42"
    assert "secret detail" not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info and "secret detail of a bug" in str(record.exc_info[1])
    assert record.request_id == "req-42"


def test_a_request_id_that_is_not_plain_is_replaced(client, db):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "<script>" * 20})
    assert len(response["X-Request-ID"]) == 32
