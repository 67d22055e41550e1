"""Secure by default: headers, logins, links, hostile input and private data."""

import datetime
import re
from collections import deque
from html import unescape
from io import StringIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings, strategies

from actors.models import Actor, ActorContact
from evaluation.models import Assessment, CriterionScore
from initiatives.models import Initiative, InitiativeContact, TerritorialCurator
from tests.conftest import data_for_the_module

CONTENT_APPS = {"initiatives", "actors", "evaluation"}
SECRET_NAME = "Madame Confidentielle"
SECRET_EMAIL = "ne-pas-publier@example.org"
SECRET_PHONE = "+33 6 99 88 77 66"


@pytest.fixture(scope="module")
def populated(django_db_setup, django_db_blocker):
    """The demo directory, every actor and every initiative with a private contact."""

    def build():
        call_command("load_demo", only_demo_places=True, verbosity=0)
        ActorContact.objects.bulk_create(
            ActorContact(actor=actor, name=SECRET_NAME, email=SECRET_EMAIL, phone=SECRET_PHONE)
            for actor in Actor.objects.all()
        )
        InitiativeContact.objects.bulk_create(
            InitiativeContact(
                initiative=initiative, name=SECRET_NAME, email=SECRET_EMAIL, phone=SECRET_PHONE
            )
            for initiative in Initiative.objects.all()
        )

    with data_for_the_module(django_db_blocker, build):
        yield


@pytest.fixture
def site(populated, db):
    pass


def links_of(html):
    for href in re.findall(r'href="([^"]+)"', html):
        href = unescape(href).split("#")[0]
        if href.startswith("/") and not href.startswith(("/admin", "/static/", "//")):
            yield href


def crawl(client, start, limit):
    """Every page reachable from `start` by its links, up to `limit`: {url: (response, its
    body as text)}."""
    seen, queue, pages = set(start), deque(start), {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        response = client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        pages[url] = response, content.decode(errors="replace")
        if "html" in response.get("Content-Type", ""):
            for link in links_of(pages[url][1]):
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
    return pages


# The open data's addresses: exports, API, sitemaps.
OPEN_DATA_ROUTES = [
    "/api/initiatives.geojson",
    "/api/initiatives.csv",
    "/api/initiatives.json",
    "/api/gogocarto.json",
    "/api/",
    "/api/openapi.json",
    "/sitemap.xml",
    "/sitemap-initiatives.xml",
]


def test_no_private_contact_on_any_public_page_or_answer(client, site):
    pages = crawl(
        client,
        [
            "/",
            "/en/",
            "/api/map/?bbox=-180,-90,180,90&zoom=3",
            "/api/map/?bbox=-180,-90,180,90&zoom=18",
            *OPEN_DATA_ROUTES,
            "/initiatives/?q=madame",
        ],
        limit=200,
    )
    assert len(pages) == 200
    for url, (response, body) in pages.items():
        assert response.status_code < 500, url
        for secret in (SECRET_NAME, SECRET_EMAIL, SECRET_PHONE, "Confidentielle"):
            assert secret not in body, (url, secret)


PUBLIC_PAGES = [
    "/",
    "/initiatives/",
    "/initiatives/maison-des-echanges/",
    "/territoires/",
    "/territoires/hauts-de-france/",
    "/themes/",
    "/themes/economie-circulaire-reemploi/",
    "/acteurs/",
    "/acteurs/institut-godin/",
    "/carte/",
    "/evaluation/",
    "/comparer/?i=maison-des-echanges&i=fe2i",
    "/en/initiatives/",
    "/page-qui-n-existe-pas/",
]


def policy(response):
    return dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_send_a_strict_policy_and_no_cookie(client, site, url):
    response = client.get(url)
    assert response.status_code in (200, 404)
    csp = policy(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert "https://tile.openstreetmap.org" in csp["img-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # No cookie: a shared cache may keep the page.
    assert not response.cookies
    assert "public" in response["Cache-Control"]
    assert response["X-Request-ID"]


def test_pages_hold_no_inline_script_only_data_blocks(client, site):
    for url in PUBLIC_PAGES:
        html = client.get(url).content.decode()
        for attributes in re.findall(r"<script([^>]*)>", html):
            assert "src=" in attributes or re.search(
                r'type="application/(ld\+)?json"', attributes
            ), (url, attributes)
        assert not re.search(r"\son[a-z]+=", html), url
        assert " style=" not in html, url


def test_the_embed_alone_may_be_framed(client, site, settings):
    response = client.get("/carte/embed/")
    assert policy(response)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in response


def test_the_admin_is_private_and_under_the_same_policy(curator_client, site):
    response = curator_client.get(reverse("admin:initiatives_initiative_changelist"))
    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy(response)["frame-ancestors"] == "'none'"
    assert "private" in response["Cache-Control"]


def test_a_curator_is_sent_to_the_admin_after_logging_in(client, db):
    User.objects.create_user("alice", password="un mot de passe solide", is_staff=True)
    response = client.post(
        reverse("admin:login") + "?next=https://evil.example/",
        {"username": "alice", "password": "un mot de passe solide"},
    )
    assert response["Location"] == reverse("admin:index")


# --- Logins ------------------------------------------------------------------------------


def login(client, password, address="203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {"username": "alice", "password": password},
        REMOTE_ADDR=address,
    )


def test_five_failed_logins_lock_the_account_from_that_address(client, db, caplog):
    User.objects.create_user("alice", password="un mot de passe solide", is_staff=True)
    for _attempt in range(4):
        assert login(client, "mauvais").status_code == 200
    # The fifth failure locks.
    assert login(client, "mauvais").status_code == 429
    assert "AXES: Locking out" in caplog.text and "203.0.113.7" in caplog.text
    locked = login(client, "un mot de passe solide")
    assert locked.status_code == 429
    assert "bloqué" in locked.content.decode()
    # Another address is not locked out: an attacker cannot lock a curator out everywhere.
    assert login(client, "un mot de passe solide", address="198.51.100.9").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, db, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(seconds=-1)
    User.objects.create_user("alice", password="un mot de passe solide", is_staff=True)
    for _attempt in range(5):
        login(client, "mauvais")
    assert login(client, "un mot de passe solide").status_code == 302


def test_a_curator_password_equal_to_the_username_is_refused(db, monkeypatch):
    answers = iter(
        [
            "camille-dupont",
            "camille-dupont",
            "Un-vrai-mot-de-passe-2026",
            "Un-vrai-mot-de-passe-2026",
        ]
    )
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    errors = StringIO()
    call_command("create_curator", "camille-dupont", stderr=errors, stdout=StringIO())
    assert "trop semblable" in errors.getvalue()
    assert User.objects.get(username="camille-dupont").check_password("Un-vrai-mot-de-passe-2026")
    with pytest.raises(CommandError):
        call_command("create_curator", "camille-dupont")


# --- Links --------------------------------------------------------------------------------


def test_javascript_urls_written_outside_the_forms_are_not_links(client, site):
    hostile = "javascript:alert(document.domain)"
    Initiative.objects.filter(slug="maison-des-echanges").update(website=hostile)
    Actor.objects.filter(slug="institut-godin").update(website="JavaScript:alert(1)")
    assessment = Assessment.objects.published().first()
    CriterionScore.objects.filter(assessment=assessment).update(link=" javascript:alert(2)")
    pages = [
        "/initiatives/maison-des-echanges/",
        "/acteurs/institut-godin/",
        assessment.get_absolute_url(),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert not re.search(r'href="\s*javascript:', html, re.IGNORECASE), url
    detail = client.get("/initiatives/maison-des-echanges/").content.decode()
    assert '"sameAs"' not in detail
    # Shown as text, so that a curator notices it.
    assert hostile in detail


def test_web_and_mail_links_stay_links(client, site):
    Initiative.objects.filter(slug="maison-des-echanges").update(website="https://example.org/")
    html = client.get("/initiatives/maison-des-echanges/").content.decode()
    assert 'href="https://example.org/"' in html
    assert '"sameAs": "https://example.org/"' in html


# --- Hostile input ------------------------------------------------------------------------

OVERFLOWING = "9" * 25


def changelists():
    return sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        # Who curates which territory is for superusers only.
        if model._meta.app_label in CONTENT_APPS and model is not TerritorialCurator
    )


def filter_parameters(curator_client, url):
    """The parameters of the list filters and date hierarchy a change list offers."""
    page = curator_client.get(url).content.decode()
    names = {
        name
        for href in re.findall(r'href="(\?[^"]*)"', page)
        for name, _value in parse_qsl(urlsplit(unescape(href)).query, keep_blank_values=True)
    }
    model_admin = next(
        a
        for m, a in admin.site._registry.items()
        if url.endswith(f"/{m._meta.app_label}/{m._meta.model_name}/")
    )
    if model_admin.date_hierarchy:
        names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    return names - {"o", "p", "q", "e", "_facets"} | {"q", "p", "o"}


@pytest.mark.parametrize("url", changelists())
def test_every_admin_list_filter_survives_nul_and_overflowing_values(curator_client, site, url):
    parameters = filter_parameters(curator_client, url)
    assert parameters
    for name in parameters:
        nul = curator_client.get(url, {name: "\x00"})
        assert nul.status_code == 400, (url, name)
        assert "%00" in nul.content.decode()
        for value in (OVERFLOWING, "-" + OVERFLOWING, "2024-13-45", "abc"):
            response = curator_client.get(url, {name: value})
            assert response.status_code in (200, 302), (url, name, value, response.status_code)


def test_the_autocomplete_survives_a_nul_in_a_reference(curator_client, site):
    response = curator_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "probe:\x00",
            "app_label": "initiatives",
            "model_name": "initiative",
            "field_name": "replicated_from",
        },
    )
    assert response.status_code == 400


PUBLIC_ROUTES = [
    "/",
    "/initiatives/",
    "/initiatives/maison-des-echanges/",
    "/territoires/",
    "/territoires/grand-est/",
    "/themes/",
    "/acteurs/",
    "/carte/",
    "/carte/embed/",
    "/evaluation/",
    "/comparer/",
    "/api/map/",
    *OPEN_DATA_ROUTES,
    "/api/initiatives.xlsx",
    "/themes/economie-circulaire-reemploi/",
    "/acteurs/institut-godin/",
    "/initiatives/maison-des-echanges/evaluations/1/",
    "/en/",
    "/healthz",
]
FILTER_NAMES = [
    "q", "theme", "territory", "stage", "legal_form", "role", "actor", "year_min", "year_max",
    "located", "framework", "dimension", "dimension_min", "sort", "page", "bbox", "zoom", "i",
    "status",
]  # fmt: skip
hostile_text = strategies.one_of(
    strategies.text(max_size=40),
    strategies.sampled_from(["\x00", OVERFLOWING, "-1", "NaN", "inf", "1e308", "'; --", "%", ""]),
    strategies.integers().map(str),
    strategies.floats().map(str),
)
query = strategies.lists(
    strategies.tuples(
        strategies.one_of(strategies.sampled_from(FILTER_NAMES), strategies.text(max_size=10)),
        hostile_text,
    ),
    max_size=6,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(route=strategies.sampled_from(PUBLIC_ROUTES), parameters=query)
def test_no_query_string_gives_a_server_error(client, site, route, parameters):
    response = client.get(route, parameters)
    assert response.status_code < 500, (route, parameters, response.status_code)


form_body = strategies.dictionaries(
    strategies.one_of(
        strategies.sampled_from(
            [
                "name",
                "slug",
                "summary",
                "status",
                "commune",
                "themes",
                "website",
                "latitude",
                "longitude",
                "year_started",
                "loaded_edit_count",
                "involvements-TOTAL_FORMS",
                "involvements-INITIAL_FORMS",
                "involvements-0-actor",
                "involvements-0-role",
                "initiative",
                "framework",
                "method",
                "kind",
                "sector",
                "parent",
                "code",
                "value",
            ]
        ),  # fmt: skip
        strategies.text(max_size=10),
    ),
    hostile_text.filter(lambda value: "\x00" not in value),
    max_size=10,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    url=strategies.sampled_from(
        [
            "/admin/initiatives/initiative/add/",
            "/admin/initiatives/initiative/1/change/",
            "/admin/actors/actor/add/",
            "/admin/initiatives/territory/add/",
            "/admin/initiatives/theme/add/",
            "/admin/evaluation/assessment/add/?framework=1",
            "/admin/evaluation/observation/add/",
            "/admin/evaluation/observation/import/",
        ]
    ),
    body=form_body,
)
# Found by this test on SQLite, whose integers stop at 2**63 - 1.
@example(url="/admin/initiatives/initiative/add/", body={"commune": str(2**63)})
def test_no_form_body_gives_a_server_error(curator_client, site, url, body):
    response = curator_client.post(url, body)
    assert response.status_code < 500, (url, body, response.status_code)
