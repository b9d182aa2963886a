"""Writes to trials: start, extend, and the three ways one closes (ended by the customer,
reverted at its end by the job, converted by a purchase). Each takes the license's row
lock, then the trial's (billing/locks.py: a Trial row is locked right after its License),
writes ONE LicenseEvent of its trial kind (before and after: tier, version, starts_at,
ends_at, status) and bumps the license's revision through the license services' one
writer, which issues one new signed file and retires the cached answers, then sends
`trial_changed` (licensing.trials.signals: billing records it on the commercial ledger,
in the same transaction). Closing a trial that is already closed does nothing and
writes nothing.

A trial changes nothing on a paying customer's license: its version, seats, status and
subscription stay; the entitlement resolver adds the trial's version to the plan
while it is in force (never lowering it). An organization without an open license of
the product trials on a license of its own, issued here in status trialing for the
trial's dates, with TRIAL_SEATS seats, or the tier's fewest billed seats when it is sold
from more (rules.trial_seats; fewer when the version allows fewer), and no
renewal: when the trial closes without a purchase, that license expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from licensing.licenses import services as licenses
from licensing.licenses import status as status_rules
from licensing.licenses.services import SYSTEM, Actor
from licensing.models import (
    CLOSED_STATUSES,
    USABLE_STATUSES,
    EventKind,
    License,
    LicenseStatus,
    Tier,
    TierVersion,
    Trial,
    TrialStatus,
    VersionStatus,
    seat_limit,
)
from licensing.trials import rules
from licensing.trials.signals import trial_changed
from portal import clock

# The longest an admin may extend a trial by at once (Tier.trial_days' own maximum).
MAX_EXTENSION_DAYS = 90


@dataclass(frozen=True)
class TrialStarted:
    trial: Trial
    key: str | None  # the new trial license's key, shown once; None on an existing license


def trial_fields(trial: Trial) -> dict:
    """A trial as its ledger entries keep it (the license's and the commercial one's)."""
    return {
        "tier": trial.tier.slug,
        # The version's number, as every other entry of the license ledger records it.
        "version": trial.version.number,
        "starts_at": trial.starts_at.isoformat(),
        "ends_at": trial.ends_at.isoformat(),
        "status": trial.status,
    }


def _lock(trial: Trial) -> Trial:
    """The license's row, then the trial's (the documented order): the trial as locked,
    with its license."""
    license = licenses.license_lock(trial.license)
    trial = (
        Trial.objects.select_for_update(of=("self",))
        .select_related("tier", "version")
        .get(pk=trial.pk)
    )
    trial.license = license
    return trial


def _record(
    license: License,
    trial: Trial,
    *,
    kind: str,
    actor: Actor,
    reason: str,
    before: dict,
    at: datetime,
    after: dict | None = None,
    was: dict | None = None,
) -> None:
    """The one ledger entry and the license's new revision (and file) for a change of
    `trial`, saved before: the file says what is in force after it. Then the change is
    told (trial_changed) with the trial's fields before it. `after`: the entry's, when
    the caller adds to the trial's fields."""
    trial_before = {name: before[name] for name in trial_fields(trial) if name in before}
    licenses.license_record(
        license,
        kind=kind,
        actor=actor,
        reason=reason,
        before=before,
        after=after if after is not None else trial_fields(trial),
        at=at,
        was=was,
    )
    trial_changed.send(
        sender=Trial,
        trial=trial,
        kind=kind,
        before=trial_before,
        actor=actor,
        reason=reason.strip(),
        at=at,
    )


def _trial_version(tier: Tier) -> TierVersion:
    version = (
        TierVersion.objects.filter(tier=tier, status=VersionStatus.PUBLISHED)
        .prefetch_related("limit_rows__metric")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise ValidationError(f"{tier.name} has no published version to try.")
    return version


def _open_license(organization, tier: Tier) -> License | None:
    found = (
        License.objects.filter(organization=organization, product_id=tier.product_id)
        .exclude(status__in=CLOSED_STATUSES)
        .values_list("pk", flat=True)
        .first()
    )
    return licenses.license_lock(License(pk=found)) if found else None


def trial_ends_at(*, today, days: int) -> datetime:
    """A trial started on `today` for `days` ends at the start of the day after its last
    (UTC): its days are whole business days, the first one included."""
    return datetime.combine(today + timedelta(days=days), time(), tzinfo=UTC)


def trial_license_seats(version: TierVersion) -> int:
    """The seats of a new trial license on `version` (rules.trial_seats): at least the
    fewest its per-seat prices bill, so the checkout after the trial starts from them."""
    min_billed = max((row.min_seats for row in version.price_rows.all() if row.per_seat), default=1)
    return rules.trial_seats(min_billed=min_billed, allowed=seat_limit(version))


@transaction.atomic
def trial_start(
    *, organization, tier: Tier, actor: Actor, at: datetime | None = None
) -> TrialStarted:
    """Start a trial of `tier` for `organization` now. Refusals (licensing.trials.rules)
    raise ValidationError with the reason; two starts at once are settled by the
    database's constraints, the loser told the same."""
    at = at or clock.now()
    today = timezone.localdate(at)
    version = _trial_version(tier)
    license = _open_license(organization, tier)
    current = None
    if license is not None:
        current = rules.OpenLicense(
            tier_order=license.version.tier.order,
            # By the clock, as validate answers: a license past its term and grace is
            # expired, whether or not the job that closes it has run.
            usable=licenses.license_status_at(license, at) in USABLE_STATUSES,
            trial_running=license.trials.filter(status=TrialStatus.RUNNING).exists(),
        )
    refusal = rules.start_refusal(
        tier_name=tier.name,
        trial_days=tier.trial_days,
        tier_order=tier.order,
        already_tried=Trial.objects.filter(organization=organization, tier=tier).exists(),
        current=current,
    )
    if refusal:
        raise ValidationError(refusal)
    ends_at = trial_ends_at(today=today, days=tier.trial_days)
    reason = f"Trial of {tier.name} started."
    key = None
    if license is None:
        issued = licenses.license_create(
            organization=organization,
            version=version,
            seats=trial_license_seats(version),
            term_start=today,
            term_end=rules.last_day(ends_at),
            status=LicenseStatus.TRIALING,
            actor=actor,
            reason=reason,
            at=at,
            auto_renew=False,
            ends_with_term=True,
        )
        license, key = licenses.license_lock(issued.license), issued.key
    trial = Trial(
        organization=organization,
        license=license,
        tier=tier,
        version=version,
        starts_at=at,
        ends_at=ends_at,
        status=TrialStatus.RUNNING,
        started_by=actor.user,
        created_at=at,
    )
    trial.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            trial.save()
    except IntegrityError as exc:
        # Another start committed first: the tier tried by now, or (another tier's) trial
        # running on the license. The rule says which, as it would have said before.
        tried = Trial.objects.filter(organization=organization, tier=tier).exists()
        raise ValidationError(
            rules.start_refusal(
                tier_name=tier.name,
                trial_days=tier.trial_days,
                tier_order=tier.order,
                already_tried=tried,
                current=rules.OpenLicense(
                    tier_order=tier.order - 1, usable=True, trial_running=True
                ),
            )
        ) from exc
    _record(
        license, trial, kind=EventKind.TRIAL_STARTED, actor=actor, reason=reason, before={}, at=at
    )
    return TrialStarted(trial=trial, key=key)


def _is_trial_license(license: License) -> bool:
    """A license its trial issued, nothing bought on it: trialing, or suspended from
    trialing (a hold placed on it then, which would send it back to trialing)."""
    if license.status == LicenseStatus.TRIALING:
        return True
    return (
        license.status == LicenseStatus.SUSPENDED
        and license.holds.filter(lifted_at__isnull=True, held_from=LicenseStatus.TRIALING).exists()
    )


def _close(
    trial: Trial, *, status: str, kind: str, actor: Actor, reason: str, at: datetime
) -> bool:
    """Close a running trial (already locked); False when it was closed already. A trial
    license (status trialing, or suspended from trialing: no purchase on it) expires with
    it, unless it is converted, its holds kept on record: closed before its end, its term
    ends that business day (never before it started), so it expires that day and stays
    readable from then. The ledger entry says when the trial ended and, for a trial
    license, its status and term before and after."""
    license = trial.license
    if trial.status != TrialStatus.RUNNING:
        return False
    before = trial_fields(trial)
    trial.status = status
    trial.ended_at = at
    trial.save(update_fields=["status", "ended_at"])
    after = trial_fields(trial) | {"ended_at": at.isoformat()}
    was = None
    if status != TrialStatus.CONVERTED and _is_trial_license(license):
        status_rules.check_transition(license.status, LicenseStatus.EXPIRED)
        was = {"status": license.status}
        before |= {"license_status": license.status, "term_end": license.term_end.isoformat()}
        license.status = LicenseStatus.EXPIRED
        license.term_end = max(license.term_start, min(license.term_end, timezone.localdate(at)))
        after |= {"license_status": license.status, "term_end": license.term_end.isoformat()}
    _record(
        license,
        trial,
        kind=kind,
        actor=actor,
        reason=reason,
        before=before,
        after=after,
        at=at,
        was=was,
    )
    return True


@transaction.atomic
def trial_end(*, trial: Trial, actor: Actor, reason: str = "", at: datetime | None = None) -> Trial:
    """The customer's "End now": on record, the plan underneath in force at once. A trial
    the clock has ended already (the closing job late) is not the customer's to end:
    refused with the day it ended, and left for the job to close as run out."""
    at = at or clock.now()
    trial = _lock(trial)
    if trial.status == TrialStatus.RUNNING and at >= trial.ends_at:
        raise ValidationError(
            f"This trial already ended on {rules.last_day(trial.ends_at):%-d %B %Y}."
        )
    _close(
        trial,
        status=TrialStatus.ENDED,
        kind=EventKind.TRIAL_ENDED,
        actor=actor,
        reason=reason.strip() or f"Trial of {trial.tier.name} ended by the customer.",
        at=at,
    )
    return trial


@transaction.atomic
def trial_revert(*, trial: Trial, at: datetime) -> bool:
    """The job's: a running trial past its end is marked reverted (its grants ended at
    `ends_at` already). True when this call reverted it; False when it was closed
    already, or is not over at `at` (extended meanwhile)."""
    trial = _lock(trial)
    if at < trial.ends_at:
        return False
    return _close(
        trial,
        status=TrialStatus.REVERTED,
        kind=EventKind.TRIAL_REVERTED,
        actor=SYSTEM,
        reason=f"Trial of {trial.tier.name} ended on {rules.last_day(trial.ends_at):%-d %B %Y}.",
        at=at,
    )


def converted_reason(*, trial: Trial, bought: Tier | None, on_trial_license: bool) -> str:
    """Why a purchase closed `trial` as converted, naming what was bought: its own tier
    (None: the trial's), a tier above it, or, on the trial's own license, another tier."""
    if bought is None or bought.pk == trial.tier_id:
        return f"Trial of {trial.tier.name} converted: the tier was bought."
    if on_trial_license:
        return f"Trial of {trial.tier.name} closed: {bought.name} bought on its license."
    return f"Trial of {trial.tier.name} closed: {bought.name} bought."


@transaction.atomic
def trial_close_converted(
    *, trial: Trial, at: datetime, actor: Actor, bought: Tier | None = None
) -> Trial:
    """Called by the checkout that buys on the trial's license (the trial's tier, a tier
    above it, or any tier on a trial license: `bought`, None for the trial's own), inside
    its transaction (which has locked the license already): the trial closes as
    converted, its reason naming what was bought. The license's status is the
    checkout's to set."""
    trial = _lock(trial)
    _close(
        trial,
        status=TrialStatus.CONVERTED,
        kind=EventKind.TRIAL_CONVERTED,
        actor=actor,
        reason=converted_reason(
            trial=trial,
            bought=bought,
            on_trial_license=trial.license.status == LicenseStatus.TRIALING,
        ),
        at=at,
    )
    return trial


@transaction.atomic
def trial_license_buy(
    *,
    trial: Trial,
    version: TierVersion,
    seats: int,
    term_start: date,
    term_end: date,
    actor: Actor,
    at: datetime,
) -> Trial:
    """A purchase on a trial license (the checkout's, inside its transaction, the license
    locked): the trial closes as converted and its license becomes what was bought, in
    ONE change: its first term, the version and seats bought, active, renewing. One
    ledger entry (trial_converted, with the license's terms before and after), one
    revision, one new license file. The key stays the one its software uses."""
    trial = _lock(trial)
    license = trial.license
    if trial.status != TrialStatus.RUNNING or license.status != LicenseStatus.TRIALING:
        raise ValidationError("This trial license was bought or closed since.")
    if version.status != VersionStatus.PUBLISHED or version.tier.product_id != license.product_id:
        raise ValidationError("A license can only be bought on a published version of its product.")
    allowed = seat_limit(version)
    if seats < 1 or (allowed is not None and seats > allowed):
        raise ValidationError(f"{version.tier.name} allows 1 to {allowed} seats.")
    if term_end < term_start or term_start < license.term_start:
        raise ValidationError("A first term starts on or after the trial and ends after it starts.")
    status_rules.check_transition(license.status, LicenseStatus.ACTIVE)
    # The license's terms under their own key: the trial's fields have the same names.
    before = trial_fields(trial) | {"license": licenses.license_fields(license)}
    was = {
        name: getattr(license, name)
        for name in ("status", "version", "seats", "term_start", "term_end", "auto_renew")
    }
    trial.status = TrialStatus.CONVERTED
    trial.ended_at = at
    trial.save(update_fields=["status", "ended_at"])
    license.version = version
    license.seats = seats
    license.term_start = term_start
    license.term_end = term_end
    license.status = LicenseStatus.ACTIVE
    license.auto_renew = True  # as the purchase's preview said: a plan bought renews
    license.ends_with_term = False
    _record(
        license,
        trial,
        kind=EventKind.TRIAL_CONVERTED,
        actor=actor,
        reason=converted_reason(trial=trial, bought=version.tier, on_trial_license=True),
        before=before,
        after=trial_fields(trial)
        | {"ended_at": at.isoformat(), "license": licenses.license_fields(license)},
        at=at,
        was=was,
    )
    return trial


@transaction.atomic
def trial_extend(
    *, trial: Trial, days: int, actor: Actor, reason: str, at: datetime | None = None
) -> Trial:
    """Staff give a running trial `days` more (a reason is required, kept on record). A
    trial license's term follows its trial."""
    at = at or clock.now()
    if not reason.strip():
        raise ValidationError("Say why; the reason is kept on record.")
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationError(f"Extend by 1 to {MAX_EXTENSION_DAYS} days.")
    trial = _lock(trial)
    license = trial.license
    if trial.status != TrialStatus.RUNNING:
        raise ValidationError(f"This trial is closed ({trial.get_status_display().lower()}).")
    ends_at = trial.ends_at + timedelta(days=days)
    if ends_at <= at:
        raise ValidationError(
            f"The trial ended on {rules.last_day(trial.ends_at):%-d %B %Y}: {days} more days "
            "would still end it in the past."
        )
    before = trial_fields(trial)
    trial.ends_at = ends_at
    trial.save(update_fields=["ends_at"])
    if _is_trial_license(license):
        license.term_end = max(license.term_end, rules.last_day(ends_at))
    _record(
        license,
        trial,
        kind=EventKind.TRIAL_EXTENDED,
        actor=actor,
        reason=reason,
        before=before,
        at=at,
    )
    return trial
