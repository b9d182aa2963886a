"""Demo proposals, after the demo subscriptions, made through the builder's services as
Maya (the demo account manager) would make them:

- Northwind Analytics: a draft, renewing as is or moving to a year of annual billing;
- Acme Robotics (on the legacy Team v1): awaiting approval, renewing as is for three
  years billed yearly, or Business 20 % off for three years (above the threshold).

Idempotent: an organization that already has a proposal keeps it.
"""

from __future__ import annotations

from decimal import Decimal

from billing.models import Proposal
from billing.pricing import BillingCycle
from billing.proposals.options import (
    OptionInput,
    renew_as_is,
)
from billing.proposals.services import (
    Edit,
    proposal_create,
    proposal_edit,
    proposal_option_set,
    proposal_submit,
)
from licensing.licenses.services import Actor
from licensing.models import License, TierVersion, VersionStatus
from licensing.models.catalog import seat_limit
from portal import clock
from portal.models import User

MANAGER = "maya@tierwise.test"


def _published(license: License, tier_slug: str) -> TierVersion:
    return TierVersion.objects.get(
        tier__product_id=license.product_id, tier__slug=tier_slug, status=VersionStatus.PUBLISHED
    )


def _seats(version: TierVersion, wanted: int) -> int:
    """`wanted`, within the version's limit and its price's minimum."""
    limit = seat_limit(version)
    minimum = max((row.min_seats for row in version.price_rows.all() if row.per_seat), default=1)
    seats = max(wanted, minimum)
    return min(seats, limit) if limit is not None else seats


def _license(slug: str) -> License | None:
    return (
        License.objects.filter(organization__slug=slug, subscription__isnull=False)
        .select_related("version__tier", "subscription")
        .order_by("pk")
        .first()
    )


def build_proposals() -> list[str]:
    manager = User.objects.filter(email=MANAGER).first()
    if manager is None:
        return []
    actor = Actor.of(manager, "account manager")
    at = clock.now()
    lines = []

    northwind = _license("northwind-analytics")
    if northwind is not None and not Proposal.objects.filter(license=northwind).exists():
        proposal = proposal_create(license=northwind, actor=actor, at=at)
        team = _published(northwind, "team")
        for option in (
            renew_as_is(northwind),
            OptionInput(
                tier_version=team, seats=_seats(team, northwind.seats), cycle=BillingCycle.ANNUAL
            ),
        ):
            proposal_option_set(proposal=proposal, position=None, option=option, actor=actor, at=at)
        proposal_edit(
            proposal=proposal,
            edit=Edit(cover_note="A year on annual billing costs less than twelve months."),
            actor=actor,
            at=at,
        )
        lines.append(f"{proposal.number}: Northwind Analytics, draft")

    acme = _license("acme-robotics")
    if acme is not None and not Proposal.objects.filter(license=acme).exists():
        proposal = proposal_create(license=acme, actor=actor, at=at)
        business = _published(acme, "business")
        renew = renew_as_is(acme)
        if renew.cycle == BillingCycle.ANNUAL:
            renew = renew_as_is(acme, term_cycles=3, billing="per_cycle")
        for option in (
            renew,
            OptionInput(
                tier_version=business,
                seats=_seats(business, acme.seats),
                cycle=BillingCycle.ANNUAL,
                term_cycles=3,
                discount_percent=Decimal(20),
                discount_reason="Three-year commitment, moving off the legacy Team plan",
            ),
        ):
            proposal_option_set(proposal=proposal, position=None, option=option, actor=actor, at=at)
        proposal_submit(proposal=proposal, actor=actor, at=at)
        lines.append(f"{proposal.number}: Acme Robotics, awaiting approval")
    return lines
