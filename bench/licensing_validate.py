"""Throughput and latency of POST /api/v1/licenses/validate against a minimal Django JSON
view taking the same POST, in one run, under gunicorn on PostgreSQL and Redis.

Its own database (tierwise_bench_licensing, dropped afterwards), Redis database 7 as the
cache, the demo catalog and one license with an API token; wrk sends both URLs the same
POST over 32 connections: a warm-up, then baseline and validation alternately, three
runs; prints each run and the medians (see bench/common.py).

    .venv/bin/python bench/licensing_validate.py [--workers 2] [--connections 32]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379,
or BENCH_DATABASE_ADMIN_URL / BENCH_REDIS_URL pointing elsewhere on loopback.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Load, add_arguments, compare, gunicorn, prepared_site

DATABASE = "tierwise_bench_licensing"

SETUP = """
import json
from datetime import date
from licensing.demo.catalog import build_catalog
from licensing.licenses.services import Actor, license_create
from licensing.models import TierVersion
from licensing.api.tokens import api_token_create
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, connections=32)
    args = parser.parse_args(argv)
    # The limiter still counts every request; the ceiling is just out of reach.
    with prepared_site(DATABASE, LICENSING_API_RATE_LIMIT=str(10**9)) as site:
        site.env["DEBUG"] = "true"  # only for the setup: a throwaway signing key in var/
        made = json.loads(site.manage("shell", "-c", SETUP, capture=True).splitlines()[-1])
        site.env["DEBUG"] = "false"
        body = json.dumps({"key": made["key"]})
        headers = (
            ("Content-Type", "application/json"),
            ("Authorization", f"Bearer {made['token']}"),
        )
        with gunicorn(site, args.workers):
            request = urllib.request.Request(
                site.url("/api/v1/licenses/validate"), body.encode(), dict(headers)
            )
            if not json.loads(urllib.request.urlopen(request).read())["valid"]:
                sys.exit("The validation endpoint did not validate the key.")
            print(
                f"gunicorn: {args.workers} sync workers; wrk: 1 thread, {args.connections} "
                f"connections, {args.seconds} s per URL and run",
                flush=True,
            )
            compare(
                site,
                Load("/bench/minimal.json", body, headers),
                Load("/api/v1/licenses/validate", body, headers),
                connections=args.connections,
                seconds=args.seconds,
                runs=args.runs,
                what="validate / minimal throughput",
            )


if __name__ == "__main__":
    main()
