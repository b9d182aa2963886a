"""What the benchmarks share: a throwaway PostgreSQL database and Redis cache on loopback,
gunicorn serving the site plus the baselines (bench/urls.py), and wrk as the load
generator, each URL measured beside its baseline in the same run, several times.

wrk (C, one thread) rather than a Python client: on a two-core machine a Python load
generator takes a core's worth of CPU from the server and distorts the ratio.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
# On a machine shared with other runs: a database name and a port of one's own.
DATABASE_OVERRIDE = os.environ.get("BENCH_DATABASE", "")
PORT_OVERRIDE = os.environ.get("BENCH_PORT", "")
# Two cores, two sync workers: on this machine 3 measured the same within noise and 4
# was slower (more context switches); try --workers.
DEFAULT_WORKERS = 2


def _loopback_only(url: str) -> None:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"The benchmark only talks to loopback services, not {url}.")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        print("Installing wrk (apt-get)…", flush=True)
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)
        found = shutil.which("wrk")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _drop(database: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@dataclass
class Site:
    port: int
    env: dict[str, str]

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def manage(self, *args: str, capture: bool = False) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=capture,
            stdout=None if capture else subprocess.DEVNULL,
            text=True,
        )
        return done.stdout if capture else ""


@contextmanager
def prepared_site(database: str, **extra_env: str) -> Iterator[Site]:
    """A fresh database (dropped afterwards), Redis database 7 flushed, migrated, static
    files collected; the caller loads its data with site.manage before serving."""
    _loopback_only(ADMIN_URL)
    _loopback_only(REDIS_URL)
    database = DATABASE_OVERRIDE or database
    redis.Redis.from_url(REDIS_URL).flushdb()
    _drop(database)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    var_dir = Path(tempfile.mkdtemp(prefix="tierwise-bench-"))
    port = int(PORT_OVERRIDE) if PORT_OVERRIDE else _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": urlsplit(ADMIN_URL)._replace(path=f"/{database}").geturl(),
        "CACHE_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "STAFF_REQUIRE_MFA": "false",
        "TIERWISE_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **extra_env,
    }
    site = Site(port, env)
    try:
        print(f"Preparing {database}: migrate, static files…", flush=True)
        site.manage("migrate", "--noinput")
        site.manage("collectstatic", "--noinput")
        yield site
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        _drop(database)


@contextmanager
def gunicorn(site: Site, workers: int) -> Iterator[None]:
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--bind",
            f"{HOST}:{site.port}",
            "--workers",
            str(workers),
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=site.env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                sys.exit("gunicorn exited before it was ready.")
            try:
                urllib.request.urlopen(site.url("/bench/minimal/"), timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("gunicorn did not answer within 30 s.")
                time.sleep(0.2)
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass(frozen=True)
class Load:
    """What wrk sends: a GET, or a POST with a JSON body, with extra headers."""

    path: str
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    name: str = ""  # what the printed lines call it; the path when empty


@dataclass(frozen=True)
class Result:
    path: str
    per_second: float
    p50: float  # milliseconds
    p99: float
    requests: int
    errors: int

    def line(self) -> str:
        return (
            f"{self.path:<28} {self.per_second:8.1f} req/s   p50 {self.p50:6.2f} ms   "
            f"p99 {self.p99:6.2f} ms   ({self.requests} requests, {self.errors} errors)"
        )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(path: str, output: str) -> Result:
    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else 0.0

    percentiles = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+(?:us|ms|s))\s*$", output, re.M))
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return Result(
        path=path,
        per_second=number(r"Requests/sec:\s+([\d.]+)"),
        p50=_milliseconds(percentiles["50"]),
        p99=_milliseconds(percentiles["99"]),
        requests=int(number(r"(\d+) requests in")),
        errors=int(number(r"Non-2xx or 3xx responses: (\d+)")) + socket_errors,
    )


def wrk(site: Site, load: Load, *, connections: int, seconds: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if load.body is not None:
            script.write(f'wrk.method = "POST"\nwrk.body = [[{load.body}]]\n')
    command = [ensure_wrk(), "--latency", "-t1", f"-c{connections}", f"-d{seconds}s"]
    command += ["-s", script.name]
    for name, value in load.headers:
        command += ["-H", f"{name}: {value}"]
    try:
        output = subprocess.run(
            [*command, site.url(load.path)], check=True, capture_output=True, text=True
        ).stdout
    finally:
        os.unlink(script.name)
    return parse_wrk(load.name or load.path, output)


def compare(
    site: Site,
    baseline: Load,
    target: Load,
    *,
    connections: int,
    seconds: int,
    runs: int,
    what: str,
) -> list[tuple[Result, Result]]:
    """Warm both up, then alternate baseline and target `runs` times; print each run and
    the medians."""
    for load in (baseline, target):
        wrk(site, load, connections=connections, seconds=3)
    pairs = []
    for run in range(1, runs + 1):
        pair = (
            wrk(site, baseline, connections=connections, seconds=seconds),
            wrk(site, target, connections=connections, seconds=seconds),
        )
        pairs.append(pair)
        print(f"run {run}:\n  {pair[0].line()}\n  {pair[1].line()}", flush=True)
        print(f"  ratio {pair[1].per_second / pair[0].per_second:.2f}x", flush=True)
    ratios = [t.per_second / b.per_second for b, t in pairs]
    for index, label in ((0, baseline.name or baseline.path), (1, target.name or target.path)):
        results = [pair[index] for pair in pairs]
        print(
            f"median {label:<28} {statistics.median(r.per_second for r in results):8.1f} req/s"
            f"   p50 {statistics.median(r.p50 for r in results):6.2f} ms"
            f"   p99 {statistics.median(r.p99 for r in results):6.2f} ms"
        )
    print(f"median ratio ({what}): {statistics.median(ratios):.2f}x over {runs} runs", flush=True)
    return pairs


def add_arguments(parser, *, connections: int) -> None:
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--seconds", type=int, default=10, help="per URL and run")
    parser.add_argument("--runs", type=int, default=3)
