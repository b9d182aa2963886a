"""Sending a proposal's version to the customer.

A version is sent when it is a draft whose discounts need no approval, or approved.
Sending locks the proposal's row first (billing.proposals.events.proposal_lock),
supersedes the version sent before it and then marks this one sent (the partial unique
constraint allows one sent version per proposal), and records both steps. Once the
transaction commits, the render task (billing.proposals.tasks) renders the version's PDF
and emails it, with a link to the customer's page: the email goes with the first PDF
stored, so it is sent once. A hand-over lost to a dead broker does not undo the send:
the beat's sweep hands the version to the worker again."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.models import ProposalEventKind, ProposalOption, ProposalStatus, ProposalVersion
from billing.proposals.content import approval_reasons
from billing.proposals.events import (
    accepted_version,
    proposal_lock,
    proposal_record_event,
    version_move,
)
from billing.proposals.options import plan_decrease, subscription_of
from billing.proposals.tasks import deliver_proposal
from licensing.licenses.services import Actor
from portal.unavailable import SERVICE_ERRORS

logger = logging.getLogger(__name__)


def send_refusal(version: ProposalVersion, *, today: date) -> str | None:
    """Why `version` cannot be sent now, or None when it can."""
    if version.status not in (ProposalStatus.DRAFT, ProposalStatus.APPROVED):
        return f"{version.label} is {version.get_status_display().lower()}; it cannot be sent."
    accepted = accepted_version(version.proposal_id)
    if accepted is not None:
        return f"{accepted.label} was accepted: the proposal is closed and nothing more is sent."
    if version.valid_until < today:
        return (
            f"{version.label} expired on {version.valid_until:%-d %B %Y}: "
            "set a new validity date before sending it."
        )
    options = list(version.options.all())
    if not options:
        return f"{version.label} has no option to send."
    stale = _stale_renewal(version, options)
    if stale:
        return stale
    lowered = downgrades(version, options)
    if lowered:
        option = lowered[0]
        _, why = plan_decrease(version.proposal.license, option.tier_version, option.seats)
        return (
            f"Option {option.position} is now a downgrade: {why} "
            "Change or remove the option before sending."
        )
    if version.status == ProposalStatus.DRAFT:
        reasons = approval_reasons(options, today)
        if reasons:
            return f"An admin approves {version.label} before it is sent: {' '.join(reasons)}"
    return None


def stale_renewals(version: ProposalVersion, options) -> list[ProposalOption]:
    """The options of `options` that renew as is but no longer do: the license changed
    (its tier version, seats or cycle) since each was added, so "as is" would now be a
    different plan. The builder marks them; sending refuses while there is one."""
    license = version.proposal.license
    subscription = subscription_of(license)
    cycle = subscription.cycle if subscription else None
    return [
        option
        for option in options
        if option.renew_as_is
        and (
            option.tier_version_id != license.version_id
            or option.seats != license.seats
            or option.cycle != cycle
        )
    ]


def downgrades(version: ProposalVersion, options) -> list[ProposalOption]:
    """The options of `options` that would lower the plan on acceptance (another tier not
    ranked higher, fewer seats: billing.proposals.options.plan_decrease): the license
    moved up since they were added (an option starting at the renewal never does). The
    builder marks them; sending refuses while there is one."""
    license = version.proposal.license
    return [
        option
        for option in options
        if plan_decrease(
            license, option.tier_version, option.seats, at_term_end=option.starts_at_term_end
        )
    ]


def _stale_renewal(version: ProposalVersion, options) -> str | None:
    """Why the first option that renews as is no longer does, or None when every such
    option still matches the license."""
    stale = stale_renewals(version, options)
    if not stale:
        return None
    license = version.proposal.license
    subscription = subscription_of(license)
    now = license.version
    return (
        f"Option {stale[0].position} renews as is, but the license has changed since it "
        f"was added: it is now {now.tier.name} v{now.number}, {license.seats} seats"
        f"{f', {subscription.get_cycle_display().lower()}' if subscription else ''}. "
        "Change or remove the option before sending."
    )


@transaction.atomic
def proposal_send(*, version: ProposalVersion, actor: Actor, at: datetime) -> ProposalVersion:
    """Sends `version`: it supersedes the version sent before it, and once committed its
    PDF is rendered and emailed. A ValidationError says why it cannot be sent."""
    proposal = proposal_lock(version.proposal_id)
    locked = ProposalVersion.objects.select_for_update().get(pk=version.pk, proposal=proposal)
    refusal = send_refusal(locked, today=timezone.localdate(at))
    if refusal:
        raise ValidationError(refusal)
    previous = list(
        ProposalVersion.objects.select_for_update()
        .filter(proposal=proposal, status=ProposalStatus.SENT)
        .exclude(pk=locked.pk)
    )
    for earlier in previous:
        version_move(
            proposal,
            earlier,
            ProposalStatus.SUPERSEDED,
            ProposalEventKind.SUPERSEDED,
            actor=actor,
            at=at,
            comment=f"Superseded by {locked.label}.",
        )
    locked.status = ProposalStatus.SENT
    locked.sent_by = actor.user
    locked.sent_at = at
    locked.updated_at = at
    locked.save(update_fields=["status", "sent_by", "sent_at", "updated_at"])
    proposal_record_event(
        proposal=proposal,
        version=locked,
        kind=ProposalEventKind.SENT,
        actor=actor,
        at=at,
        comment=f"Sent {locked.label}."
        + (f" It supersedes {', '.join(v.label for v in previous)}." if previous else ""),
    )
    transaction.on_commit(lambda: _hand_to_worker(locked.pk))
    return locked


def _hand_to_worker(version_id: int) -> None:
    """The send stands either way; without a broker the beat's sweep
    (billing.proposals.tasks.deliver_stalled_proposals) delivers it later."""
    try:
        deliver_proposal.delay(version_id)
    except SERVICE_ERRORS as exc:
        logger.warning("Proposal version %s waits for its delivery; no broker: %r", version_id, exc)
