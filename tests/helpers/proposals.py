"""Proposals for the customer side's tests, made with the models directly (the staff
services that make them are another area's): a sent version of a proposal for a
license, with its options."""

import itertools
from datetime import date
from decimal import Decimal

from django.utils import timezone

from billing.models import Proposal, ProposalOption, ProposalStatus, ProposalVersion
from billing.models.proposals import IN_PREPARATION
from licensing.models import TierVersionPrice
from tests.helpers.checkout import subscribed

_numbers = itertools.count(1)


def team_for_2026(organization, catalog):
    """The license the proposal tests propose to: Team (v2, per seat from 3, at most 15),
    5 seats, annual at $190 a seat, for 2026 (paid)."""
    return subscribed(
        organization,
        catalog,
        "team",
        seats=5,
        cycle="annual",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )


def option(version, catalog=None, *, tier="team", number=None, tier_version=None, **fields):
    """An option's fields: `tier` of the demo catalog (its published version, or
    `number`), annual, one year, invoiced up front, no discount, unless told."""
    tier_version = tier_version or catalog.version(tier, number)
    cycle = fields.pop("cycle", "annual")
    currency = fields.pop("currency", "USD")
    price = TierVersionPrice.objects.get(version=tier_version, currency_id=currency, cycle=cycle)
    values = {
        "seats": 5,
        "term_cycles": 1,
        "billing": "upfront",
        "discount_percent": Decimal(0),
        "discount_reason": "",
        "renew_as_is": False,
    } | fields
    return ProposalOption(
        proposal_version=version, tier_version=tier_version, price=price, cycle=cycle, **values
    )


def sent_version(
    license,
    catalog,
    options,
    *,
    valid_until=date(2026, 4, 13),
    prepared_by=None,
    status=ProposalStatus.SENT,
    proposal=None,
    cover_note="",
):
    """A version of a proposal for `license`, sent (or `status`), with `options`: a list
    of dicts of option() keyword arguments, positions 1, 2, 3 in order."""
    if proposal is None:
        proposal = Proposal.objects.create(
            number=f"P-2026-{next(_numbers):04d}",
            organization=license.organization,
            license=license,
            prepared_by=prepared_by,
        )
    number = proposal.versions.count() + 1
    version = ProposalVersion.objects.create(
        proposal=proposal,
        number=number,
        status=status,
        valid_until=valid_until,
        cover_note=cover_note,
        sent_by=prepared_by,
        sent_at=None if status in IN_PREPARATION else timezone.now(),
    )
    for position, fields in enumerate(options, start=1):
        option(version, catalog, position=position, **fields).save()
    return version
