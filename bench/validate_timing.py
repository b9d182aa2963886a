"""Does validating a key tell by its time whether the key is another organization's? The
median latency of POST /api/v1/licenses/validate for another organization's real key
against a random well-formed key, in one run, under one gunicorn worker on PostgreSQL
and Redis: requests one at a time, the two kinds alternating, first cold (every key
asked for the first time; each other key is a license of an organization of its own)
then warm (the same key again). The ratio should be 1.00 within noise; both answers are
the same 404.

    .venv/bin/python bench/validate_timing.py [--requests 200]

Needs what bench/licensing_validate.py needs (PostgreSQL and Redis on loopback).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HOST, gunicorn, prepared_site

DATABASE = "tierwise_bench_timing"

SETUP = """
import json
from datetime import date
from licensing.licenses import keys
from licensing.demo.catalog import build_catalog
from licensing.licenses.services import Actor, license_create
from licensing.models import TierVersion
from licensing.api.tokens import api_token_create
from portal.models import Organization, Membership, User
build_catalog()
team = TierVersion.objects.get(tier__slug="team", status="published")
mine = Organization.objects.create(name="Caller", slug="caller")
user = User.objects.create_user("bench@example.com")
Membership.objects.create(organization=mine, user=user, role="owner")
other_keys = [
    license_create(
        organization=Organization.objects.create(name=f"Other {n}", slug=f"other-{n}"),
        version=team, seats=5, term_start=date(2026, 1, 1), term_end=date(2099, 12, 31),
        actor=Actor(label="bench"), reason="Benchmark.",
    ).key
    for n in range(N + 1)
]
token = api_token_create(organization=mine, name="bench", created_by=user)
print(json.dumps({"other": other_keys, "random": [keys.generate_key() for _ in range(N + 1)],
    "token": token.secret}))
"""


def _timed(connection: http.client.HTTPConnection, token: str, key: str) -> float:
    body = json.dumps({"key": key})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    connection.request("POST", "/api/v1/licenses/validate", body, headers)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 404:
        sys.exit(f"Expected the same 404 for both kinds of key, got {response.status}.")
    return elapsed * 1000


def _medians(connection, token, other: list[str], random: list[str]) -> tuple[float, float]:
    other_ms, random_ms = [], []
    for other_key, random_key in zip(other, random, strict=True):
        other_ms.append(_timed(connection, token, other_key))
        random_ms.append(_timed(connection, token, random_key))
    return statistics.median(other_ms), statistics.median(random_ms)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="of each kind, cold and warm")
    args = parser.parse_args(argv)
    with prepared_site(DATABASE, LICENSING_API_RATE_LIMIT=str(10**9)) as site:
        site.env["DEBUG"] = "true"  # only for the setup: a throwaway signing key in var/
        setup = SETUP.replace("N + 1", str(args.requests + 1))
        made = json.loads(site.manage("shell", "-c", setup, capture=True).splitlines()[-1])
        site.env["DEBUG"] = "false"
        with gunicorn(site, 1):
            connection = http.client.HTTPConnection(HOST, site.port, timeout=10)
            token, other, random = made["token"], made["other"], made["random"]
            _timed(connection, token, other[-1])  # the token and the worker warm up
            cold = _medians(connection, token, other[:-1], random[:-1])
            warm = _medians(
                connection, token, [other[0]] * args.requests, [random[0]] * args.requests
            )
            print(
                f"gunicorn: 1 sync worker; {args.requests} requests of each kind, one at a "
                "time, alternating"
            )
            for label, (other_ms, random_ms) in (("cold", cold), ("warm", warm)):
                print(
                    f"{label}: another organization's key {other_ms:.2f} ms, random key "
                    f"{random_ms:.2f} ms (medians); ratio {other_ms / random_ms:.2f}"
                )


if __name__ == "__main__":
    main()
