"""The production stack on loopback (tests/deployment/conftest.py): two app servers behind
nginx, one PostgreSQL, one Redis; what a regional network's deployment relies on.

The tests run in this order, sharing one stack: the faults come last."""

import json
import re
import subprocess
import time

from tests.deployment.conftest import logged_in, wait_for
from tests.forms import FormReader


def form_of(response, form_id):
    reader = FormReader(form_id)
    reader.feed(response.text())
    return reader.values


def test_static_files_are_served_hashed_and_cached_for_long(stack):
    client = stack.client()
    home = client.get("/")
    assert home.status == 200
    stylesheet = re.search(r'href="(/static/css/essaim\.[0-9a-f]{12}\.css)"', home.text()).group(1)
    response = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert "immutable" in response.headers["cache-control"]
    assert response.headers.get("content-encoding") == "gzip"
    assert client.get("/static/js/map.js").status == 200


def test_plain_http_is_sent_to_https_and_public_pages_are_cacheable(stack):
    client = stack.client()
    response = client.get("/initiatives/")
    assert response.status == 200
    assert "public" in response.headers["cache-control"]
    assert "set-cookie" not in response.headers
    assert response.headers["strict-transport-security"] == "max-age=3600"
    # gunicorn reached directly over plain HTTP, as if through a proxy speaking HTTP.
    direct = stack.app_client(0).get("/", headers={"X-Forwarded-Proto": "http"})
    assert direct.status == 301
    assert direct.headers["location"].startswith("https://")


def test_the_health_check_through_nginx(stack):
    response = stack.client().get("/healthz")
    assert response.status == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok", "cache": "ok"}


def test_an_edit_on_one_server_is_seen_at_once_on_the_other(stack):
    maison = int(
        stack.psql("select id from initiatives_initiative where slug='maison-des-echanges'")
    )
    reader = stack.app_client(1)
    etag = reader.get("/api/map/?bbox=-180,-90,180,90&zoom=5").headers["etag"]
    assert "kaléidoscope" not in reader.get("/initiatives/maison-des-echanges/").text()

    writer = logged_in(stack.app_client(0), f"https://127.0.0.1:{stack.app_ports[0]}")
    url = f"/admin/initiatives/initiative/{maison}/change/"
    data = form_of(writer.get(url), "initiative_form")
    data["summary"] = ["Un kaléidoscope d'échanges, de dons et de réparations."]
    saved = writer.post_form(url, data, referer=f"https://127.0.0.1:{stack.app_ports[0]}{url}")
    assert saved.status == 302, saved.text()[:2000]

    # The other server, another process with its own connections: the page, the search and
    # the map's ETag (the directory version, in PostgreSQL) all follow.
    assert "kaléidoscope" in reader.get("/initiatives/maison-des-echanges/").text()
    assert "maison-des-echanges" in reader.get("/initiatives/?q=kaleidoscope").text()
    revalidated = reader.get(
        "/api/map/?bbox=-180,-90,180,90&zoom=5", headers={"If-None-Match": etag}
    )
    assert revalidated.status == 200
    assert revalidated.headers["etag"] != etag
    # And through nginx, whichever server answers.
    for _ in range(4):
        assert "kaléidoscope" in stack.client().get("/initiatives/maison-des-echanges/").text()


def test_a_backup_restores_into_an_empty_database(stack):
    dump = stack.folder / "essaim.dump"
    connection = ["-h", "127.0.0.1", "-p", str(stack.pg_port), "-U", "postgres"]
    subprocess.run(["pg_dump", *connection, "-Fc", "-f", str(dump), "essaim"], check=True)
    subprocess.run(["createdb", *connection, "essaim_restored"], check=True)
    subprocess.run(
        ["pg_restore", *connection, "--no-owner", "-d", "essaim_restored", str(dump)], check=True
    )
    for table in (
        "initiatives_initiative",
        "actors_involvement",
        "actors_actorcontact",
        "evaluation_assessment",
        "evaluation_criterionscore",
        "evaluation_observation",
        "reversion_version",
        "reversion_revision",
        "initiatives_directoryversion",
    ):
        count = f"select count(*) from {table}"
        assert stack.psql(count, "essaim_restored") == stack.psql(count), table
    assert int(stack.psql("select count(*) from reversion_version", "essaim_restored")) > 0
    restored = stack.psql(
        "select summary from initiatives_initiative where slug='maison-des-echanges'",
        "essaim_restored",
    )
    assert "kaléidoscope" in restored


def test_a_load_of_64_connections_gets_no_error(stack):
    """wrk over the main public pages and the map, through nginx and both app servers."""
    script = stack.folder / "paths.lua"
    paths = [
        "/",
        "/initiatives/",
        "/initiatives/?theme=economie-circulaire-reemploi",
        "/initiatives/?q=solidaire",
        "/initiatives/maison-des-echanges/",
        "/territoires/hauts-de-france/",
        "/acteurs/",
        "/carte/",
        "/api/map/?bbox=-5.5,41,10,51.5&zoom=6",
        "/api/map/?bbox=1,49,4,51&zoom=9",
    ]
    script.write_text(
        "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\n"
        "end\n"
    )
    seconds = int(__import__("os").environ.get("LOAD_SECONDS", "60"))
    result = subprocess.run(
        # wrk gives up on a request after 2 s by default: 64 connections queue on four sync
        # workers for longer than that on two cores; nginx waits 35 s.
        [
            "wrk",
            "-t2",
            "-c64",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(script),
            stack.origin,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    )
    report = result.stdout
    # Shown with -s (pytest -s -m deployment); docs/performance.md quotes a run.
    print(report)
    assert "Non-2xx or 3xx responses" not in report, report
    assert "Socket errors" not in report, report
    requests = int(re.search(r"(\d+) requests in", report).group(1))
    assert requests > seconds * 10, report
    logs = stack.logs()
    assert "Traceback" not in logs
    assert " ERROR " not in logs
    assert "upstream" not in (stack.folder / "nginx-error.log").read_text()


def test_redis_down_only_slows_the_pages(stack):
    client = stack.client()
    stack.stop_redis()
    try:
        # The export's rate limit counts in Redis: it fails open (config/settings.py).
        for path in (
            "/",
            "/initiatives/",
            "/carte/",
            "/api/map/?bbox=-180,-90,180,90&zoom=3",
            "/api/initiatives.csv",
        ):
            assert client.get(path).status == 200, path
        health = client.get("/healthz")
        assert health.status == 503
        assert "cache" in json.loads(health.content)
    finally:
        stack.start_redis()
    wait_for(lambda: client.get("/healthz").status == 200, 10, "health back with Redis")


def test_postgresql_stopped_gives_a_503_page_at_once_then_recovers(stack):
    client = stack.client()
    stack.stop_postgres()
    try:
        response = client.get("/initiatives/")
        assert response.status == 503
        assert response.seconds < 5
        assert response.headers["retry-after"] == "30"
        assert "temporairement indisponible" in response.text()
        health = client.get("/healthz")
        assert health.status == 503 and "database" in json.loads(health.content)
    finally:
        stack.start_postgres()
    started = time.monotonic()
    wait_for(lambda: client.get("/initiatives/").status == 200, 20, "pages back")
    assert time.monotonic() - started < 20
    # What was saved before the outage is still there.
    assert "kaléidoscope" in client.get("/initiatives/maison-des-echanges/").text()


def test_a_frozen_postgresql_gives_503s_within_the_timeouts_not_hangs(stack):
    client = stack.client()
    # Warm connections first: the frozen server must stop answering them too.
    for _ in range(4):
        assert client.get("/initiatives/").status == 200
    stack.freeze_postgres()
    try:
        for _ in range(3):
            response = client.get("/initiatives/maison-des-echanges/")
            assert response.status == 503, response.status
            # At worst the frozen connection's health check (5.5 s) and a new connection
            # (DATABASE_CONNECT_TIMEOUT, 3 s); gunicorn would wait 30.
            assert response.seconds < 10, response.seconds
    finally:
        stack.thaw_postgres()
    wait_for(lambda: client.get("/initiatives/").status == 200, 30, "pages back after the thaw")
