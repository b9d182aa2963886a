"""Proposals for the delivery tests: the proposal and its versions' options written with
the models directly (a fixed number, P-2026-0042, and several versions side by side,
which the builder's services would not give); a version is sent through
billing.proposals.sending.proposal_send (tests.factories.proposals.sent):
Northwind on Team v2, 12 seats billed yearly since 1 April 2025, with a year of API
calls that outgrew Team's 100,000 a month, and proposal P-2026-0042 of three options.

    1. Renew as is: Team v2, 12 seats, 1 year: 12 x $190 = $2,280.00
    2. Business: 20 seats, 3 years up front, 20 % off (three-year commitment):
       20 x $390 = $7,800.00 a year, -$1,560.00, $6,240.00 net; $18,720.00 in all
    3. Enterprise: 25 seats, 1 year, 10 % off (launch partner):
       25 x $690 = $17,250.00, -$1,725.00, $15,525.00
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from billing.models import (
    Proposal,
    ProposalOption,
    ProposalStatus,
    ProposalVersion,
)
from licensing.models import License, LimitMetric, TierVersionPrice, UsageRecord
from tests.helpers.checkout import subscribed

TERM_START = date(2025, 4, 1)
TERM_END = date(2026, 3, 31)
VALID_UNTIL = date(2026, 4, 13)
# API calls a month, April 2025 to March 2026 (this month so far last).
API_CALLS = [
    62_000, 70_000, 78_000, 85_000, 91_000, 96_000,
    104_000, 112_000, 118_000, 125_000, 131_000, 58_000,
]  # fmt: skip
SEATS = [7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12]
STORAGE = [8, 9, 10, 11, 12, 14, 15, 17, 18, 20, 22, 23]


@dataclass(frozen=True)
class OptionSpec:
    tier: str
    seats: int
    cycle: str = "annual"
    term_cycles: int = 1
    billing: str = "upfront"
    discount_percent: str = "0"
    discount_reason: str = ""
    renew_as_is: bool = False


THREE_OPTIONS = (
    OptionSpec("team", 12, renew_as_is=True),
    OptionSpec("business", 20, term_cycles=3, discount_percent="20",
               discount_reason="Three-year commitment"),
    OptionSpec("enterprise", 25, discount_percent="10", discount_reason="Launch partner"),
)  # fmt: skip


def northwind_license(organization, catalog) -> License:
    license = subscribed(
        organization,
        catalog,
        "team",
        seats=12,
        cycle="annual",
        term_start=TERM_START,
        term_end=TERM_END,
    )
    record_usage(license, "api-calls", API_CALLS)
    record_usage(license, "storage", STORAGE)
    record_usage(license, "seats", SEATS)
    return license


def record_usage(license: License, key: str, values: list[int]) -> None:
    metric = LimitMetric.objects.get(key=key)
    batch = uuid.uuid4()
    rows = []
    for index, quantity in enumerate(values):
        month = (TERM_START.month - 1 + index) % 12 + 1
        year = TERM_START.year + (TERM_START.month - 1 + index) // 12
        period = date(year, month, 1)
        rows.append(
            UsageRecord(
                license=license,
                metric=metric,
                quantity=quantity,
                period=period,
                recorded_at=datetime(year, month, 2, tzinfo=UTC),
                idempotency_key=f"{key}-{period}",
                batch=batch,
            )
        )
    UsageRecord.objects.bulk_create(rows)


def make_version(
    proposal: Proposal,
    catalog,
    *,
    number: int = 1,
    options=THREE_OPTIONS,
    status: str = ProposalStatus.DRAFT,
    roi_inputs: dict | None = None,
    cover_note: str = "",
    currency: str = "USD",
) -> ProposalVersion:
    version = ProposalVersion.objects.create(
        proposal=proposal,
        number=number,
        status=status,
        valid_until=VALID_UNTIL,
        cover_note=cover_note,
        roi_inputs=roi_inputs or {},
        created_by=proposal.prepared_by,
    )
    for position, spec in enumerate(options, start=1):
        tier_version = catalog.version(spec.tier)
        ProposalOption.objects.create(
            proposal_version=version,
            position=position,
            tier_version=tier_version,
            price=TierVersionPrice.objects.get(
                version=tier_version, currency_id=currency, cycle=spec.cycle
            ),
            seats=spec.seats,
            cycle=spec.cycle,
            term_cycles=spec.term_cycles,
            billing=spec.billing,
            discount_percent=Decimal(spec.discount_percent),
            discount_reason=spec.discount_reason,
            renew_as_is=spec.renew_as_is,
        )
    return version


def make_proposal(license: License, *, prepared_by, number: str = "P-2026-0042") -> Proposal:
    return Proposal.objects.create(
        number=number,
        organization=license.organization,
        license=license,
        prepared_by=prepared_by,
    )


ROI_INPUTS = {
    "product": "tierwise-licensing",
    "team_size": "20",
    "currency": "USD",
    "hourly_cost": "75",
    "cost_per_error": "500",
    "implementation_cost": "2000",
    "cycle": "annual",
    "horizon_years": "3",
    "discount_rate": "",
}


def saved_scenario(organization):
    """The customer's saved ROI scenario "Ops team", with the projection's numbers."""
    from billing.models import RoiScenario

    return RoiScenario.objects.create(organization=organization, name="Ops team", query=ROI_INPUTS)


def delete_scenario(client, scenario) -> None:
    """The customer deletes it on their ROI page, as any member may."""
    from django.urls import reverse

    from billing.models import RoiScenario

    response = client.post(
        reverse("roi_scenario_delete", args=[scenario.organization.slug, scenario.pk])
    )
    assert response.status_code == 302
    assert not RoiScenario.objects.filter(pk=scenario.pk).exists()
