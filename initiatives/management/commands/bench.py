"""The benchmark: the production stack on loopback, at several sizes of directory.

    python manage.py bench [--sizes 1000,100000] [--seconds 10] [--smoke]

For each size, a PostgreSQL database `essaim_bench_<size>` on the server of BENCH_DATABASE_URL
(kept for the next run) holds a generated directory (generate_directory). gunicorn serves it
as in production, with two workers, in front of a Redis of its own; wrk (bench/urls.lua), in
another process, requests each scenario's varied URLs for a fixed time after a warm-up:

- warm: the URLs again and again, as real traffic is, with the cache;
- cold: the same scenarios on a server without any cache, every figure computed again.

The floor is measured in the same run: a view that touches no database (/bench/floor) and a
static file. Per scenario: requests per second, p50/p95/p99 latency, bytes per response, SQL
queries per request (counted in this process on one of its URLs) and the workers' memory after
the warm-up and at the end. A table on stdout, and JSON in bench/results/.
"""

import contextlib
import csv
import gzip
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote, urlsplit, urlunsplit
from urllib.request import urlopen

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from config.chromium import CHROMIUM_ARGS
from initiatives.territories import SHIPPED_COG

PROJECT = Path(settings.BASE_DIR)
LUA_SCRIPT = PROJECT / "bench" / "urls.lua"
RESULTS = PROJECT / "bench" / "results"
SEED = 1
# The Transiscope excerpt of the shared open data, beside the project's clone.
EXCERPT = PROJECT.parent / "shared" / "data" / "gogocarto" / "transiscope-excerpt.json"
GOGOCARTO_ELEMENTS = 5000
WARM_UP_SECONDS = 2
COMMON_WORDS = [
    "solidaire", "habitants", "quartier", "insertion", "atelier", "alimentation",
    "emploi", "jardin", "coopératif", "durable",
]  # fmt: skip
RARE_WORDS = [
    "luthier", "vannerie", "sérigraphie", "cordonnerie", "tonnellerie", "reliure",
    "savonnerie", "forge", "herboristerie", "ludothèque",
]  # fmt: skip


GENERATED_COUNT = (
    "from initiatives.models import Initiative; "
    f"print(Initiative.objects.filter(slug__contains='-g{SEED}-').count())"
)
ANALYZE = "from django.db import connection; connection.cursor().execute('ANALYZE')"


class Command(BaseCommand):
    help = "Benchmark the production stack at several sizes of directory (needs wrk)."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="1000,100000")
        parser.add_argument("--seconds", type=float, default=10, help="per scenario and pass")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument(
            "--smoke",
            action="store_true",
            help="A run of a few seconds at 200 initiatives, so that the benchmark cannot rot.",
        )
        parser.add_argument(
            "--describe",
            action="store_true",
            help="(internal) print the scenarios and the map's payload as JSON",
        )

    def handle(self, *args, sizes, seconds, connections, smoke, describe, **options):
        if describe:
            described = {"scenarios": describe_scenarios(), "map_payload": map_payload()}
            self.stdout.write(json.dumps(described))
            return
        for tool in ("wrk", "redis-server"):
            if not shutil.which(tool):
                raise CommandError(f"The benchmark needs {tool} (apt-get install {tool}).")
        warm_up = WARM_UP_SECONDS
        if smoke:
            sizes, seconds, warm_up = "200", 1, 0
        sizes = [int(size) for size in sizes.split(",")]
        runs = {size: self.run_size(size, seconds, warm_up, connections) for size in sizes}
        imports = {} if smoke else self.measure_imports()
        report = {
            "date": timezone.now().isoformat(),
            "machine": machine(),
            "seconds": seconds,
            "connections": connections,
            "runs": runs,
            "imports": imports,
            "targets": targets(runs) + import_targets(imports),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{timezone.now():%Y-%m-%d-%H%M}-{'-'.join(map(str, sizes))}.json"
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        self.stdout.write(table(runs) + "\n" + "\n".join(report["targets"]))
        self.stdout.write(f"Results: {path.relative_to(PROJECT)}")

    def run_size(self, size, seconds, warm_up, connections):
        env = {"DATABASE_URL": self.prepare(size), "SECURE_SSL_REDIRECT": "false"}
        manage(["collectstatic", "--no-input", "-v0"], env)
        described = json.loads(manage(["bench", "--describe"], {**env, "BENCHMARK": "true"}).stdout)
        scenarios = described["scenarios"]
        run = {"scenarios": {}, "map_payload": described["map_payload"]}
        with Redis() as redis_url:
            for mode, extra in (
                ("warm", {"REDIS_URL": redis_url}),
                ("cold", {"DISABLE_CACHE": "true"}),
            ):
                with Server({**env, **extra}) as server:
                    # The warm-up asks each URL once (the warm pass then finds them cached),
                    # the cold pass one URL per scenario (its code loaded, nothing cached).
                    for scenario in scenarios.values() if warm_up else ():
                        for url in scenario["urls"] if mode == "warm" else scenario["urls"][:1]:
                            server.get(url)
                    run[f"rss_after_warm_up_{mode}_kb"] = server.rss_kb()
                    for name, scenario in scenarios.items():
                        urls = [server.url + url for url in scenario["urls"]]
                        figures = server.load(urls, seconds, connections)
                        server.wait_until_idle()
                        entry = run["scenarios"].setdefault(name, {"queries": scenario["queries"]})
                        entry[mode] = figures
                        self.stdout.write(
                            f"{size:>9} {mode} {name}: {figures['requests_per_second']} req/s"
                        )
                    run[f"rss_end_{mode}_kb"] = server.rss_kb()
                    if mode == "cold":
                        run["browser"] = first_markers(server.url)
        return run

    def measure_imports(self):
        """{import: {"rows", "seconds", "rows_per_second", "process_seconds"}} of the imports the
        targets time, run as a curator runs them (`manage.py`) into a database of their own:
        the COG's communes, then a GoGoCarto export of GOGOCARTO_ELEMENTS elements, the
        Transiscope excerpt of ../shared/data repeated with new ids (skipped when it is not
        there). The rate is that of the import, as each command times it, from reading the
        file to the commit; `process_seconds` adds the start of Python and Django."""
        url = self.database("essaim_bench_imports", fresh=True)
        env = {"DATABASE_URL": url}
        manage(["migrate", "--no-input", "-v0"], env)
        measured = {}
        with gzip.open(SHIPPED_COG / "communes.csv.gz", "rt", encoding="utf-8-sig") as file:
            communes = sum(1 for row in csv.DictReader(file) if row["TYPECOM"] == "COM")
        measured["COG communes"] = timed_import(
            communes, ["import_territories", "--cog-dir", str(SHIPPED_COG)], env
        )
        # What autovacuum does after so many inserts; the shared servers of CI run without it.
        manage(["shell", "-c", ANALYZE], env)
        if EXCERPT.is_file():
            with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
                json.dump(repeated_excerpt(GOGOCARTO_ELEMENTS), file)
                file.flush()
                measured["GoGoCarto export"] = timed_import(
                    GOGOCARTO_ELEMENTS, ["import_initiatives", file.name], env
                )
        return measured

    def database(self, name, fresh=False):
        """The URL of this database on BENCH_DATABASE_URL's server, created if need be."""
        import psycopg2

        base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")
        parts = urlsplit(base)
        connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
        connection.autocommit = True
        with connection.cursor() as cursor:
            if fresh:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not cursor.fetchone():
                cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return urlunsplit(parts._replace(path=f"/{name}"))

    def prepare(self, size):
        """The URL of the benchmark's database of this size, generated if need be."""
        name = f"essaim_bench_{size}"
        url = self.database(name)
        env = {"DATABASE_URL": url}
        manage(["migrate", "--no-input", "-v0"], env)
        count = manage(["shell", "-c", GENERATED_COUNT], env).stdout.strip().splitlines()[-1]
        if int(count) != size:
            if int(count):
                raise CommandError(f"{name} holds another directory: drop it (dropdb {name}).")
            self.stdout.write(f"Generating {size} initiatives in {name}…")
            manage(["load_demo", "-v0"], env)
            manage(["generate_directory", "--initiatives", str(size), "--seed", str(SEED)], env)
        return url


def timed_import(rows, arguments, env):
    """Run an import command; its rate, from the time it reports ("… in 4.2 s.")."""
    started = time.monotonic()
    output = manage(arguments, env).stdout
    process_seconds = time.monotonic() - started
    seconds = float(re.findall(r" in (\d+(?:\.\d+)?) s\b", output)[-1])
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": round(rows / seconds),
        "process_seconds": round(process_seconds, 2),
    }


def repeated_excerpt(count):
    """The GoGoCarto excerpt, its elements repeated with new ids and names up to `count`."""
    excerpt = json.loads(EXCERPT.read_text(encoding="utf-8"))
    elements = [
        {**element, "id": f"{element['id']}-{number}", "name": f"{element['name']} {number}"}
        for number in range(count // len(excerpt["data"]) + 1)
        for element in excerpt["data"]
    ]
    return {**excerpt, "data": elements[:count]}


def import_targets(imports):
    return [
        f"{'met' if figures['rows_per_second'] >= 1000 else 'NOT met'}: {name} import at "
        f"{figures['rows_per_second']} rows per second (target 1,000)"
        for name, figures in imports.items()
    ]


def manage(arguments, env):
    """Run manage.py with these arguments and environment (over the production settings)."""
    result = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *arguments],
        env={**os.environ, "DEBUG": "false", "SECRET_KEY": "bench", **env},
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise CommandError(f"manage.py {' '.join(arguments)} failed:\n{result.stderr[-2000:]}")
    return result


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Redis:
    """A Redis of the benchmark's own, on a free port, without persistence."""

    def __enter__(self):
        port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(port)
        return f"redis://127.0.0.1:{port}/0"

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(10)


class Server:
    """gunicorn as in production (gunicorn.conf.py, WhiteNoise), two workers."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix="essaim-bench-", suffix=".log")
        env = {
            **os.environ,
            **self.env,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "false",
            "SECURE_SSL_REDIRECT": "false",
            "EXPORT_RATE_LIMIT": "",
            "BENCHMARK": "true",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            # No worker renewal: memory growth must show.
            "GUNICORN_MAX_REQUESTS": "0",
        }
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=PROJECT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(port)
        urlopen(self.url + "/bench/floor", timeout=10).read()
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(30)

    def load(self, urls, seconds, connections):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
            file.write("\n".join(urls) + "\n")
            file.flush()
            result = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    f"-c{connections}",
                    f"-d{max(1, round(seconds))}s",
                    "--timeout",
                    "30s",
                    "-s",
                    str(LUA_SCRIPT),
                    urls[0],
                    "--",
                    file.name,
                ],  # fmt: skip
                capture_output=True,
                text=True,
                timeout=seconds + 60,
            )
        line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
        raw = json.loads(line)
        requests = max(raw["requests"], 1)
        # No answer within the run: no latency to give, and every target missed.
        answered = raw["requests"] > 0
        return {
            "requests_per_second": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
            "p50_ms": raw["p50_us"] / 1000 if answered else None,
            "p95_ms": raw["p95_us"] / 1000 if answered else None,
            "p99_ms": raw["p99_us"] / 1000 if answered else None,
            # wrk counts the bytes of the whole answers, headers included.
            "bytes_per_response": raw["bytes"] // requests,
            "errors": raw["socket_errors"] + raw["non_2xx"],
        }

    def get(self, url):
        """One request; an error answer is counted by the measured run, not here."""
        with contextlib.suppress(HTTPError):
            urlopen(self.url + url, timeout=120).read()

    def wait_until_idle(self, seconds=180):
        """Wait for the requests wrk left behind: the workers finish them after it stops, and
        would slow the next scenario down."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            urlopen(self.url + "/bench/floor", timeout=seconds).read()
            if time.monotonic() - started < 0.05:
                return
            time.sleep(0.5)

    def rss_kb(self):
        """The workers' resident memory, in kB, summed."""
        total = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue  # a process that just ended
            if re.search(rf"^PPid:\s+{self.process.pid}$", text, re.M):
                total += int(re.search(r"VmRSS:\s+(\d+)", text).group(1))
        return total


def wait_for_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise CommandError(f"Nothing answers on port {port}.")


def describe_scenarios():
    """{name: {"urls": [...], "queries": SQL queries of its first URL}}, from this database."""
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from actors.models import Actor
    from initiatives import counts
    from initiatives.models import Initiative, Territory, Theme

    rng = random.Random(SEED)
    published = Initiative.objects.published()
    regions = list(Territory.objects.filter(kind="region").values_list("slug", flat=True))
    departements = Territory.objects.filter(kind="departement", country="FR")
    # The départements holding the most initiatives: their pages are full (a page of cards)
    # at every size, so that the scenario compares the directory's sizes, not how many cards
    # a page shows (a small département holds a few initiatives among 1,000).
    fullest = list(
        counts.with_counts(departements).order_by("-count", "slug").values_list("slug", flat=True)
    )
    departements = list(departements.values_list("slug", flat=True))
    themes = list(Theme.objects.filter(parent__isnull=True).values_list("slug", flat=True))
    slugs = list(published.order_by("?").values_list("slug", flat=True)[:20])
    funder = (
        Actor.objects.annotate(count=Count("involvements")).order_by("-count").values("slug")[0]
    )["slug"]

    def viewports(zoom, span):
        boxes = []
        for _ in range(20):
            west, south = rng.uniform(-1.5, 6.5 - span), rng.uniform(43.5, 50 - span / 1.5)
            bbox = f"{west:.3f},{south:.3f},{west + span:.3f},{south + span / 1.5:.3f}"
            boxes.append(f"/api/map/?bbox={bbox}&zoom={zoom}")
        return boxes

    scenarios = {
        "floor (no database)": ["/bench/floor"],
        "floor (static file)": [static_url()],
        "home": ["/"],
        "list": ["/initiatives/"],
        "list, région + theme": [
            f"/initiatives/?territory={rng.choice(regions)}&theme={rng.choice(themes)}"
            for _ in range(10)
        ],
        "search": [f"/initiatives/?q={quote(word)}" for word in COMMON_WORDS + RARE_WORDS],
        "list, page 50": ["/initiatives/?page=50"],
        "initiative page": [f"/initiatives/{slug}/" for slug in slugs],
        "département page": [f"/territoires/{slug}/" for slug in fullest[:20]],
        "biggest funder's page": [f"/acteurs/{funder}/"],
        "map, zoom 6": viewports(6, 8),
        "map, zoom 9": viewports(9, 1),
        "map, zoom 14": viewports(14, 0.03),
        "CSV export of a département": [
            f"/api/initiatives.csv?territory={slug}" for slug in departements[:10]
        ],
        "/carte/": ["/carte/"],
    }
    client = Client(HTTP_HOST="127.0.0.1")
    described = {}
    for name, urls in scenarios.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(urls[0])
            if response.streaming:
                b"".join(response.streaming_content)
        described[name] = {"urls": urls, "queries": len(queries)}
    return described


# Metropolitan France and Corsica, as /carte/ shows them on a wide screen.
FRANCE = (-5.5, 41.0, 10.0, 51.5)
FRANCE_ZOOM = 6


def map_payload():
    """{"clustered_bytes": /api/map/'s answer over FRANCE at FRANCE_ZOOM, "points_bytes": the
    same initiatives as plain GeoJSON points, each with its id and name, as a tool that sends
    every point sends them}."""
    from django.test import Client

    from initiatives.models import Initiative

    bbox = ",".join(map(str, FRANCE))
    answer = Client(HTTP_HOST="127.0.0.1").get(f"/api/map/?bbox={bbox}&zoom={FRANCE_ZOOM}")
    located = Initiative.objects.published().in_bbox(*FRANCE)
    points = len('{"type": "FeatureCollection", "features": []}')
    for slug, name, longitude, latitude in located.values_list(
        "slug", "name", "longitude", "latitude"
    ).iterator():
        feature = {
            "type": "Feature",
            "id": slug,
            "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
            "properties": {"name": name},
        }
        points += len(json.dumps(feature, ensure_ascii=False).encode()) + 2  # ", "
    return {"clustered_bytes": len(answer.content), "points_bytes": points}


VIEWPORTS = {"1280 × 800": (1280, 800), "360 × 740": (360, 740)}


def first_markers(url):
    """{viewport: {"first_markers_ms": from the navigation to the first cluster or marker on
    /carte/, "js_heap_mb", "map_answer_bytes"}} in Chromium, on a first visit; None without
    Chromium and Playwright. Every request off the server is aborted (no tiles)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not chromium:
        return None
    measured = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for name, (width, height) in VIEWPORTS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(url) else route.abort()
                ),
            )
            with page.expect_response(lambda response: "/api/map/" in response.url) as answer:
                page.goto(url + "/carte/")
            page.wait_for_function("document.querySelector('.map-cluster, .map-marker')")
            elapsed = page.evaluate("performance.now()")
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            metrics = cdp.send("Performance.getMetrics")["metrics"]
            heap = {metric["name"]: metric["value"] for metric in metrics}
            measured[name] = {
                "first_markers_ms": round(elapsed),
                "js_heap_mb": round(heap["JSHeapUsedSize"] / 2**20, 1),
                "map_answer_bytes": len(answer.value.body()),
            }
            page.close()
        browser.close()
    return measured


def static_url():
    from django.templatetags.static import static

    return static("css/essaim.css")


def machine():
    cpu = re.search(r"model name\s*: (.*)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)
    model = cpu.group(1) if cpu else "?"
    return f"{os.cpu_count()} × {model}, {int(memory) // 1024} MB, Python {sys.version.split()[0]}"


COLUMNS = "{:30} {:>10} {:>7} {:>7} {:>7} {:>10} {:>9} {:>7} {:>4} {:>6}"
HEADINGS = ("scenario", "warm req/s", "p50", "p95", "p99", "cold req/s", "cold p95", "KB", "SQL",
            "errors")  # fmt: skip


def table(runs):
    lines = []
    for size, run in runs.items():
        warm_up, end = run["rss_after_warm_up_warm_kb"] // 1024, run["rss_end_warm_kb"] // 1024
        lines.append(
            f"\n{size} initiatives (workers: {warm_up} MB after warm-up, {end} MB at the end)"
        )
        lines.append(COLUMNS.format(*HEADINGS))
        for name, entry in run["scenarios"].items():
            warm, cold = entry["warm"], entry["cold"]
            lines.append(
                COLUMNS.format(
                    name,
                    warm["requests_per_second"],
                    milliseconds(warm["p50_ms"]),
                    milliseconds(warm["p95_ms"]),
                    milliseconds(warm["p99_ms"]),
                    cold["requests_per_second"],
                    milliseconds(cold["p95_ms"]),
                    f"{warm['bytes_per_response'] / 1024:.1f}",
                    entry["queries"],
                    warm["errors"] + cold["errors"],
                )
            )
    return "\n".join(lines)


def milliseconds(value):
    return "—" if value is None else f"{value:.1f}"


def targets(runs):
    """The issue's targets, each said met or not, from ratios measured in the same run."""
    said = []
    sizes = sorted(runs)
    for size in sizes:
        scenarios = runs[size]["scenarios"]
        floor = scenarios["floor (no database)"]["warm"]["requests_per_second"]
        for name, entry in scenarios.items():
            if name.startswith("floor"):
                continue
            share = entry["warm"]["requests_per_second"] / floor
            needed = 0.4 if name.startswith("map") else 0.2
            said.append(
                f"{'met' if share >= needed else 'NOT met'}: {size} warm {name} at "
                f"{share:.0%} of the floor (target {needed:.0%})"
            )
            if entry["queries"] > 10:
                said.append(
                    f"NOT met: {size} {name} runs {entry['queries']} SQL queries (target 10)"
                )
            weight = entry["warm"]["bytes_per_response"] // 1024
            if weight > 300 and "CSV" not in name:
                said.append(f"NOT met: {size} {name} weighs {weight} KB (target 300)")
        payload = runs[size]["map_payload"]
        share = payload["clustered_bytes"] / max(payload["points_bytes"], 1)
        said.append(
            f"{'met' if share <= 0.01 else 'NOT met'}: {size} the map over France weighs "
            f"{payload['clustered_bytes'] // 1024} KB, {share:.2%} of the same initiatives as "
            f"plain GeoJSON points ({payload['points_bytes'] // 1024} KB; target 1%)"
        )
        for viewport, figures in (runs[size].get("browser") or {}).items():
            fast = figures["first_markers_ms"] <= 1500 and figures["js_heap_mb"] < 30
            said.append(
                f"{'met' if fast else 'NOT met'}: {size} /carte/ at {viewport}: first markers "
                f"in {figures['first_markers_ms']} ms, JS heap {figures['js_heap_mb']} MB "
                "(targets 1,500 ms, 30 MB)"
            )
        warm_up, end = runs[size]["rss_after_warm_up_warm_kb"], runs[size]["rss_end_warm_kb"]
        said.append(
            f"{'met' if end <= warm_up * 1.2 else 'NOT met'}: {size} workers' memory "
            f"{warm_up // 1024} → {end // 1024} MB (target +20%)"
        )
    # Every size against the smallest: 3× at 100,000 and 5× at 1,000,000 the p95 at 1,000.
    small = sizes[0]
    for large in sizes[1:]:
        for name, entry in runs[large]["scenarios"].items():
            if name.startswith("floor") or "CSV" in name:
                continue
            large_p95 = entry["cold"]["p95_ms"]
            small_p95 = runs[small]["scenarios"][name]["cold"]["p95_ms"]
            if large_p95 is None or small_p95 is None:
                said.append(f"NOT met: cold {name} at {large} or {small}: no answer in the run")
                continue
            ratio = large_p95 / max(small_p95, 0.001)
            limit = (
                1.5
                if name in ("initiative page", "département page")
                else (3 if large <= 100_000 else 5)
            )
            said.append(
                f"{'met' if ratio <= limit else 'NOT met'}: cold p95 of {name} at {large} is "
                f"{ratio:.1f}× the one at {small} (target {limit}×)"
            )
    return said
