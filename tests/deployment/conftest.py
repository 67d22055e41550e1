"""The production stack on loopback, for the tests of this folder.

A throwaway PostgreSQL cluster and Redis instance of their own (never the shared servers),
two gunicorn app servers with the production settings, and nginx in front of them with
deploy/nginx.conf over HTTPS (a self-signed certificate). Everything lives in a temporary
folder and is removed after the tests; the ports are picked free at start.

These tests need root (to create a PostgreSQL cluster), nginx, redis-server, openssl and wrk.
Without them they are skipped, except in CI.
"""

import contextlib
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
TOOLS = ["pg_createcluster", "pg_ctlcluster", "pg_dump", "redis-server", "nginx", "openssl", "wrk"]
PG_VERSION = max(os.listdir("/etc/postgresql"), key=int) if os.path.isdir("/etc/postgresql") else ""
ADMIN = ("deployeur", "Un-mot-de-passe-pour-le-test-2026")


def pytest_collection_modifyitems(config, items):
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    reason = None
    if missing:
        reason = f"missing {', '.join(missing)} (apt-get install nginx-light wrk redis-server)"
    elif os.geteuid() != 0:
        reason = "needs root to create a throwaway PostgreSQL cluster"
    for item in items:
        if "tests/deployment/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.deployment)
            if reason:
                if os.environ.get("CI") == "true":
                    raise pytest.UsageError(
                        f"CI=true but the deployment tests cannot run: {reason}"
                    )
                item.add_marker(pytest.mark.skip(reason=reason))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def wait_for(check, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@dataclass
class Response:
    status: int
    headers: dict
    content: bytes
    seconds: float

    def text(self):
        return self.content.decode()


@dataclass
class Client:
    """A small HTTP(S) client that keeps cookies and never follows redirects."""

    port: int
    https: bool = False
    cookies: dict = field(default_factory=dict)
    # Talking to gunicorn directly, as nginx would: the scheme the client used.
    proxied: bool = False

    def request(self, method, path, body=None, headers=None, timeout=40):
        if self.https:
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=timeout, context=ssl._create_unverified_context()
            )
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = dict(headers or {})
        if self.proxied:
            headers.setdefault("X-Forwarded-Proto", "https")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.monotonic()
        connection.request(method, path, body=body, headers=headers)
        raw = connection.getresponse()
        content = raw.read()
        seconds = time.monotonic() - start
        for header in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, content, seconds)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post_form(self, path, data, referer):
        from urllib.parse import urlencode

        body = urlencode(data, doseq=True)
        return self.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": referer,
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            },
        )


@dataclass
class Stack:
    folder: Path
    cluster: str
    pg_port: int
    redis_port: int
    app_ports: list
    https_port: int
    env: dict
    processes: dict = field(default_factory=dict)

    @property
    def database_url(self):
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/essaim"

    @property
    def origin(self):
        return f"https://127.0.0.1:{self.https_port}"

    def client(self):
        return Client(self.https_port, https=True)

    def app_client(self, index):
        return Client(self.app_ports[index], proxied=True)

    def manage(self, *arguments):
        return run(sys.executable, "manage.py", *arguments, cwd=PROJECT, env=self.env)

    def psql(self, sql, database="essaim"):
        result = run(
            "psql", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-d", database,
            "-Atc", sql,
        )  # fmt: skip
        return result.stdout.strip()

    # Faults.
    def stop_postgres(self):
        run(
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            PG_VERSION,
            self.cluster,
            "stop",
            "-m",
            "fast",
        )

    def start_postgres(self):
        run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, self.cluster, "start")

    def postgres_pids(self):
        data = Path(f"/var/lib/postgresql/{PG_VERSION}/{self.cluster}")
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True
        ).stdout.split()
        return [postmaster, *map(int, children)]

    def freeze_postgres(self):
        for pid in self.postgres_pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw_postgres(self):
        for pid in self.postgres_pids():
            os.kill(pid, signal.SIGCONT)

    def start_redis(self):
        self.processes["redis"] = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(
            lambda: socket.create_connection(("127.0.0.1", self.redis_port), 1).close() or True,
            10,
            "Redis listening",
        )

    def stop_redis(self):
        process = self.processes.pop("redis")
        process.terminate()
        process.wait(10)

    def logs(self):
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.folder.glob("*.log"))
        )


def start_postgres_cluster(stack):
    run(
        "pg_createcluster", PG_VERSION, stack.cluster, "--port", str(stack.pg_port),
        "--", "--auth-local=trust", "--auth-host=trust",
    )  # fmt: skip
    stack.start_postgres()
    run("createdb", "-h", "127.0.0.1", "-p", str(stack.pg_port), "-U", "postgres", "essaim")


def start_app_server(stack, index):
    port = stack.app_ports[index]
    log = open(stack.folder / f"gunicorn-{index}.log", "w")  # noqa: SIM115 (the process's)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    stack.processes[f"gunicorn-{index}"] = subprocess.Popen(
        [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=PROJECT, env=stack.env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for(
        lambda: Client(port, proxied=True).get("/healthz").status == 200,
        30,
        f"gunicorn on {port}",
    )


def start_nginx(stack):
    folder = stack.folder
    run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-keyout", str(folder / "key.pem"),
        "-out", str(folder / "cert.pem"),
    )  # fmt: skip
    site = (PROJECT / "deploy" / "nginx.conf").read_text()
    for old, new in [
        ("127.0.0.1:8001", f"127.0.0.1:{stack.app_ports[0]}"),
        ("127.0.0.1:8002", f"127.0.0.1:{stack.app_ports[1]}"),
        ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{stack.https_port} ssl http2;"),
        ("/etc/letsencrypt/live/essaim.example.org/fullchain.pem", str(folder / "cert.pem")),
        ("/etc/letsencrypt/live/essaim.example.org/privkey.pem", str(folder / "key.pem")),
        ("/srv/essaim/media/", str(folder / "media") + "/"),
        ("server_name essaim.example.org;", "server_name 127.0.0.1;"),
    ]:
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "[::]" not in line)
    (folder / "essaim.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        f"""user root;
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder}/nginx-access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/essaim.conf;
}}
"""
    )
    run("nginx", "-t", "-c", str(folder / "nginx.conf"), "-p", str(folder))
    stack.processes["nginx"] = subprocess.Popen(
        ["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: stack.client().get("/healthz").status == 200, 20, "nginx answering")


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stack")
    (folder / "media").mkdir()
    stack = Stack(
        folder=folder,
        cluster=f"essaim_test_{os.getpid()}",
        pg_port=free_port(),
        redis_port=free_port(),
        app_ports=[free_port(), free_port()],
        https_port=free_port(),
        env={},
    )
    stack.env = {
        **{
            key: value
            for key, value in os.environ.items()
            if key not in ("DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "DATABASE_URL": stack.database_url,
        "REDIS_URL": f"redis://127.0.0.1:{stack.redis_port}/0",
        "SECRET_KEY": "a-throwaway-key-for-the-deployment-tests-" + "x" * 20,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": stack.origin,
        "BEHIND_HTTPS_PROXY": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "3600",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "GUNICORN_ACCESS_LOG": "-",
        "DJANGO_SUPERUSER_USERNAME": ADMIN[0],
        "DJANGO_SUPERUSER_PASSWORD": ADMIN[1],
        "DJANGO_SUPERUSER_EMAIL": "deployeur@example.org",
    }
    try:
        start_postgres_cluster(stack)
        stack.start_redis()
        stack.manage("migrate", "--no-input", "-v0")
        stack.manage("load_demo", "-v0")
        stack.manage("createsuperuser", "--no-input")
        stack.manage("collectstatic", "--no-input", "-v0")
        start_app_server(stack, 0)
        start_app_server(stack, 1)
        start_nginx(stack)
        yield stack
    finally:
        for process in stack.processes.values():
            process.terminate()
        for process in stack.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        with contextlib.suppress(OSError, ValueError):
            stack.thaw_postgres()
        subprocess.run(["pg_dropcluster", "--stop", PG_VERSION, stack.cluster], capture_output=True)


def logged_in(client, origin):
    """Log into the admin through its login form, as a curator does."""
    page = client.get("/admin/login/")
    token = page.text().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post_form(
        "/admin/login/",
        {"username": ADMIN[0], "password": ADMIN[1], "csrfmiddlewaretoken": token},
        referer=origin + "/admin/login/",
    )
    assert response.status == 302, response.text()[:500]
    return client
