"""The cost of one `subscription_renew` on PostgreSQL, in one process, no workers: the SQL
statements of one renewal (by verb and table) and the wall time of N renewals, each in
its own savepoint, all rolled back (so the same seeded rows serve every run).

    .venv/bin/python bench/renewal_cost.py --n 50               # a template is made once
    .venv/bin/python bench/renewal_cost.py --n 50 --reuse-template

BENCH_DATABASE names the template database (the run uses <name>_run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.renewals import (
    ADMIN_URL,
    _loopback_only,
    copy_database,
    environment,
    prepare_template,
    sql_per_renewal,
)

DATABASE = os.environ.get("BENCH_DATABASE", "tierwise_bench_renewal_cost")


def timed(ids: list[int], today) -> tuple[list[float], float]:
    """Each renewal's wall time, and this process's CPU time for all of them (steadier
    than the wall time on a shared machine; it leaves out PostgreSQL's own time)."""
    from django.db import transaction

    from billing.models import Subscription
    from billing.renewals import services

    took = []
    cpu = time.process_time()
    with transaction.atomic():
        subscriptions = list(Subscription.objects.filter(pk__in=ids).order_by("pk"))
        for subscription in subscriptions:
            started = time.perf_counter()
            with transaction.atomic():
                result = services.subscription_renew(subscription=subscription, today=today)
            took.append(time.perf_counter() - started)
            assert result.outcome == services.Outcome.RENEWED, result
        transaction.set_rollback(True)
    return took, time.process_time() - cpu


def timed_together(ids: list[int], today, at_once: int) -> tuple[float, float]:
    """The wall and CPU time per renewal of `ids` renewed `at_once` in a transaction
    (billing.renewals.batch, as the term-end job renews them), all rolled back."""
    from django.db import transaction

    from billing.renewals.batch import subscriptions_renew

    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic():
        for start in range(0, len(ids), at_once):
            done = subscriptions_renew(ids[start : start + at_once], today=today)
            assert not done.rest, done.rest
        transaction.set_rollback(True)
    return (time.perf_counter() - started) / len(ids), (time.process_time() - cpu) / len(ids)


def dump(subscription_id: int, today, path: str) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from billing.models import Subscription
    from billing.renewals import services

    with transaction.atomic():
        subscription = Subscription.objects.get(pk=subscription_id)
        with CaptureQueriesContext(connection) as queries:
            services.subscription_renew(subscription=subscription, today=today)
        transaction.set_rollback(True)
    Path(path).write_text("\n".join(q["sql"] for q in queries.captured_queries) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median)")
    parser.add_argument("--reuse-template", action="store_true")
    parser.add_argument("--dump", metavar="FILE", help="write one renewal's SQL to FILE")
    parser.add_argument(
        "--together", type=int, metavar="K", help="renew K at a time in one transaction"
    )
    args = parser.parse_args(argv)
    _loopback_only(ADMIN_URL)
    env = environment(DATABASE, Path(tempfile.mkdtemp(prefix="tierwise-renewal-cost-")), 25)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict.get("OPTIONS", {}).pop("pool", None)
    from bench import renewal_rows
    from portal import clock

    prepare_template(DATABASE, reuse=args.reuse_template)
    copy_database(DATABASE, f"{DATABASE}_run")
    today, now = clock.today(), clock.now()
    ids = renewal_rows.seed(
        count=args.n + 3, term_end=today - timedelta(days=1), prefix="due", now=now
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    sql_per_renewal(ids, today)
    if args.dump:
        dump(ids[0], today, args.dump)
    if args.together:
        timed_together(ids[3 : 3 + min(5, args.n)], today, args.together)  # warm-up
        walls, cpus = zip(
            *(
                timed_together(ids[3 : 3 + args.n], today, args.together)
                for _ in range(args.rounds)
            ),
            strict=True,
        )
        print(
            f"{args.n} renewals, {args.together} at a time, in one process on PostgreSQL: "
            f"{statistics.median(walls) * 1000:.1f} ms each (median of {args.rounds} rounds); "
            f"this process's CPU: {statistics.median(cpus) * 1000:.1f} ms each"
        )
        return
    timed(ids[3 : 3 + min(5, args.n)], today)  # warm-up
    rounds, cpus = [], []
    for _ in range(args.rounds):
        took, cpu = timed(ids[3 : 3 + args.n], today)
        rounds.append(sum(took) / len(took))
        cpus.append(cpu / len(took))
    print(
        f"{args.n} renewals in one process on PostgreSQL: "
        f"{statistics.median(rounds) * 1000:.1f} ms each (median of {args.rounds} rounds: "
        + ", ".join(f"{r * 1000:.1f}" for r in rounds)
        + f" ms; fastest {min(rounds) * 1000:.1f} ms); this process's CPU: "
        f"{statistics.median(cpus) * 1000:.1f} ms each (median)"
    )


if __name__ == "__main__":
    main()
