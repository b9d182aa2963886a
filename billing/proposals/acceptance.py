"""The customer's answer to a proposal: accept one of its options, or decline it.

Accepting an option that changes the plan now opens a checkout bound to it
(Checkout.proposal_option): the checkout quotes the option's tier version (even one
retired since), seats, term length, billing and negotiated discount, from the day it is
accepted, crediting the unused time of the current term as any change does. The page
shows that preview (`accept_preview`, read with an unsaved checkout: showing writes
nothing) and its Confirm calls `proposal_accept` with the preview's fingerprint: one
transaction records the checkout, confirms it (the invoice of exactly the previewed
lines) and marks the version accepted. A "renew as is" option becomes a scheduled change
at the term's end carrying its term, billing and discount (billing.checkout.scheduled
applies it, the renewal bills it).

Lock order (billing.locks): the rows of the license's proposals first, in ascending id
(lock 0, proposals_lock: accepting one closes the license's other open proposals), then the
checkout's own order (billing details, checkout, license, scheduled change,
subscription, invoice, number). Two acceptances at once queue on the proposal: the
second finds the version accepted and is refused; the partial unique constraint on
Checkout (one confirmed per proposal) holds even if a path forgot the lock.

A refusal says why: expired, superseded, already answered, withdrawn, not sent, an
option of another version, or a user who is not an owner or billing admin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.checkout.services import (
    Preview,
    StalePreview,
    checkout_confirm,
    checkout_preview,
    checkout_start,
    option_target,
)
from billing.discounts import format_percent
from billing.emails.notices import absolute
from billing.locks import lock_license, lock_scheduled_changes
from billing.models import (
    Checkout,
    Proposal,
    ProposalEventKind,
    ProposalOption,
    ProposalStatus,
    ProposalVersion,
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
)
from billing.models.proposals import IN_PREPARATION
from billing.pricing import BillingCycle
from billing.proposals.content import option_starts_on, retired_price_kept_until
from billing.proposals.events import (
    accepted_version,
    proposal_lock,
    proposal_record_event,
    proposals_lock,
    version_move,
)
from billing.proposals.options import describe_option, plan_decrease
from billing.subscriptions.periods import term_end_for
from billing.subscriptions.services import subscription_set_auto_renew
from licensing.licenses.services import Actor
from licensing.models import License
from portal import clock
from portal.emails import queue_templated_email
from portal.models import Membership, Role

ANSWERING_ROLES = (Role.OWNER, Role.BILLING)
MAX_DECLINE_REASON = 2000


class ProposalRefused(Exception):
    """The answer cannot be given; `message` says why, for the customer."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Renewal:
    """What accepting a "renew as is" option schedules: the option's plan from the day
    after the current term, for its term, at its price less its discount."""

    option: ProposalOption
    effective_on: date
    term_ends_on: date

    @property
    def digest(self) -> str:
        option = self.option
        shown = (
            f"renew|{option.pk}|{self.effective_on}|{self.term_ends_on}|{option.seats}|"
            f"{option.cycle}|{option.term_cycles}|{option.billing}|{option.price_id}|"
            f"{option.price.amount}|{option.discount_percent}|{option.discount_reason}"
        )
        return hashlib.sha256(shown.encode()).hexdigest()


@dataclass(frozen=True)
class Acceptance:
    version: ProposalVersion
    option: ProposalOption
    checkout: Checkout | None  # a change now: the confirmed checkout
    scheduled: ScheduledChange | None  # a renewal as is: the change at the term's end


def _answered_phrase(version: ProposalVersion) -> str:
    when = f" on {timezone.localdate(version.answered_at):%-d %B %Y}" if version.answered_at else ""
    return when


def refusal(version: ProposalVersion, *, today: date) -> str:
    """Why `version` can no longer be answered ("" while it can)."""
    status = version.status
    if status == ProposalStatus.ACCEPTED:
        return f"This proposal was accepted already{_answered_phrase(version)}."
    if status == ProposalStatus.DECLINED:
        return f"This proposal was declined{_answered_phrase(version)}."
    if status == ProposalStatus.SUPERSEDED:
        return (
            "This version of the proposal was replaced by a newer one: answer the newest "
            "version instead."
        )
    if status == ProposalStatus.WITHDRAWN:
        accepted = _accepted_instead(version)
        if accepted is not None:
            return (
                f"This proposal was closed when {accepted.label} was accepted"
                f"{_answered_phrase(accepted)}; it can no longer be answered."
            )
        return "Your account manager withdrew this proposal; it can no longer be answered."
    if status != ProposalStatus.SENT:
        return "This proposal has not been sent to you yet."
    if version.valid_until < today:
        return (
            f"This proposal expired on {version.valid_until:%-d %B %Y}. Ask your account "
            "manager for a new one."
        )
    return ""


def may_answer(user, version: ProposalVersion) -> bool:
    return Membership.objects.filter(
        organization_id=version.proposal.organization_id, user=user, role__in=ANSWERING_ROLES
    ).exists()


def _check(version: ProposalVersion, user, today: date) -> None:
    if not may_answer(user, version):
        raise ProposalRefused("Only an owner or a billing admin can answer a proposal.")
    why = refusal(version, today=today)
    if why:
        raise ProposalRefused(why)
    accepted = accepted_version(version.proposal_id)
    if accepted is not None:
        # Another version was accepted: one change per proposal, whichever version.
        raise ProposalRefused(
            f"This proposal was accepted already ({accepted.label}){_answered_phrase(accepted)}."
        )


def _check_option(version: ProposalVersion, option: ProposalOption) -> None:
    if option.proposal_version_id != version.pk:
        raise ProposalRefused("That option is not one of this proposal's.")


def _checkout_for(version: ProposalVersion, option: ProposalOption, user, at) -> Checkout:
    proposal = version.proposal
    return Checkout(
        organization_id=proposal.organization_id,
        license_id=proposal.license_id,
        proposal_id=proposal.pk,
        proposal_option=option,
        started_by=user,
        started_at=at,
    )


def downgrade_refusal(option: ProposalOption, license_id: int) -> str:
    """Why the customer may not accept `option` now ("" while they may): it would lower
    the plan before the term ends (another tier not ranked higher, fewer seats), since
    the license moved up after the proposal was made. Read from the database."""
    license = License.objects.select_related("version__tier").get(pk=license_id)
    if option.starts_at_term_end or not plan_decrease(license, option.tier_version, option.seats):
        return ""
    return (
        "Your plan changed since this proposal was made: this option would now lower it "
        f"(from {license.version.tier.name}, {license.seats} seats, to "
        f"{option.tier_version.tier.name}, {option.seats} seats) before your term ends. "
        "Such a change takes effect at the end of your term: schedule it from your plan, "
        "or ask your account manager for an updated proposal."
    )


def _refuse_a_downgrade(option: ProposalOption, license_id: int) -> None:
    why = downgrade_refusal(option, license_id)
    if why:
        raise ProposalRefused(why)


def retired_price_refusal(option: ProposalOption, license_id: int, *, today: date) -> str:
    """Why `option` may not be accepted today ("" while it may): it keeps a retired
    version's price past the day that price stops holding, from the day it would start
    if accepted today (a monthly renewal moves it on), and no admin approved its version
    (billing.proposals.content.approval_reasons asks for that before sending; a version
    sent inside the lock can run past it by its acceptance)."""
    if option.proposal_version.approved_at is not None:
        return ""
    until = retired_price_kept_until(option, license_id, today)
    if until is None:
        return ""
    version = option.tier_version
    return (
        f"This option keeps {version.tier.name} v{version.number}, retired, at its price past "
        f"{until:%-d %B %Y}, when that price stops holding, and was not approved for that. "
        "Ask your account manager for an updated proposal."
    )


def _refuse_a_retired_price(option: ProposalOption, license_id: int, today: date) -> None:
    why = retired_price_refusal(option, license_id, today=today)
    if why:
        raise ProposalRefused(why)


def as_is_refusal(option: ProposalOption, license_id: int) -> str:
    """Why a "renew as is" option no longer renews the plan as it is ("" while it does):
    the license's version, seats or cycle changed since the proposal was made (a change
    the customer made meanwhile), and accepting would schedule the old plan back. Read
    from the database, not from a license the caller may hold from before. An option
    that starts at the renewal with a plan of its own says what it schedules: never
    stale."""
    if not option.renew_as_is:
        return ""
    now = (
        Subscription.objects.filter(license_id=license_id)
        .values_list("license__version_id", "license__seats", "cycle")
        .first()
    )
    if now == (option.tier_version_id, option.seats, option.cycle):
        return ""
    return (
        "Your plan changed since this proposal was made, so renewing it “as is” would no "
        "longer keep your plan as it is now. Ask your account manager for an updated "
        "proposal."
    )


def renewal_of(option: ProposalOption, *, today: date) -> Renewal:
    """The renewal accepting `option` (renew as is) schedules, from the day
    billing.proposals.content.option_starts_on gives every page."""
    license = option.proposal_version.proposal.license
    effective_on = option_starts_on(option, license, today)
    cycles = option.term_cycles if option.cycle == BillingCycle.ANNUAL else 1
    return Renewal(
        option=option,
        effective_on=effective_on,
        term_ends_on=term_end_for(effective_on, cycle=option.cycle, cycles=cycles),
    )


def accept_preview(
    *, version: ProposalVersion, option: ProposalOption, user, at: datetime | None = None
) -> Preview | Renewal:
    """What accepting `option` would do, as the confirmation page shows it: a checkout's
    preview (a change now) or the renewal scheduled (renew as is). Writes nothing.
    Raises ProposalRefused, or QuoteRefused for an option that cannot be quoted."""
    at = at or clock.now()
    _check_option(version, option)
    why = refusal(version, today=timezone.localdate(at))
    if why:
        raise ProposalRefused(why)
    _refuse_a_retired_price(option, version.proposal.license_id, timezone.localdate(at))
    if option.starts_at_term_end:
        why = as_is_refusal(option, version.proposal.license_id)
        if why:
            raise ProposalRefused(why)
        return renewal_of(option, today=timezone.localdate(at))
    _refuse_a_downgrade(option, version.proposal.license_id)
    checkout = _checkout_for(version, option, user, at)
    return checkout_preview(checkout=checkout, target=option_target(option), at=at)


@transaction.atomic
def proposal_accept(
    *,
    version: ProposalVersion,
    option: ProposalOption,
    user,
    at: datetime | None = None,
    digest: str | None = None,
) -> Acceptance:
    """Accept `option` of `version`: a change now (a checkout bound to it, confirmed) or
    a renewal as is (a scheduled change at the term's end), and the version accepted, in
    one transaction. `digest`: the fingerprint of the preview the customer confirmed (a
    mismatch raises StalePreview with the fresh one). Raises ProposalRefused."""
    at = at or clock.now()
    today = timezone.localdate(at)
    # Lock 0: every proposal of the license, in ascending id (accepting one closes the
    # others, so two acceptances on one license queue whichever proposals they answer).
    license_id = Proposal.objects.filter(pk=version.proposal_id).values_list(
        "license_id", flat=True
    )
    proposals_lock(license_id=license_id.get())
    proposal = proposal_lock(version.proposal_id)
    version = ProposalVersion.objects.select_related("proposal__license").get(pk=version.pk)
    _check_option(version, option)
    _check(version, user, today)
    option = ProposalOption.objects.select_related(
        "tier_version__tier", "price", "proposal_version__proposal__license"
    ).get(pk=option.pk)
    actor = Actor.of(user, _role_label(user, version))
    _refuse_a_retired_price(option, version.proposal.license_id, today)
    checkout = scheduled = None
    if option.starts_at_term_end:
        scheduled = _schedule_renewal(option, digest=digest, actor=actor, at=at)
    else:
        _refuse_a_downgrade(option, version.proposal.license_id)
        checkout = _confirm_change(version, option, digest=digest, actor=actor, at=at)
    version_move(
        proposal,
        version,
        ProposalStatus.ACCEPTED,
        ProposalEventKind.ACCEPTED,
        actor=actor,
        at=at,
        comment=f"Option {option.position} accepted.",
        accepted_option=option,
        answered_by=user,
        answered_at=at,
    )
    _close_the_others(proposal, version, actor=actor, at=at)
    _tell_who_prepared(version, user=user, option=option)
    return Acceptance(version=version, option=option, checkout=checkout, scheduled=scheduled)


def _close_the_others(proposal, accepted: ProposalVersion, *, actor: Actor, at: datetime) -> None:
    """The license's other open proposals were made for the plan it had: once one is
    accepted they are closed (withdrawn, with why), so none of them can undo it (a stale
    "renew as is" scheduling the old plan back, a second upgrade invoiced on top)."""
    others = (
        ProposalVersion.objects.filter(
            proposal__license_id=proposal.license_id,
            status__in=(*IN_PREPARATION, ProposalStatus.SENT),
        )
        .exclude(proposal=proposal)
        .select_related("proposal")
        .order_by("proposal_id", "number")
    )
    closed: dict[int, tuple] = {}
    for other in others:
        other.status = ProposalStatus.WITHDRAWN
        other.updated_at = at
        other.save(update_fields=["status", "updated_at"])
        closed[other.proposal_id] = (other.proposal, other)
    for other_proposal, last in closed.values():
        proposal_record_event(
            proposal=other_proposal,
            version=last,
            kind=ProposalEventKind.WITHDRAWN,
            actor=actor,
            at=at,
            comment=f"Closed: {accepted.label} was accepted.",
        )


def _accepted_instead(version: ProposalVersion) -> ProposalVersion | None:
    """The version of another proposal for the same license whose acceptance closed
    `version`, at that very moment (None: it was withdrawn by staff)."""
    return (
        ProposalVersion.objects.filter(
            proposal__license_id=version.proposal.license_id,
            status=ProposalStatus.ACCEPTED,
            answered_at=version.updated_at,  # closed in the acceptance's transaction
        )
        .exclude(proposal_id=version.proposal_id)
        .select_related("proposal")
        .order_by("answered_at")
        .first()
    )


def _role_label(user, version: ProposalVersion) -> str:
    role = (
        Membership.objects.filter(organization_id=version.proposal.organization_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    return role or "customer"


def _confirm_change(
    version: ProposalVersion, option: ProposalOption, *, digest, actor: Actor, at: datetime
) -> Checkout:
    proposal = version.proposal
    checkout = checkout_start(
        organization=proposal.organization,
        license=proposal.license,
        user=actor.user,
        at=at,
        proposal_option=option,
    )
    target = option_target(option)
    if digest is None:
        # A service-level acceptance (no page shown): the figures as they stand now.
        digest = checkout_preview(checkout=checkout, target=target, at=at).digest
    return checkout_confirm(checkout=checkout, target=target, digest=digest, actor=actor, at=at)


def _schedule_renewal(
    option: ProposalOption, *, digest: str | None, actor: Actor, at: datetime
) -> ScheduledChange:
    """The option as the change at the term's end: locks the license, then its pending
    change (billing.locks' order after the proposal), which the proposal replaces; a
    subscription set not to renew renews again (the customer has just agreed its next
    term)."""
    user = actor.user
    license = lock_license(option.proposal_version.proposal.license_id)
    if not license.is_usable:
        raise ProposalRefused(
            f"This license is {license.get_status_display().lower()}: it cannot be renewed "
            "until it is running again. Your account manager can help."
        )
    why = as_is_refusal(option, license.pk)
    if why:
        raise ProposalRefused(why)
    pending = list(lock_scheduled_changes(license.pk))
    renewal = renewal_of(option, today=timezone.localdate(at))
    if digest is not None and digest != renewal.digest:
        raise StalePreview(
            None,
            "Your plan changed since you saw this page; here is the renewal as it stands now.",
        )
    for change in pending:
        change.status = ScheduledChangeStatus.CANCELED
        change.closed_at = at
        change.closed_by = user
        change.close_reason = f"Replaced by the accepted proposal {option.proposal_version}."
        change.save()
    discount = option.discount_percent
    if option.cycle == BillingCycle.MONTHLY:
        term = "1 month"
    else:
        term = f"{option.term_cycles} year{'s' if option.term_cycles != 1 else ''}"
    summary = (
        f"{'Renew as is' if option.renew_as_is else 'From the renewal'}: "
        f"{option.tier_version.tier.name}, {option.seats} seats, "
        f"{BillingCycle(option.cycle).label.lower()}, for {term}"
    )
    if discount:
        summary += f", {format_percent(discount)} off ({option.discount_reason})"
    if not license.auto_renew:
        subscription_set_auto_renew(
            subscription=Subscription.objects.get(license=license),
            auto_renew=True,
            actor=actor,
            reason=f"Renewal agreed by accepting {option.proposal_version}.",
            at=at,
        )
    return ScheduledChange.objects.create(
        license=license,
        effective_on=renewal.effective_on,
        version=option.tier_version,
        seats=option.seats,
        cycle=option.cycle,
        price=option.price,
        auto_renew=True,
        term_cycles=option.term_cycles,
        billing=option.billing,
        discount_percent=discount,
        discount_reason=option.discount_reason if discount else "",
        proposal_option=option,
        summary=summary[:300],
        created_by=user,
        created_at=at,
    )


@transaction.atomic
def proposal_decline(
    *, version: ProposalVersion, user, reason: str = "", at: datetime | None = None
) -> ProposalVersion:
    """Decline `version`, with an optional reason for the account manager."""
    at = at or clock.now()
    proposal = proposal_lock(version.proposal_id)  # lock 0
    version = ProposalVersion.objects.select_related("proposal").get(pk=version.pk)
    _check(version, user, timezone.localdate(at))
    reason = (reason or "").strip()
    if len(reason) > MAX_DECLINE_REASON:
        raise ProposalRefused(f"Say why in at most {MAX_DECLINE_REASON} characters.")
    version_move(
        proposal,
        version,
        ProposalStatus.DECLINED,
        ProposalEventKind.DECLINED,
        actor=Actor.of(user, _role_label(user, version)),
        at=at,
        comment=reason,
        answered_by=user,
        answered_at=at,
        decline_reason=reason,
    )
    _tell_who_prepared(version, user=user, reason=reason)
    return version


def _tell_who_prepared(
    version: ProposalVersion, *, user, option: ProposalOption | None = None, reason: str = ""
) -> None:
    """The customer's answer, emailed (through the outbox, in the answer's transaction)
    to whoever prepared the proposal and the account's manager: an acceptance with the
    option taken, a decline with its reason. Staff no longer active are not written to."""
    proposal = version.proposal
    staff = [proposal.prepared_by, proposal.organization.account_manager]
    to = {person.email: person for person in staff if person and person.is_active and person.email}
    for address, person in to.items():
        queue_templated_email(
            "billing/proposal_answered",
            to=address,
            context={
                "person": person,
                "organization": proposal.organization,
                "label": version.label,
                "answered_by": user.display_name,
                "option": describe_option(option) if option is not None else "",
                "position": option.position if option is not None else None,
                "at_term_end": option is not None and option.starts_at_term_end,
                "reason": reason,
                "action_url": absolute(reverse("manage_proposal", args=[proposal.number])),
                "action_label": f"Open {version.label}",
            },
        )
