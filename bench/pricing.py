"""Throughput and latency of /pricing/ against a minimal Django view, in one run.

Creates its own PostgreSQL database (tierwise_bench) and uses Redis database 7 for the
cache, migrates, loads the demo catalog, starts gunicorn on loopback and drives both
URLs with the same load: threads opening HTTP connections, bounded by a request count
and a time limit. Prints requests a second, latency percentiles and the ratio.

    .venv/bin/python bench/pricing.py [--workers 2] [--threads 8] [--requests 4000]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379,
or BENCH_DATABASE_ADMIN_URL / BENCH_REDIS_URL pointing elsewhere on loopback.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATABASE = "tierwise_bench"
ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
HOST = "127.0.0.1"


def _loopback_only(url: str) -> None:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"The benchmark only talks to loopback services, not {url}.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _fresh_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    parts = urlsplit(ADMIN_URL)
    return parts._replace(path=f"/{DATABASE}").geturl()


def _environment(var_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": _fresh_database(),
        "CACHE_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "STAFF_REQUIRE_MFA": "false",
        "TIERWISE_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def _wait_until_up(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("gunicorn exited before it was ready.")
        try:
            status, _ = _get(port, "/bench/minimal/")
            if status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer within 30 s.")


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept-Language": "en-US"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<22} {self.per_second:8.1f} req/s   p50 {self.percentile(0.5):6.1f} ms"
            f"   p95 {self.percentile(0.95):6.1f} ms   p99 {self.percentile(0.99):6.1f} ms"
            f"   ({self.requests} requests, {self.errors} errors)"
        )


def _load(port: int, path: str, *, threads: int, requests: int, seconds: float) -> Result:
    lock = threading.Lock()
    remaining = [requests]
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + seconds

    def worker() -> None:
        mine: list[float] = []
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                status, _ = _get(port, path)
            except OSError:
                status = 0
            mine.append(time.perf_counter() - started)
            if status != 200:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return Result(path, len(latencies), errors[0], elapsed, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    _loopback_only(ADMIN_URL)
    _loopback_only(REDIS_URL)
    redis.Redis.from_url(REDIS_URL).flushdb()

    var_dir = Path(tempfile.mkdtemp(prefix="tierwise-bench-"))
    port = _free_port()
    env = _environment(var_dir, port)
    print(f"Preparing {DATABASE}: migrate, demo catalog, static files…", flush=True)
    _manage(env, "migrate", "--noinput")
    # Only the catalog: the pricing page needs nothing else from the demo.
    _manage(env, "shell", "-c", "from licensing.demo import build_catalog; build_catalog()")
    _manage(env, "collectstatic", "--noinput")
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_until_up(port, server)
        status, body = _get(port, "/pricing/")
        if status != 200 or b"Tierwise Licensing" not in body:
            sys.exit(f"/pricing/ did not render the demo catalog (HTTP {status}).")
        warmup = max(50, args.requests // 20)
        for path in ("/bench/minimal/", "/pricing/"):
            _load(port, path, threads=args.threads, requests=warmup, seconds=10)
        print(
            f"gunicorn: {args.workers} sync workers; load: {args.threads} threads, "
            f"up to {args.requests} requests or {args.seconds:.0f} s per URL",
            flush=True,
        )
        minimal = _load(
            port,
            "/bench/minimal/",
            threads=args.threads,
            requests=args.requests,
            seconds=args.seconds,
        )
        pricing = _load(
            port, "/pricing/", threads=args.threads, requests=args.requests, seconds=args.seconds
        )
        print(minimal.line())
        print(pricing.line())
        print(
            f"ratio (pricing / minimal throughput): {pricing.per_second / minimal.per_second:.2f}x"
            f"   pricing page size: {len(body):,} bytes"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(var_dir, ignore_errors=True)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
