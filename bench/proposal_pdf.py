"""How long a three-option proposal PDF takes to render with its charts (a year of
usage for four limits, three ROI charts), beside a one-page WeasyPrint baseline in the
same fonts measured in the same run, alternating, in this process: no database, no
server. The content is built in memory with the same code the task uses (the price
paths, the catalog comparison, the dashboard's meter charts, the ROI calculator and its
charts) and rendered through billing.proposals.documents.render_proposal_pdf.

    .venv/bin/python bench/proposal_pdf.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django

django.setup()

from django.utils.safestring import mark_safe  # noqa: E402

from billing.discounts import negotiated  # noqa: E402
from billing.money import Money  # noqa: E402
from billing.pdf import html_to_pdf  # noqa: E402
from billing.pricing import SeatPrice  # noqa: E402
from billing.proposals.content import (  # noqa: E402
    FORMULAS,
    Contact,
    CurrentPlan,
    OptionContent,
    OptionLimit,
    ProposalContent,
    RoiProjection,
    RoiRow,
    UsageEvidence,
)
from billing.proposals.documents import render_proposal_pdf  # noqa: E402
from billing.proposals.pricing import OptionTerms, price_path  # noqa: E402
from billing.roi.calculator import Assumptions, Outcome, TierInput, evaluate_tier  # noqa: E402
from billing.roi.chart import tier_charts  # noqa: E402
from licensing.catalog.diff import (  # noqa: E402
    FeatureSpec,
    LimitSpec,
    SupportSpec,
    VersionSnapshot,
    compare,
    format_limit,
)
from licensing.usage.charts import chart_label, meter_history_svg  # noqa: E402

BASELINE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="css/proposal-print.css"></head>
<body><h1>Baseline</h1><p>One page, one paragraph, the proposal's fonts.</p></body></html>"""

TODAY = date(2026, 3, 14)
FEATURES = [FeatureSpec(f"f{n}", f"Feature {n}", "core") for n in range(14)]
METRICS = [
    ("seats", "Seats", "seats"),
    ("api-calls", "API calls a month", "calls"),
    ("storage", "Storage", "GB"),
    ("integrations", "Integrations", "integrations"),
]
SUPPORT = SupportSpec("Standard", 24, ("Email",), False, "")


def snapshot(name: str, features: int, limits: list[int | None]) -> VersionSnapshot:
    return VersionSnapshot(
        tier_name=name, tier_slug=name.lower(), number=1, features=tuple(FEATURES[:features]),
        limits=tuple(LimitSpec(k, n, u, v) for (k, n, u), v in zip(METRICS, limits, strict=True)),
        support=SUPPORT,
    )  # fmt: skip


def content() -> ProposalContent:
    current = snapshot("Team", 9, [15, 100_000, 50, 5])
    specs = [  # tier, features, limits, per-seat a year, seats, years, discount
        ("Team", 9, [15, 100_000, 50, 5], "190", 12, 1, "0"),
        ("Business", 11, [50, 1_000_000, 250, 20], "390", 20, 3, "20"),
        ("Enterprise", 14, [None, None, 2000, None], "690", 25, 1, "10"),
    ]
    options = []
    for position, (name, features, limits, price, seats, years, percent) in enumerate(specs, 1):
        target = snapshot(name, features, limits)
        discounts = negotiated(Decimal(percent), "Three-year commitment")
        path = price_path(OptionTerms(
            price=SeatPrice(Money(Decimal(price), "USD"), "annual", per_seat=True, min_seats=3),
            seats=seats, term_cycles=years, billing="upfront", starts_on=TODAY,
            discounts=discounts,
        ))  # fmt: skip
        options.append(OptionContent(
            position=position, label=f"Option {position}: {name}, {years} years",
            renew_as_is=position == 1, tier_name=name, tier_version=1, retired=False,
            seats=seats, cycle="annual", cycle_label="Annual", term_cycles=years,
            term_text=f"{years} years", billing_label="Up front", starts_on=TODAY, path=path,
            discounts=discounts, discount_text=", ".join(d.describe() for d in discounts),
            needs_approval=False, comparison=compare(current, target, currency="USD", seats=seats),
            recommended=position == 2,
        ))  # fmt: skip
    usage = []
    for index, (_key, name, unit) in enumerate(METRICS):
        months = [(date(2025 + (m + 3) // 12, (m + 3) % 12 + 1, 1), 10 * (m + 1) ** (index + 1))
                  for m in range(12)]  # fmt: skip
        limit = current.limits[index].value
        usage.append(UsageEvidence(
            metric=name, unit=unit, months=months, limit=limit,
            limit_text=format_limit(limit, unit), peak=max(v for _, v in months), months_over=0,
            chart=mark_safe(meter_history_svg(unit=unit, history=months, limit=limit)),
            chart_label=chart_label(name=name, unit=unit, history=months, limit=limit),
            options=[OptionLimit(o.label, None, "Unlimited", 0) for o in options],
        ))  # fmt: skip
    usd = Money(Decimal(75), "USD")
    assumptions = Assumptions(
        team_size=20,
        hourly_cost=usd,
        cost_per_error=usd * 6,
        implementation_cost=usd * 20,
        cycle="annual",
        horizon_years=3,
    )
    rows = []
    for option in options:
        tier = TierInput(option.tier_name.lower(), option.label, option.path.years[0].net,
                         Decimal("0.4"), Decimal(4), {})  # fmt: skip
        rows.append(RoiRow(option, evaluate_tier(tier, assumptions), "3.7 months", "380%"))
    results = [row.result for row in rows]
    roi = RoiProjection(
        "Inputs entered with the customer", assumptions, rows,
        tier_charts(Outcome(results, [], results[1]), "en"), FORMULAS,
    )  # fmt: skip
    return ProposalContent(
        label="P-2026-0042 v2", number="P-2026-0042", version=2, status="sent",
        status_label="Sent", organization_name="Northwind Analytics",
        cover_note="Your API use outgrew Team this year.", today=TODAY,
        valid_until=date(2026, 4, 13), expired=False, days_left=30,
        sent_at=datetime(2026, 3, 14, 9, 30), current=CurrentPlan(
            "Team", 2, False, 12, "Annual", "$190.00 per seat a year, from 3 seats",
            Money(Decimal(2280), "USD"), Money(Decimal(2280), "USD"), "", date(2026, 4, 1),
            date(2026, 3, 31)),
        options=options, usage=usage, roi=roi,
        contact=Contact("Maya Lindqvist", "maya@tierwise.test"), currency="USD",
    )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    # Warm up: fonts are loaded and stylesheets parsed on first use.
    html_to_pdf(BASELINE)
    pdf = render_proposal_pdf(content())
    # Wall time, and this process's CPU time beside it: on a shared machine the wall
    # time includes the waits for a core, the CPU time does not.
    timings: dict[str, list[tuple[float, float]]] = {"baseline": [], "proposal": []}

    def timed(name: str, work) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        timings[name].append((time.perf_counter() - wall, time.process_time() - cpu))

    for _ in range(args.runs):
        timed("baseline", lambda: html_to_pdf(BASELINE))
        # The content too (the charts are drawn there), as the task does each render.
        timed("proposal", lambda: render_proposal_pdf(content()))
    medians = {
        name: [statistics.median(run[i] for run in runs) for i in (0, 1)]
        for name, runs in timings.items()
    }
    (base, base_cpu), (prop, prop_cpu) = medians["baseline"], medians["proposal"]
    print(f"one-page baseline     median {base * 1000:7.1f} ms, CPU {base_cpu * 1000:7.1f} ms"
          f" ({args.runs} runs)")  # fmt: skip
    print(f"proposal, 3 options   median {prop * 1000:7.1f} ms, CPU {prop_cpu * 1000:7.1f} ms"
          f" ({len(pdf) // 1024} KiB)")  # fmt: skip
    print(f"proposal / baseline   {prop / base:.2f}x (CPU {prop_cpu / base_cpu:.2f}x)")


if __name__ == "__main__":
    main()
