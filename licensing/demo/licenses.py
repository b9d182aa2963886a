"""Demo licenses for the three demo customers, after the demo catalog:

- Northwind Analytics on Team (today's v2): API calls over the limit in two of the last
  three months, so the dashboard suggests Business.
- Acme Robotics on Team v1, retired: grandfathered, shown beside today's Team, with one
  passing spike in API calls and so no suggestion.
- Globex Health on Business, comfortably inside its limits, with a storage override.

Idempotent: an organization that already has a license keeps it, and usage reports carry
fixed idempotency keys, so running the demo again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from licensing.licenses.services import (
    Actor,
    entitlement_override_grant,
    license_create,
    machine_activate,
)
from licensing.models import License, LimitMetric, TierVersion
from licensing.usage import meters
from licensing.usage.services import UsageReport, usage_record_batch
from portal import clock
from portal.models import Organization

DEMO = Actor(label="demo data")


@dataclass(frozen=True)
class DemoLicense:
    slug: str
    tier: str
    version: int
    seats: int
    # API calls per month, oldest first, ending with the current month (12 values).
    calls: tuple[int, ...]
    levels: dict[str, int]  # seats in use, storage, integrations: the level reported
    machines: tuple[str, ...] = ()


LICENSES = [
    DemoLicense(
        "northwind-analytics", "team", 2, 12,
        calls=(52_000, 61_000, 66_000, 70_000, 78_000, 84_000, 91_000, 97_000, 104_000,
               96_000, 118_000, 64_000),
        levels={"seats": 11, "storage": 38, "integrations": 4},
        machines=("nw-build-01", "nw-build-02", "nw-analytics-prod"),
    ),
    DemoLicense(
        "acme-robotics", "team", 1, 6,
        calls=(21_000, 24_000, 22_500, 26_000, 23_000, 25_500, 27_000, 24_000, 29_000,
               83_000, 31_000, 14_000),
        levels={"seats": 5, "storage": 9, "integrations": 2},
        machines=("acme-line-1",),
    ),
    DemoLicense(
        "globex-health", "business", 1, 30,
        calls=(210_000, 230_000, 260_000, 245_000, 280_000, 300_000, 290_000, 310_000,
               330_000, 320_000, 340_000, 150_000),
        levels={"seats": 24, "storage": 140, "integrations": 9},
    ),
    DemoLicense(
        "vandelay-industries", "team", 2, 14,
        calls=(58_000, 63_000, 71_000, 69_000, 74_000, 80_000, 86_000, 83_000, 90_000,
               94_000, 99_000, 41_000),
        levels={"seats": 14, "storage": 41, "integrations": 4},
    ),
]  # fmt: skip


def _moment(period, now: datetime) -> datetime:
    """The middle of a completed month, or the first moment of the current one."""
    if period == meters.period_of(now):
        # The month's first moment, not a moment before now: a report's key names one
        # record, so a second demo run must send the very same record again.
        return datetime(period.year, period.month, 1, tzinfo=now.tzinfo)
    return datetime(period.year, period.month, 15, 12, tzinfo=now.tzinfo)


def _usage(license: License, spec: DemoLicense, now: datetime) -> None:
    current = meters.period_of(now)
    periods = [*meters.completed_periods(current, len(spec.calls) - 1), current]
    reports = [
        UsageReport("api-calls", calls, f"demo-api-calls-{period:%Y-%m}", _moment(period, now))
        for period, calls in zip(periods, spec.calls, strict=True)
    ]
    for key, level in spec.levels.items():
        reports += [
            UsageReport(key, level, f"demo-{key}-{period:%Y-%m}", _moment(period, now))
            for period in periods
        ]
    usage_record_batch(license=license, reports=reports, at=now)


@transaction.atomic
def build_licenses() -> list[str]:
    """One line per demo license; a new license's key is in its line, shown this once."""
    now = clock.now()
    lines = []
    for spec in LICENSES:
        organization = Organization.objects.get(slug=spec.slug)
        version = TierVersion.objects.get(tier__slug=spec.tier, number=spec.version)
        license = License.objects.filter(
            organization=organization, product_id=version.tier.product_id
        ).first()
        key_text = "key unchanged (rotate it on the dashboard to see one)"
        if license is None:
            issued = license_create(
                organization=organization,
                version=version,
                seats=spec.seats,
                term_start=(now - timedelta(days=200)).date(),
                term_end=(now + timedelta(days=165)).date(),
                actor=DEMO,
                reason="Demo data.",
                # Bought over a year ago: the usage reported for the last twelve months
                # (below) is all from its own time, as evidence and charts read it.
                at=now - timedelta(days=400),
            )
            license, key_text = issued.license, f"key {issued.key}"
            for fingerprint in spec.machines:
                machine_activate(license=license, fingerprint=fingerprint, actor=DEMO)
            if spec.slug == "globex-health":
                entitlement_override_grant(
                    license=license,
                    actor=DEMO,
                    reason="Extra storage while their archive migration runs.",
                    metric=LimitMetric.objects.get(key="storage", product=license.product),
                    value=400,
                    ends_at=now + timedelta(days=60),
                )
        _usage(license, spec, now)
        lines.append(f"{organization.name}: {version.tier.name} v{version.number}, {key_text}")
    return lines
