"""Demo proposals, after the demo subscriptions, made through the builder's services as
Maya (the demo account manager) would make them:

- Northwind Analytics: a draft, renewing as is or moving to a year of annual billing;
- Acme Robotics (on the legacy Team v1): awaiting approval, renewing as is for three
  years billed yearly, or Business 20 % off for three years (above the threshold);
- Globex Health (no account manager, so Ada the admin prepares it): sent, renewing as
  is or Enterprise 10 % off (within the threshold, so it is sent without approval).
  Its PDF is rendered and its email queued here and now, by the delivery task run in
  process (billing.proposals.tasks.deliver_proposal): the demo needs no worker, and the
  delivery that proposal_send hands to the worker on commit finds the PDF stored and
  does nothing. Without a broker that hand-over is logged and skipped.
- Vandelay Industries (no account manager either): sent by Ada the same way and accepted
  by its owner, Art: Business
  for a year, 10 % off (within the threshold), bought now through the checkout the
  acceptance confirms, so its license is on Business and the proration is invoiced.

Idempotent: an organization that already has a proposal keeps it.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction

from billing.models import Proposal
from billing.pricing import BillingCycle
from billing.proposals.acceptance import accept_preview, proposal_accept
from billing.proposals.options import (
    OptionInput,
    renew_as_is,
)
from billing.proposals.sending import proposal_send
from billing.proposals.services import (
    Edit,
    proposal_create,
    proposal_edit,
    proposal_option_set,
    proposal_submit,
)
from billing.proposals.tasks import deliver_proposal
from licensing.licenses.services import Actor
from licensing.models import License, TierVersion, VersionStatus
from licensing.models.catalog import seat_limit
from portal import clock
from portal.models import User
from portal.unavailable import SERVICE_ERRORS

logger = logging.getLogger(__name__)

MANAGER = "maya@tierwise.test"
ADMIN = "admin@tierwise.test"


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

    globex = _license("globex-health")
    admin = User.objects.filter(email=ADMIN).first()
    if (
        globex is not None
        and admin is not None
        and not Proposal.objects.filter(license=globex).exists()
    ):
        enterprise = _published(globex, "enterprise")
        proposal = _sent(
            globex,
            Actor.of(admin, "admin"),
            at,
            OptionInput(
                tier_version=enterprise,
                seats=_seats(enterprise, globex.seats),
                cycle=BillingCycle.ANNUAL,
                discount_percent=Decimal(10),
                discount_reason="Moving up to Enterprise from the day you accept, not at renewal",
            ),
        )
        lines.append(f"{proposal.number}: Globex Health, sent")

    vandelay = _license("vandelay-industries")
    owner = User.objects.filter(email="art@vandelay.test").first()
    if (
        vandelay is not None
        and owner is not None
        and admin is not None
        and not Proposal.objects.filter(license=vandelay).exists()
    ):
        business = _published(vandelay, "business")
        proposal = _sent(
            vandelay,
            Actor.of(admin, "admin"),
            at,
            OptionInput(
                tier_version=business,
                seats=_seats(business, vandelay.seats + 2),
                cycle=BillingCycle.ANNUAL,
                discount_percent=Decimal(10),
                discount_reason="Moving up to Business before the renewal",
            ),
        )
        version = proposal.versions.get()
        option = version.options.get(renew_as_is=False)
        # The owner confirms what the acceptance page showed them.
        shown = accept_preview(version=version, option=option, user=owner, at=at)
        proposal_accept(version=version, option=option, user=owner, at=at, digest=shown.digest)
        lines.append(
            f"{proposal.number}: Vandelay Industries, accepted: "
            f"{business.tier.name}, {option.seats} seats"
        )
    return lines


def _sent(license: License, actor: Actor, at, upgrade: OptionInput) -> Proposal:
    """A proposal renewing as is or taking `upgrade`, sent, its PDF made and its email
    queued in process."""
    try:
        with transaction.atomic():
            proposal = proposal_create(license=license, actor=actor, at=at)
            for option in (renew_as_is(license), upgrade):
                proposal_option_set(
                    proposal=proposal, position=None, option=option, actor=actor, at=at
                )
            version = proposal_send(version=proposal.versions.get(), actor=actor, at=at)
            deliver_proposal.apply(args=[version.pk], throw=True)
    except SERVICE_ERRORS as exc:  # committed; the PDF is stored, the worker is not needed
        logger.warning("Demo proposal: no broker for the delivery hand-over: %r", exc)
    return proposal
