"""Proposals for tests, made through billing.proposals.services as the builder makes
them: proposal_in(license, manager, status=...) for a draft, one awaiting approval, an
approved one or a withdrawn one. Sending and accepting are billing.proposals.sending's
and .acceptance's: a test that needs a sent version sends an approved one through them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import Group

from billing.models import Proposal, ProposalStatus
from billing.proposals.options import (
    OptionInput,
    renew_as_is,
)
from billing.proposals.services import (
    proposal_approve,
    proposal_create,
    proposal_option_set,
    proposal_submit,
    proposal_withdraw,
)
from licensing.licenses.services import Actor
from licensing.models import TierVersion, VersionStatus
from portal import clock
from portal.models import ADMINS_GROUP, User


def actor(user) -> Actor:
    return Actor.of(user, "staff")


def published(tier_slug: str) -> TierVersion:
    return TierVersion.objects.get(tier__slug=tier_slug, status=VersionStatus.PUBLISHED)


def upgrade(tier_slug: str, seats: int, *, discount: str = "0", **fields) -> OptionInput:
    """An option on `tier_slug`'s published version, annual unless `fields` says."""
    percent = Decimal(discount)
    return OptionInput(
        tier_version=published(tier_slug),
        seats=seats,
        cycle=fields.pop("cycle", "annual"),
        discount_percent=percent,
        discount_reason=fields.pop("discount_reason", "Three-year commitment" if percent else ""),
        **fields,
    )


def approver() -> User:
    """An admin who did not submit (another person, so the four-eyes rule holds)."""
    user, _ = User.objects.get_or_create(
        email="approver@tierwise.test", defaults={"is_staff": True, "first_name": "Ada"}
    )
    user.groups.add(*Group.objects.filter(name=ADMINS_GROUP))
    return User.objects.get(pk=user.pk)


def proposal_in(
    license,
    manager,
    status: str = ProposalStatus.DRAFT,
    *,
    options: list[OptionInput] | None = None,
    at: datetime | None = None,
) -> Proposal:
    """A proposal for `license` by `manager` in `status` (draft, awaiting_approval,
    approved or withdrawn). Its options default to renewing as is and a 20 % discount
    on Business (above the approval threshold) when it must await approval."""
    at = at or clock.now()
    by = actor(manager)
    if options is None:
        options = [renew_as_is(license)]
        if status != ProposalStatus.DRAFT:
            options.append(upgrade("business", 12, discount="20", term_cycles=3))
    proposal = proposal_create(license=license, actor=by, at=at)
    for option in options:
        proposal_option_set(proposal=proposal, position=None, option=option, actor=by, at=at)
    if status in (ProposalStatus.AWAITING_APPROVAL, ProposalStatus.APPROVED):
        proposal_submit(proposal=proposal, actor=by, at=at)
    if status == ProposalStatus.APPROVED:
        proposal_approve(proposal=proposal, actor=actor(approver()), comment="Fine.", at=at)
    if status == ProposalStatus.WITHDRAWN:
        proposal_withdraw(proposal=proposal, actor=by, at=at)
    proposal.refresh_from_db()
    return proposal
