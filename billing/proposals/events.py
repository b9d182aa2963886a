"""The proposal's history: the one place a ProposalEvent is written, and the lock every
step of a proposal takes first.

Lock order (billing.locks): a proposal's steps lock the proposal's row before anything
else of billing's. Accepting an option then takes the checkout's own order (billing
details, checkout, license, scheduled change, subscription, invoice, number)."""

from __future__ import annotations

from datetime import datetime

from billing.models import Proposal, ProposalEvent, ProposalStatus, ProposalVersion
from licensing.licenses.services import Actor


def proposal_lock(proposal_id: int) -> Proposal:
    """Lock 0 of billing's order: the proposal's row, so two steps of one proposal (two
    sends, two acceptances, an edit and an approval) queue instead of racing."""
    return Proposal.objects.select_for_update(of=("self",)).get(pk=proposal_id)


def proposals_lock(*, license_id: int) -> list[int]:
    """Lock 0 for every proposal of a license, in ascending id: a step that closes the
    license's other proposals (an acceptance) takes them all, and two such steps queue."""
    return list(
        Proposal.objects.select_for_update()
        .filter(license_id=license_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def accepted_version(proposal_id: int) -> ProposalVersion | None:
    """The proposal's accepted version, if one is: accepting one version closes the
    whole proposal (one change per proposal), whatever its other versions' states."""
    return (
        ProposalVersion.objects.select_related("proposal")
        .filter(proposal_id=proposal_id, status=ProposalStatus.ACCEPTED)
        .first()
    )


def proposal_record_event(
    *,
    proposal: Proposal,
    version: ProposalVersion | None,
    kind: str,
    actor: Actor,
    at: datetime,
    comment: str = "",
    changes: dict | None = None,
) -> ProposalEvent:
    """Append one step to the proposal's history. `changes` maps a field to
    [before, after], both as text."""
    return ProposalEvent.objects.create(
        proposal=proposal,
        proposal_version=version,
        kind=kind,
        actor=actor.user,
        actor_label=actor.label[:200],
        happened_at=at,
        comment=comment,
        changes=changes or {},
    )


def version_move(
    proposal: Proposal,
    version: ProposalVersion,
    status: str,
    kind: str,
    *,
    actor: Actor,
    at: datetime,
    comment: str = "",
    **fields,
) -> None:
    """Put `version` in `status` (with `fields`) and record the step: every transition of
    a version (submitted, approved, sent, superseded, accepted, declined…) goes this way."""
    version.status = status
    version.updated_at = at
    for name, value in fields.items():
        setattr(version, name, value)
    version.save(update_fields=["status", "updated_at", *fields])
    proposal_record_event(
        proposal=proposal, version=version, kind=kind, actor=actor, at=at, comment=comment.strip()
    )
