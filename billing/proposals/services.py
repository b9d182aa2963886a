"""The account manager's side of a proposal: create it, set its options, edit its cover
note, validity and ROI, submit it for approval, withdraw it from approval, approve or
reject it, withdraw it.

Each step is one transaction that locks the proposal's row first
(billing.proposals.events.proposal_lock, lock 0 of billing.locks) and writes one
ProposalEvent through proposal_record_event. A step that cannot be taken raises
ProposalRefused with a sentence per field for the page; nothing is written then.

The version a step changes is always the proposal's newest:
- a draft or an approved version: changed in place; a change to an approved version
  undoes the approval (APPROVAL_UNDONE, with what changed) and sends it back to approval
  when its discounts still need one, else to draft;
- awaiting approval: frozen as submitted, so what an admin approves is what was asked
  for; to change it, withdraw it from approval first (proposal_recall: back to draft);
- sent: the change starts the next version, a copy of the sent one and its options, as a
  draft; the sent version stays with the customer until the next one is sent;
- superseded, accepted, declined or withdrawn: the proposal is closed, nothing changes.

Who approves: an admin (a superuser or a member of the admins group). Four eyes: the
person who submitted a version, or changed it (an edit on record), cannot approve it,
unless they are a superuser (a small team's way out). Rejecting needs a comment, which
goes on record with the rejection.
Sending is billing.proposals.sending's, accepting billing.proposals.acceptance's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from billing.discounts import format_percent
from billing.invoices.numbering import take_next_number
from billing.models import (
    Proposal,
    ProposalEventKind,
    ProposalOption,
    ProposalStatus,
    ProposalVersion,
    RoiScenario,
    Series,
)
from billing.models.proposals import IN_PREPARATION, MAX_OPTIONS
from billing.proposals.content import options_need_approval
from billing.proposals.events import (
    accepted_version,
    proposal_lock,
    proposal_record_event,
    version_move,
)
from billing.proposals.options import (
    OptionInput,
    ProposalRefused,
    check_option,
    describe_option,
    subscription_of,
)
from billing.proposals.roi import RoiInputsInvalid, validated_roi_inputs
from licensing.licenses.services import Actor
from licensing.models import License

# The longest an offer may stay open, from the day it is edited.
MAX_VALID_DAYS = 90
NUMBER_DIGITS = 4
OPEN = (*IN_PREPARATION, ProposalStatus.SENT)
# The steps that write what a version says: their actor is one of its authors.
AUTHORED = (ProposalEventKind.EDITED, ProposalEventKind.APPROVAL_UNDONE)
# How the history names a version's fields.
FIELD_LABELS = {
    "cover_note": "cover note",
    "valid_until": "valid until",
    "roi_scenario_name": "ROI scenario",
    "roi_inputs": "ROI inputs",
}


def format_proposal_number(year: int, number: int) -> str:
    """P-2026-0042."""
    return f"{Series.PROPOSAL}-{year}-{number:0{NUMBER_DIGITS}d}"


def _take_proposal_number(year: int) -> str:
    # billing.invoices.numbering's mechanism (the series' row locked, the number taken in
    # the creating transaction and handed back by a rollback: gapless), written with 4
    # digits rather than the invoices' 6.
    taken = take_next_number(series=Series.PROPOSAL, year=year)
    return format_proposal_number(year, int(taken.rsplit("-", 1)[1]))


@dataclass(frozen=True)
class Edit:
    """The version's own fields; None leaves one as it is. `roi_scenario` is copied: the
    version keeps the scenario's numbers as its ROI inputs, with its name, so deleting
    the scenario afterwards changes nothing in it. `roi_inputs` replaces them (entered
    with the customer: no scenario's name)."""

    cover_note: str | None = None
    valid_until: date | None = None
    roi_scenario: RoiScenario | None = None
    roi_inputs: dict | None = None
    clear_roi: bool = False


def threshold() -> Decimal:
    return Decimal(settings.PROPOSAL_APPROVAL_THRESHOLD_PERCENT)


def version_needs_approval(version: ProposalVersion) -> bool:
    return options_need_approval(version.options.select_related("proposal_version__proposal"))


def newest_version(proposal: Proposal) -> ProposalVersion:
    return proposal.versions.order_by("-number").first()


def is_approver(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and user.is_admin)


# -- create -------------------------------------------------------------------------


def proposal_create(*, license: License, actor: Actor, at: datetime) -> Proposal:
    """A new proposal for `license`, its first version a draft without options (the
    builder adds them), valid for PROPOSAL_VALID_DAYS."""
    if subscription_of(license) is None:
        raise ProposalRefused(
            {"": "This license has no subscription: a proposal prices in its currency."}
        )
    today = _today(at)
    with transaction.atomic():
        proposal = Proposal.objects.create(
            number=_take_proposal_number(today.year),
            organization_id=license.organization_id,
            license=license,
            prepared_by=actor.user,
            created_at=at,
        )
        version = ProposalVersion.objects.create(
            proposal=proposal,
            number=1,
            valid_until=today + timedelta(days=settings.PROPOSAL_VALID_DAYS),
            created_by=actor.user,
            created_at=at,
            updated_at=at,
        )
        proposal_record_event(
            proposal=proposal, version=version, kind=ProposalEventKind.CREATED, actor=actor, at=at
        )
    return proposal


# -- options ------------------------------------------------------------------------


def proposal_option_set(
    *,
    proposal: Proposal,
    position: int | None,
    option: OptionInput,
    actor: Actor,
    at: datetime,
) -> ProposalOption:
    """Put `option` at `position` (replacing what was there), or after the last one when
    `position` is None. Checks it against the catalog and the license first."""
    with transaction.atomic():
        proposal = proposal_lock(proposal.pk)
        version = newest_version(proposal)
        _refuse_closed(version)
        _refuse_awaiting_approval(version)
        subscription = subscription_of(proposal.license)
        price = check_option(proposal.license, subscription, option)
        existing = {o.position: o for o in version.options.all()}
        if position is None:
            position = _next_position(existing)
        elif not 1 <= position <= MAX_OPTIONS:
            raise ProposalRefused({"position": f"A proposal has 1 to {MAX_OPTIONS} options."})
        before = describe_option(existing[position]) if position in existing else ""
        version, started = _prepare_for_edit(proposal, version, actor, at)
        fields = {
            "tier_version": option.tier_version,
            "price": price,
            "seats": option.seats,
            "cycle": option.cycle,
            "term_cycles": option.term_cycles,
            "billing": option.billing,
            "discount_percent": option.discount_percent,
            "discount_reason": option.discount_reason.strip() if option.discount_percent else "",
            "renew_as_is": option.renew_as_is,
            # Renew as is starts at the renewal by itself.
            "at_renewal": option.at_renewal and not option.renew_as_is,
        }
        saved, _ = ProposalOption.objects.update_or_create(
            proposal_version=version, position=position, defaults=fields
        )
        after = describe_option(saved)
        if started or before != after:
            _after_edit(
                proposal,
                version,
                started,
                {f"option {position}": [before, after]},
                actor,
                at,
            )
    return saved


def proposal_option_remove(
    *, proposal: Proposal, position: int, actor: Actor, at: datetime
) -> None:
    """Take the option at `position` out; the ones after it move up."""
    with transaction.atomic():
        proposal = proposal_lock(proposal.pk)
        version = newest_version(proposal)
        _refuse_closed(version)
        _refuse_awaiting_approval(version)
        if not version.options.filter(position=position).exists():
            raise ProposalRefused({"position": f"There is no option {position}."})
        version, started = _prepare_for_edit(proposal, version, actor, at)
        removed = version.options.get(position=position)
        before = describe_option(removed)
        removed.delete()
        for later in version.options.filter(position__gt=position).order_by("position"):
            later.position -= 1
            later.save(update_fields=["position"])
        _after_edit(proposal, version, started, {f"option {position}": [before, ""]}, actor, at)


# -- the version's own fields -------------------------------------------------------


def proposal_edit(*, proposal: Proposal, edit: Edit, actor: Actor, at: datetime) -> ProposalVersion:
    """Change the cover note, the validity date or the ROI projection. A version that
    cannot change (closed, awaiting approval) is refused before its fields are checked.
    A saved scenario given is copied into the version (its numbers, name and id), never
    referred to: the customer may delete it, and the version must not change then."""
    with transaction.atomic():
        proposal = proposal_lock(proposal.pk)
        version = newest_version(proposal)
        _refuse_closed(version)
        _refuse_awaiting_approval(version)
        roi_inputs = _checked_edit(proposal, edit, _today(at))
        new = {
            "cover_note": version.cover_note,
            "valid_until": version.valid_until,
            "roi_scenario_name": version.roi_scenario_name,
            "roi_inputs": version.roi_inputs,
            "roi_scenario_id": version.roi_scenario_id,
        }
        if edit.cover_note is not None:
            new["cover_note"] = edit.cover_note.strip()
        if edit.valid_until is not None:
            new["valid_until"] = edit.valid_until
        if edit.clear_roi:
            new.update(roi_scenario_name="", roi_inputs={}, roi_scenario_id=None)
        if edit.roi_scenario is not None:
            scenario = edit.roi_scenario
            new.update(
                roi_scenario_name=scenario.name,
                roi_inputs=dict(scenario.query),
                roi_scenario_id=scenario.pk,
            )
        if roi_inputs is not None:
            new.update(roi_scenario_name="", roi_inputs=roi_inputs, roi_scenario_id=None)
        # What the version says; which saved row its numbers were copied from is not.
        changes = {
            label: [_text(getattr(version, name)), _text(new[name])]
            for name, label in FIELD_LABELS.items()
            if getattr(version, name) != new[name]
        }
        if not changes:
            return version
        version, started = _prepare_for_edit(proposal, version, actor, at)
        for name, value in new.items():
            setattr(version, name, value)
        version.save(update_fields=[*new, "updated_at"])
        _after_edit(proposal, version, started, changes, actor, at)
    return version


def _checked_edit(proposal: Proposal, edit: Edit, today: date) -> dict | None:
    """Refuses what `edit` cannot say, with a sentence per field; returns its ROI inputs
    as the calculator's form cleaned them (None when it gives none)."""
    errors = {}
    if edit.valid_until is not None:
        if edit.valid_until <= today:
            errors["valid_until"] = "The offer must stay open after today."
        elif edit.valid_until > today + timedelta(days=MAX_VALID_DAYS):
            errors["valid_until"] = f"An offer stays open at most {MAX_VALID_DAYS} days."
    if edit.cover_note is not None and len(edit.cover_note) > 4000:
        errors["cover_note"] = "Keep the cover note under 4,000 characters."
    roi_inputs = None
    if edit.roi_inputs is not None:
        try:
            roi_inputs = validated_roi_inputs(edit.roi_inputs)
        except RoiInputsInvalid as invalid:
            errors.update({f"roi_{k}": v for k, v in invalid.errors.items()})
    if edit.roi_scenario is not None and edit.roi_scenario.organization_id != (
        proposal.organization_id
    ):
        errors["roi_scenario"] = "Choose one of the organization's saved scenarios."
    if errors:
        raise ProposalRefused(errors)
    return roi_inputs


# -- approval -----------------------------------------------------------------------


def proposal_submit(*, proposal: Proposal, actor: Actor, at: datetime) -> ProposalVersion:
    """Ask an admin to approve the version (only when it needs it: a discount above the
    threshold, or a retired price kept past its lock; otherwise it is sent as it is)."""
    with transaction.atomic():
        proposal = proposal_lock(proposal.pk)
        version = newest_version(proposal)
        if version.status != ProposalStatus.DRAFT:
            raise ProposalRefused(
                {"": f"Only a draft is submitted; this one is {version.get_status_display()}."}
            )
        _refuse_closed(version)
        _refuse_incomplete(version, _today(at))
        if not version_needs_approval(version):
            raise ProposalRefused(
                {
                    "": f"No discount is above {format_percent(threshold())} and no "
                    "retired price is kept past its lock: it needs no approval, send it as it is."
                }
            )
        version_move(
            proposal,
            version,
            ProposalStatus.AWAITING_APPROVAL,
            ProposalEventKind.SUBMITTED,
            actor=actor,
            at=at,
        )
    return version


def proposal_recall(
    *, proposal: Proposal, actor: Actor, at: datetime, comment: str = ""
) -> ProposalVersion:
    """Withdraw the version awaiting approval from approval: back to draft, on record, so
    its author can change it (a version awaiting approval is frozen) and submit it again.
    The proposal stays open; proposal_withdraw is the step that closes it."""
    with transaction.atomic():
        proposal = proposal_lock(proposal.pk)
        version = newest_version(proposal)
        _refuse_closed(version)
        if version.status != ProposalStatus.AWAITING_APPROVAL:
            raise ProposalRefused(
                {"": f"{version.label} is not awaiting approval ({version.get_status_display()})."}
            )
        version_move(
            proposal,
            version,
            ProposalStatus.DRAFT,
            ProposalEventKind.RECALLED,
            actor=actor,
            at=at,
            comment=comment,
        )
    return version


def last_event_id(proposal: Proposal) -> int | None:
    """The proposal's newest step on record: what an approver reviewed is the proposal
    as of that step (billing.proposals.services.proposal_approve's `reviewed`)."""
    return proposal.events.order_by("-pk").values_list("pk", flat=True).first()


def proposal_approve(
    *, proposal: Proposal, actor: Actor, comment: str, at: datetime, reviewed: int | None = None
) -> ProposalVersion:
    """An admin approves the version awaiting approval, saying why (required, as for a
    rejection); the comment goes on record.
    `reviewed`: the newest step on record when the approver opened it (last_event_id);
    a change made since (a discount raised while the page was open) is refused, so what
    is approved is what was reviewed."""
    with transaction.atomic():
        proposal = proposal_lock(proposal.pk)
        version = _awaiting(proposal, actor)
        if not comment.strip():
            raise ProposalRefused(
                {"comment": "Say why it is approved: the approval and its reason are kept."}
            )
        if reviewed is not None and reviewed != last_event_id(proposal):
            raise ProposalRefused(
                {"": f"{version.label} changed since you opened it: review it again."}
            )
        _refuse_incomplete(version, _today(at))
        version_move(
            proposal,
            version,
            ProposalStatus.APPROVED,
            ProposalEventKind.APPROVED,
            actor=actor,
            at=at,
            comment=comment,
            approved_by=actor.user,
            approved_at=at,
        )
    return version


def proposal_reject(
    *, proposal: Proposal, actor: Actor, comment: str, at: datetime
) -> ProposalVersion:
    """An admin sends the version back to draft, saying why."""
    if not comment.strip():
        raise ProposalRefused({"comment": "Say why it is rejected: the account manager reads it."})
    with transaction.atomic():
        proposal = proposal_lock(proposal.pk)
        version = _awaiting(proposal, actor)
        version_move(
            proposal,
            version,
            ProposalStatus.DRAFT,
            ProposalEventKind.REJECTED,
            actor=actor,
            at=at,
            comment=comment,
        )
    return version


def proposal_withdraw(*, proposal: Proposal, actor: Actor, at: datetime, comment: str = "") -> None:
    """Take the proposal back: the version in preparation and the one sent, if any."""
    with transaction.atomic():
        proposal = proposal_lock(proposal.pk)
        open_versions = list(proposal.versions.filter(status__in=OPEN).order_by("number"))
        if not open_versions:
            raise ProposalRefused({"": "The proposal is closed: there is nothing to withdraw."})
        for version in open_versions:
            version.status = ProposalStatus.WITHDRAWN
            version.updated_at = at
            version.save(update_fields=["status", "updated_at"])
        proposal_record_event(
            proposal=proposal,
            version=open_versions[-1],
            kind=ProposalEventKind.WITHDRAWN,
            actor=actor,
            at=at,
            comment=comment.strip(),
        )


def pending_approvals() -> QuerySet[ProposalVersion]:
    return (
        ProposalVersion.objects.filter(status=ProposalStatus.AWAITING_APPROVAL)
        .select_related(
            "proposal", "proposal__organization", "proposal__prepared_by", "proposal__license"
        )
        .prefetch_related("options__tier_version__tier")
        .order_by("updated_at")
    )


# -- helpers ------------------------------------------------------------------------


def _today(at: datetime) -> date:
    return timezone.localdate(at)


def _refuse_closed(version: ProposalVersion) -> None:
    if version.status not in OPEN:
        raise ProposalRefused(
            {"": f"{version.label} is {version.get_status_display().lower()}: it is closed."}
        )
    accepted = accepted_version(version.proposal_id)
    if accepted is not None:
        raise ProposalRefused({"": f"{accepted.label} was accepted: the proposal is closed."})


def _refuse_awaiting_approval(version: ProposalVersion) -> None:
    # What an admin approves is what was submitted: no change slips in while it waits
    # (the approval would then refuse a version changed since the approver opened it).
    if version.status == ProposalStatus.AWAITING_APPROVAL:
        raise ProposalRefused(
            {
                "": f"{version.label} is awaiting approval: it stays as submitted. "
                "Take it back to draft to change it."
            }
        )


def _refuse_incomplete(version: ProposalVersion, today: date) -> None:
    if not version.options.exists():
        raise ProposalRefused({"": "Add at least one option first."})
    if version.valid_until <= today:
        raise ProposalRefused({"valid_until": "The offer's last day has passed; extend it."})


def _awaiting(proposal: Proposal, actor: Actor) -> ProposalVersion:
    user = actor.user
    if not is_approver(user):
        raise ProposalRefused({"": "Only an admin approves or rejects a proposal."})
    version = newest_version(proposal)
    if version.status != ProposalStatus.AWAITING_APPROVAL:
        raise ProposalRefused(
            {"": f"{version.label} is not awaiting approval ({version.get_status_display()})."}
        )
    submitted = (
        version.events.filter(kind=ProposalEventKind.SUBMITTED).order_by("-happened_at").first()
    )
    if user.is_superuser:
        return version
    if submitted and submitted.actor_id == user.pk:
        raise ProposalRefused({"": "Another admin approves what you submitted."})
    # Four eyes hold for what the version says, not only for who pressed Submit: an
    # admin who changed it (its options, discounts, note...) is one of its authors.
    if version.events.filter(kind__in=AUTHORED, actor=user).exists():
        raise ProposalRefused({"": "Another admin approves a version you changed."})
    return version


def _next_position(existing: dict[int, ProposalOption]) -> int:
    if len(existing) >= MAX_OPTIONS:
        raise ProposalRefused(
            {"": f"A proposal has at most {MAX_OPTIONS} options; change or remove one."}
        )
    return len(existing) + 1


def _prepare_for_edit(
    proposal: Proposal, version: ProposalVersion, actor: Actor, at: datetime
) -> tuple[ProposalVersion, bool]:
    """The version to change: `version` itself while in preparation, else (sent) the
    next version, a copy of it. The second value says whether one was started."""
    if version.is_editable:
        return version, False
    following = ProposalVersion.objects.create(
        proposal=proposal,
        number=version.number + 1,
        cover_note=version.cover_note,
        valid_until=version.valid_until,
        roi_scenario_name=version.roi_scenario_name,
        roi_scenario_id=version.roi_scenario_id,
        roi_inputs=version.roi_inputs,
        created_by=actor.user,
        created_at=at,
        updated_at=at,
    )
    ProposalOption.objects.bulk_create(
        [
            ProposalOption(
                proposal_version=following,
                position=option.position,
                tier_version_id=option.tier_version_id,
                price_id=option.price_id,
                seats=option.seats,
                cycle=option.cycle,
                term_cycles=option.term_cycles,
                billing=option.billing,
                discount_percent=option.discount_percent,
                discount_reason=option.discount_reason,
                renew_as_is=option.renew_as_is,
                at_renewal=option.at_renewal,
            )
            for option in version.options.all()
        ]
    )
    return following, True


def _after_edit(
    proposal: Proposal,
    version: ProposalVersion,
    started: bool,
    changes: dict,
    actor: Actor,
    at: datetime,
) -> None:
    """Record the edit; an approved version goes back to approval when its discounts
    still need one, else to draft."""
    kind = ProposalEventKind.EDITED
    comment = f"Started {version.label} from the version sent." if started else ""
    if version.status == ProposalStatus.APPROVED:
        kind = ProposalEventKind.APPROVAL_UNDONE
        version.status = (
            ProposalStatus.AWAITING_APPROVAL
            if version_needs_approval(version)
            else ProposalStatus.DRAFT
        )
        version.approved_by = None
        version.approved_at = None
    version.updated_at = at
    version.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    proposal_record_event(
        proposal=proposal,
        version=version,
        kind=kind,
        actor=actor,
        at=at,
        comment=comment,
        changes=changes,
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "&".join(f"{k}={v}" for k, v in value.items())
    return str(value)
