"""Throughput and latency of POST /api/v1/licenses/validate against a minimal Django JSON
view taking the same POST, in one run, under gunicorn on PostgreSQL and Redis.

Creates its own database (tierwise_bench_licensing), uses Redis database 7 as the cache,
migrates, builds the demo catalog and one license with an API token, starts gunicorn on
loopback and sends both URLs the same load: 32 concurrent connections (threads with
http.client), bounded by a request count and a time limit, after a warm-up.

    .venv/bin/python bench/licensing_validate.py [--workers 2] [--connections 32]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379,
or BENCH_DATABASE_ADMIN_URL / BENCH_REDIS_URL pointing elsewhere on loopback.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pricing
from bench.pricing import (
    ADMIN_URL,
    HOST,
    PYTHON,
    REDIS_URL,
    ROOT,
    Result,
    _free_port,
    _loopback_only,
    _manage,
    _wait_until_up,
)

# The shared helpers create and drop the database named here.
pricing.DATABASE = DATABASE = "tierwise_bench_licensing"

SETUP = """
import json
from datetime import date
from licensing.demo import build_catalog
from licensing.licenses import Actor, license_create
from licensing.models import TierVersion
from licensing.tokens import api_token_create
from portal.models import Organization, Membership, User
build_catalog()
org = Organization.objects.create(name="Bench", slug="bench")
user = User.objects.create_user("bench@example.com")
Membership.objects.create(organization=org, user=user, role="owner")
issued = license_create(organization=org, version=TierVersion.objects.get(tier__slug="team",
    status="published"), seats=5, term_start=date(2026, 1, 1), term_end=date(2099, 12, 31),
    actor=Actor(label="bench"), reason="Benchmark.")
token = api_token_create(organization=org, name="bench", created_by=user)
print(json.dumps({"key": issued.key, "token": token.secret}))
"""


def _post(conn_factory, path: str, body: bytes, headers: dict) -> int:
    conn = conn_factory()
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _load(port, path, body, headers, *, connections, requests, seconds) -> Result:
    lock = threading.Lock()
    remaining = [requests]
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + seconds

    def factory():
        return http.client.HTTPConnection(HOST, port, timeout=10)

    def worker() -> None:
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                status = _post(factory, path, body, headers)
            except OSError:
                status = 0
            mine.append(time.perf_counter() - started)
            failed += status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pool = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return Result(path, len(latencies), errors[0], time.perf_counter() - started, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    _loopback_only(ADMIN_URL)
    _loopback_only(REDIS_URL)
    redis.Redis.from_url(REDIS_URL).flushdb()

    var_dir = Path(tempfile.mkdtemp(prefix="tierwise-bench-"))
    port = _free_port()
    env = pricing._environment(var_dir, port) | {
        # The limiter still runs on every request; the ceiling is just out of reach.
        "LICENSING_API_RATE_LIMIT": str(10**9),
        "LICENSE_SIGNING_KEY": "",
    }
    print(f"Preparing {DATABASE}: migrate, demo catalog, a license and a token…", flush=True)
    _manage(env, "migrate", "--noinput")
    _manage(env, "collectstatic", "--noinput")
    env["DEBUG"] = "true"  # only for the setup: a throwaway signing key in var/
    made = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    env["DEBUG"] = "false"
    secrets = json.loads(made.stdout.strip().splitlines()[-1])
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
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    body = json.dumps({"key": secrets["key"]}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secrets['token']}"}
    try:
        _wait_until_up(port, server)
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.request("POST", "/api/v1/licenses/validate", body=body, headers=headers)
        answer = conn.getresponse()
        if answer.status != 200 or not json.loads(answer.read())["valid"]:
            sys.exit(f"The validation endpoint did not validate the key (HTTP {answer.status}).")
        paths = ("/bench/minimal.json", "/api/v1/licenses/validate")
        for path in paths:
            _load(
                port,
                path,
                body,
                headers,
                connections=args.connections,
                requests=max(200, args.requests // 10),
                seconds=10,
            )
        print(
            f"gunicorn: {args.workers} sync workers; load: {args.connections} connections, "
            f"up to {args.requests} requests or {args.seconds:.0f} s per URL",
            flush=True,
        )
        minimal, validate = (
            _load(
                port,
                path,
                body,
                headers,
                connections=args.connections,
                requests=args.requests,
                seconds=args.seconds,
            )
            for path in paths
        )
        print(minimal.line())
        print(validate.line())
        print(
            f"ratio (validate / minimal throughput): "
            f"{validate.per_second / minimal.per_second:.2f}x"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(var_dir, ignore_errors=True)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
