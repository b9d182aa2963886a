"""Throughput and latency of /pricing/ against a minimal Django view, in one run.

Its own PostgreSQL database (tierwise_bench, dropped afterwards), Redis database 7 as
the cache, the demo catalog, gunicorn on loopback, and wrk driving both URLs alike:
a warm-up, then baseline and page alternately, three runs; prints each run and the
medians (see bench/common.py).

    .venv/bin/python bench/pricing.py [--workers 2] [--connections 8] [--seconds 10]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379,
or BENCH_DATABASE_ADMIN_URL / BENCH_REDIS_URL pointing elsewhere on loopback.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Load, add_arguments, compare, gunicorn, prepared_site

DATABASE = "tierwise_bench"
# A first-time visitor: no cookies, an English browser.
HEADERS = (("Accept-Language", "en-US"),)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, connections=8)
    args = parser.parse_args(argv)
    with prepared_site(DATABASE) as site:
        # Only the catalog: the pricing page needs nothing else from the demo.
        setup = "from licensing.demo.catalog import build_catalog; build_catalog()"
        site.manage("shell", "-c", setup)
        with gunicorn(site, args.workers):
            page = urllib.request.urlopen(site.url("/pricing/")).read()
            if b"Tierwise Licensing" not in page:
                sys.exit("/pricing/ did not render the demo catalog.")
            print(
                f"gunicorn: {args.workers} sync workers; wrk: 1 thread, {args.connections} "
                f"connections, {args.seconds} s per URL and run; page {len(page):,} bytes",
                flush=True,
            )
            compare(
                site,
                Load("/bench/minimal/", headers=HEADERS),
                Load("/pricing/", headers=HEADERS),
                connections=args.connections,
                seconds=args.seconds,
                runs=args.runs,
                what="pricing / minimal throughput",
            )


if __name__ == "__main__":
    main()
