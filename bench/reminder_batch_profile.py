"""One batch of renewal reminders profiled in this process on PostgreSQL: the queries it
makes (CaptureQueriesContext) and where its CPU goes (cProfile). Uses bench/reminders.py's
seed; the batch's notices and emails are rolled back, so it can be run again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tw_remind \\
    .venv/bin/python bench/reminder_batch_profile.py --licenses 50
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--licenses", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench.reminders import seed
    from billing.renewals.notices import reminders_send
    from portal import clock

    ids = seed(args.licenses)[: args.licenses]
    try:  # a first run, outside the measure: imports, the URL conf, template loading
        with transaction.atomic():
            reminders_send(license_ids=ids, today=clock.today())
            raise Rollback
    except Rollback:
        pass
    profile = cProfile.Profile()
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            profile.enable()
            counts = reminders_send(license_ids=ids, today=clock.today())
            profile.disable()
            elapsed = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    print(f"{counts.sent} sent, {counts.emails} emails, {counts.already_sent} already sent")
    print(
        f"{elapsed * 1000:.0f} ms, {elapsed * 1000 / len(ids):.1f} ms per license; "
        f"{len(queries)} queries, {len(queries) / len(ids):.1f} per license"
    )
    shapes = collections.Counter(
        re.sub(r"\d+", "N", q["sql"].split(" WHERE ")[0])[:110] for q in queries.captured_queries
    )
    for shape, n in shapes.most_common(20):
        print(f"{n:6d}  {shape}")
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
