"""Writes to licenses. Each service locks the license row, validates, changes it, bumps
its revision, appends a LicenseEvent (who, when, why, before, after), issues a new signed
file when what the file says has changed, and on commit retires the cached validation
answers. Nothing else writes to a License.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from licensing.api.answer import status_at, valid_until
from licensing.api.validation import license_changed, licenses_changed
from licensing.licenses import keys, signing
from licensing.licenses import status as status_rules
from licensing.licenses.entitlements import (
    license_entitlements,
    licenses_entitlements,
    trial_data,
    trials_in_force,
    usable_entitlements,
    usable_trial,
)
from licensing.licenses.grants import Entitlements
from licensing.licenses.signals import license_changed as license_changed_signal
from licensing.models import (
    CLOSED_STATUSES,
    USABLE_STATUSES,
    Addon,
    EntitlementOverride,
    EventKind,
    Feature,
    HoldSource,
    License,
    LicenseAddon,
    LicenseEvent,
    LicenseFile,
    LicenseHold,
    LicenseStatus,
    LimitMetric,
    Machine,
    RetiringKey,
    TierVersion,
    VersionStatus,
)
from portal import clock
from portal.bulk import update_rows
from portal.validation import clean_computed

# Statuses staff can reinstate from: their own hold lifted, or a revocation reversed.
REVERSIBLE = (LicenseStatus.SUSPENDED, LicenseStatus.CANCELED)


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the ledger keeps it."""

    user: object | None = None
    label: str = "system"

    @classmethod
    def of(cls, user, role: str = "") -> Actor:
        label = getattr(user, "email", None) or "system"
        return cls(user=user, label=f"{label} ({role})" if role else label)


SYSTEM = Actor()


@dataclass(frozen=True)
class IssuedKey:
    license: License
    key: str  # shown once, never stored


def license_lock(license: License) -> License:
    """The license's row lock: every license service's first step, and other licensing
    areas' (trials) that change their own rows with the license: the license first, then
    theirs."""
    # Two admins (or an admin and the API) changing one license serialise on its row, so
    # every ledger entry's "before" is what the change really started from.
    # The row is locked alone, then read with what it joins: PostgreSQL rechecks a locked
    # row's joins against the rows it first saw, so a lock that waited for a change of
    # the license's version (an upgrade committed meanwhile) would find no row at all.
    License.objects.select_for_update().filter(pk=license.pk).values_list("pk").get()
    return License.objects.select_related(
        "organization", "product", "version", "version__tier"
    ).get(pk=license.pk)


def license_fields(license: License) -> dict:
    """What a license's ledger entries keep before and after a change of its terms."""
    return {
        "status": license.status,
        "seats": license.seats,
        "tier": license.version.tier.slug,
        "version": license.version.number,
        "term_start": license.term_start.isoformat(),
        "term_end": license.term_end.isoformat(),
        "auto_renew": license.auto_renew,
    }


def _recorded(
    license: License,
    *,
    kind: str,
    actor: Actor,
    reason: str,
    before: dict,
    after: dict,
    at: datetime,
) -> LicenseEvent:
    """A change's new revision on the license and its ledger entry, unsaved: what
    license_record writes for one license and licenses_start_term for many."""
    if not reason.strip():
        raise ValidationError("Say why; the reason is kept on record.")
    license.revision += 1
    license.updated_at = at
    return LicenseEvent(
        license=license,
        kind=kind,
        actor=actor.user,
        actor_label=actor.label[:200],
        reason=reason.strip(),
        before=before,
        after=after,
        revision=license.revision,
        happened_at=at,
    )


def license_record(
    license: License,
    *,
    kind: str,
    actor: Actor,
    reason: str,
    before: dict,
    after: dict,
    at: datetime,
    was: dict | None = None,
    validate: bool = True,
) -> LicenseEvent:
    """The one writer of a change to a locked license (every license service's, and other
    licensing areas' such as trials, inside their transaction): its ledger entry, the
    license's new revision and file, the signal and the cached answers retired."""
    event = _recorded(
        license, kind=kind, actor=actor, reason=reason, before=before, after=after, at=at
    )
    if validate:
        license.full_clean()
    else:
        # A change the caller computed (a renewal's next term): the fields are checked
        # here, foreign keys, the key's uniqueness, one open license per product and
        # the term's order are the database's (portal.validation).
        clean_computed(license)
    license.save()
    event.save()
    license_file_issue(license=license, at=at)
    license_changed_signal.send(
        sender=License,
        license=license,
        event=event,
        was=was or {},
        actor=actor,
        reason=reason.strip(),
        at=at,
    )
    # Inside the transaction: if the cache cannot be told, the change does not happen.
    license_changed(license.pk, license.revision)
    return event


def _change(
    license: License,
    *,
    kind: str,
    actor: Actor,
    reason: str,
    at,
    validate: bool = True,
    **values,
) -> License:
    """Set fields of the license and record them, before and after. `validate=False`:
    see `license_record`."""
    before, was = _set(license, values)
    license_record(
        license,
        kind=kind,
        actor=actor,
        reason=reason,
        before=before,
        after=license_fields(license),
        at=at,
        was=was,
        validate=validate,
    )
    return license


def _set(license: License, values: dict) -> tuple[dict, dict]:
    """Set fields of the license: its ledger fields before, and the values replaced."""
    before = license_fields(license)
    was = {name: getattr(license, name) for name in values}
    for name, value in values.items():
        setattr(license, name, value)
    return before, was


def _new_key() -> tuple[str, str]:
    key = keys.generate_key()
    return key, keys.hash_secret(key)


@transaction.atomic
def license_create(
    *,
    organization,
    version: TierVersion,
    seats: int,
    term_start: date,
    term_end: date,
    status: str = LicenseStatus.ACTIVE,
    actor: Actor = SYSTEM,
    reason: str,
    at: datetime | None = None,
    auto_renew: bool = True,
    ends_with_term: bool = False,
) -> IssuedKey:
    """A new license and its key (shown once). A trial's license neither renews nor has
    renewal grace (`auto_renew=False, ends_with_term=True`): it ends with the trial."""
    at = at or clock.now()
    if version.status == VersionStatus.DRAFT:
        raise ValidationError("A license can only be on a published (or retired) version.")
    key, key_hash = _new_key()
    license = License(
        organization=organization,
        product_id=version.tier.product_id,
        version=version,
        seats=seats,
        status=status,
        term_start=term_start,
        term_end=term_end,
        auto_renew=auto_renew,
        ends_with_term=ends_with_term,
        key_hash=key_hash,
        key_prefix=keys.key_prefix(key),
        revision=0,
        created_at=at,
    )
    _check_seats(license, seats, at)
    try:
        with transaction.atomic():
            license_record(
                license,
                kind=EventKind.CREATED,
                actor=actor,
                reason=reason,
                before={},
                after=license_fields(license),
                at=at,
            )
    except IntegrityError as exc:
        raise ValidationError(
            f"{organization} already has an open license for {version.tier.product}."
        ) from exc
    return IssuedKey(license, key)


def _check_seats(license: License, seats: int, at: datetime) -> None:
    if seats < 1:
        raise ValidationError("A license has at least one seat.")
    if license.pk is None:
        limit = license.version.limit_rows.filter(metric__key="seats").values_list(
            "value", flat=True
        )
        allowed = limit[0] if limit else None
    else:
        # The plan's seats: a trial of a higher tier lends room, it sells none.
        allowed = license_entitlements(license=license, at=at, with_trial=False).limits.get("seats")
        allowed = allowed.value if allowed else None
    if allowed is not None and seats > allowed:
        raise ValidationError(f"This tier allows at most {allowed} seats.")


def _holds_in_place(license: License) -> dict[str, LicenseHold]:
    return {hold.source: hold for hold in license.holds.filter(lifted_at__isnull=True)}


def _set_status(license: License, status: str, *, actor: Actor, reason: str, at) -> License:
    """The one way a status changes: through the transitions the rules allow."""
    try:
        status_rules.check_transition(
            license.status, status, holds=frozenset(_holds_in_place(license))
        )
    except status_rules.StatusError as error:
        raise ValidationError(str(error)) from error
    return _change(license, kind=EventKind.STATUS, actor=actor, reason=reason, at=at, status=status)


@transaction.atomic
def license_set_status(
    *, license: License, status: str, actor: Actor, reason: str, at: datetime | None = None
) -> License:
    """Move the license to another status the rules allow. Suspension is a hold
    (`license_hold`), never a plain status change."""
    at = at or clock.now()
    license = license_lock(license)
    if status == LicenseStatus.SUSPENDED and status != license.status:
        raise ValidationError("A license is suspended by a hold, which says whose it is.")
    return _set_status(license, status, actor=actor, reason=reason, at=at)


@transaction.atomic
def license_hold(
    *, license: License, source: str, actor: Actor, reason: str, at: datetime | None = None
) -> License:
    """Suspend the license for `source` (staff, dunning, trial): the customer's software
    stops validating until every source has lifted its hold."""
    at = at or clock.now()
    license = license_lock(license)
    holds = _holds_in_place(license)
    try:
        status_rules.check_hold(license.status, source, holds=frozenset(holds))
    except status_rules.StatusError as error:
        raise ValidationError(str(error)) from error
    if not reason.strip():
        raise ValidationError("Say why; the reason is kept on record.")
    held_from = next(iter(holds.values())).held_from if holds else license.status
    LicenseHold.objects.create(
        license=license,
        source=source,
        held_from=held_from,
        reason=reason.strip(),
        placed_at=at,
        placed_by=actor.label[:200],
    )
    if license.status == LicenseStatus.SUSPENDED:
        return license
    return _set_status(license, LicenseStatus.SUSPENDED, actor=actor, reason=reason, at=at)


@transaction.atomic
def license_release_hold(
    *, license: License, source: str, actor: Actor, reason: str, at: datetime | None = None
) -> License:
    """Lift `source`'s hold. The license stays suspended while another source holds it;
    after the last, it is active again (or trialing, if it was a trial)."""
    at = at or clock.now()
    license = license_lock(license)
    holds = _holds_in_place(license)
    hold = holds.pop(source, None)
    if hold is None:
        label = HoldSource(source).label.lower() if source in HoldSource.values else source
        raise ValidationError(f"The license has no {label} hold to lift.")
    if not reason.strip():
        raise ValidationError("Say why; the reason is kept on record.")
    LicenseHold.objects.filter(pk=hold.pk).update(
        lifted_at=at, lifted_by=actor.label[:200], lift_reason=reason.strip()
    )
    after = status_rules.status_after_release(remaining=frozenset(holds), held_from=hold.held_from)
    if after is None or license.status != LicenseStatus.SUSPENDED:
        return license
    return _set_status(license, after, actor=actor, reason=reason, at=at)


def license_suspend(
    *, license: License, actor: Actor, reason: str, at: datetime | None = None
) -> License:
    """Staff's hold."""
    return license_hold(license=license, source=HoldSource.ADMIN, actor=actor, reason=reason, at=at)


def license_revoke(
    *, license: License, actor: Actor, reason: str, at: datetime | None = None
) -> License:
    return license_set_status(
        license=license, status=LicenseStatus.CANCELED, actor=actor, reason=reason, at=at
    )


@transaction.atomic
def license_reinstate(
    *, license: License, actor: Actor, reason: str, at: datetime | None = None
) -> License:
    """Staff undo what staff did: lift their own hold (another source's stays), or reverse
    a revocation to the status the ledger recorded before it."""
    at = at or clock.now()
    license = license_lock(license)
    if license.status == LicenseStatus.SUSPENDED:
        return license_release_hold(
            license=license, source=HoldSource.ADMIN, actor=actor, reason=reason, at=at
        )
    if license.status != LicenseStatus.CANCELED:
        raise ValidationError("Only a suspended or revoked license can be reinstated.")
    entered = (
        license.events.filter(kind=EventKind.STATUS, after__status=license.status)
        .order_by("-revision")
        .first()
    )
    if entered is None or not entered.before.get("status"):
        raise ValidationError("The ledger does not say what this license was before.")
    before = entered.before["status"]
    if before == LicenseStatus.SUSPENDED and not _holds_in_place(license):
        # Revoked while suspended, and the holds were lifted since: where the last one
        # would have sent it (a trial license back to its trial).
        last = license.holds.order_by("-lifted_at", "-pk").first()
        before = status_rules.status_after_release(
            remaining=frozenset(), held_from=last.held_from if last else LicenseStatus.ACTIVE
        )
    return _set_status(license, before, actor=actor, reason=reason, at=at)


@transaction.atomic
def license_change_seats(
    *,
    license: License,
    seats: int,
    actor: Actor,
    reason: str,
    at: datetime | None = None,
    keep_active_machines: bool = False,
) -> License:
    """Change the seats bought. Going below the active machines is refused, unless
    `keep_active_machines` (a downgrade the customer scheduled: nothing is deactivated,
    new activations are refused until enough are freed)."""
    at = at or clock.now()
    license = license_lock(license)
    _check_seats(license, seats, at)
    active = license.machines.active().count()
    if seats < active and not keep_active_machines:
        raise ValidationError(
            f"{active} machines are active; deactivate {active - seats} before going down "
            f"to {seats} seats."
        )
    return _change(license, kind=EventKind.SEATS, actor=actor, reason=reason, at=at, seats=seats)


@transaction.atomic
def license_change_version(
    *,
    license: License,
    version: TierVersion,
    actor: Actor,
    reason: str,
    at=None,
    as_quoted: bool = False,
) -> License:
    """Move to another tier or version (an upgrade, a downgrade, leaving a legacy plan).
    `as_quoted`: the move was quoted to the customer earlier (a scheduled change, an
    accepted proposal), so a version retired since is still the one applied: what was
    quoted is what is applied. A draft never is."""
    at = at or clock.now()
    license = license_lock(license)
    applicable = [VersionStatus.PUBLISHED, *([VersionStatus.RETIRED] if as_quoted else [])]
    if version.status not in applicable:
        raise ValidationError("A license can only move to a published version.")
    if version.tier.product_id != license.product_id:
        raise ValidationError("That version belongs to another product.")
    if version.pk == license.version_id:
        raise ValidationError("The license is already on that version.")
    return _change(
        license, kind=EventKind.VERSION, actor=actor, reason=reason, at=at, version=version
    )


# The longest an extension may add: a contract's longest term, five years.
MAX_EXTENSION_YEARS = 5


def latest_extension(license: License) -> date:
    """The furthest last day an extension may give `license`."""
    return license.term_end + timedelta(days=MAX_EXTENSION_YEARS * 365 + 1)


@transaction.atomic
def license_renew(
    *, license: License, term_end: date, actor: Actor, reason: str, at=None
) -> License:
    at = at or clock.now()
    license = license_lock(license)
    if term_end <= license.term_end:
        raise ValidationError("A renewal extends the term.")
    if term_end > latest_extension(license):
        raise ValidationError(
            f"An extension runs at most {MAX_EXTENSION_YEARS} years past the current last "
            f"day: pick {latest_extension(license):%-d %B %Y} or earlier."
        )
    return _change(
        license,
        kind=EventKind.TERM_EXTENDED,
        actor=actor,
        reason=reason,
        at=at,
        term_end=term_end,
    )


@transaction.atomic
def license_start_term(
    *,
    license: License,
    term_start: date,
    term_end: date,
    actor: Actor,
    reason: str,
    at=None,
    validate: bool = True,
) -> License:
    """Begin a new term (a move to another billing cycle starts one on the day it is
    made); the unused part of the old one is credited by billing. `validate=False` for a
    term its caller computed (the renewal): the checks below still run, the ones the
    database enforces are left to it (`license_record`)."""
    at = at or clock.now()
    license = license_lock(license)
    _check_term(license, term_start=term_start, term_end=term_end)
    return _change(
        license,
        kind=EventKind.TERM_STARTED,
        actor=actor,
        reason=reason,
        at=at,
        term_start=term_start,
        term_end=term_end,
        validate=validate,
    )


def _check_term(license: License, *, term_start: date, term_end: date) -> None:
    if term_end < term_start:
        raise ValidationError("A term ends on or after the day it starts.")
    if term_start < license.term_start:
        raise ValidationError("A new term cannot start before the current one.")


@dataclass(frozen=True)
class NewTerm:
    """One license's next term, for licenses_start_term."""

    license: License  # locked by the caller, read with its organization, product, version
    term_start: date
    term_end: date
    reason: str


def licenses_start_term(*, terms: list[NewTerm], actor: Actor, at: datetime) -> list[License]:
    """license_start_term for many licenses the caller has locked (the term-end job's
    renewals, a batch at a time), in a few statements for all of them: each one's checks,
    revision, ledger entry, signal and signed file as license_start_term gives it, the
    cached answers retired together. The terms are the caller's computation (the
    database keeps the keys and constraints: portal.validation). Runs inside the
    caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("licenses_start_term() runs inside the caller's transaction.")
    events, changes = [], []
    for term in terms:
        license = term.license
        _check_term(license, term_start=term.term_start, term_end=term.term_end)
        before, was = _set(license, {"term_start": term.term_start, "term_end": term.term_end})
        event = _recorded(
            license,
            kind=EventKind.TERM_STARTED,
            actor=actor,
            reason=term.reason,
            before=before,
            after=license_fields(license),
            at=at,
        )
        clean_computed(license)
        events.append(event)
        changes.append(was)
    licenses = [term.license for term in terms]
    update_rows(licenses, ["term_start", "term_end", "revision", "updated_at"])
    LicenseEvent.objects.bulk_create(events, batch_size=500)
    payloads = license_file_payloads(licenses=licenses, at=at)
    # A new term always changes what the file says (its expiry): no earlier file to match.
    LicenseFile.objects.bulk_create(
        [_signed_file(license, payloads[license.pk], at=at) for license in licenses],
        batch_size=500,
    )
    for license, event, was in zip(licenses, events, changes, strict=True):
        license_changed_signal.send(
            sender=License,
            license=license,
            event=event,
            was=was,
            actor=actor,
            reason=event.reason,
            at=at,
        )
    licenses_changed({license.pk: license.revision for license in licenses})
    return licenses


@transaction.atomic
def license_set_auto_renew(
    *,
    license: License,
    auto_renew: bool,
    actor: Actor,
    reason: str,
    at=None,
    ends_with_term: bool = False,
) -> License:
    """Whether the term renews by itself at its end (billing.subscriptions calls this).
    `ends_with_term`: off because its customer canceled, so it ends with its term,
    without the grace a license renewed by hand keeps (licensing.licenses.grace)."""
    at = at or clock.now()
    license = license_lock(license)
    if license.auto_renew == auto_renew:
        state = "on" if auto_renew else "off"
        raise ValidationError(f"Auto-renew is already {state}.")
    return _change(
        license,
        kind=EventKind.AUTO_RENEW,
        actor=actor,
        reason=reason,
        at=at,
        auto_renew=auto_renew,
        ends_with_term=ends_with_term and not auto_renew,
    )


@transaction.atomic
def license_set_addon(
    *, license: License, addon: Addon, quantity: int, actor: Actor, reason: str, at=None
) -> License:
    """Set how many units of `addon` the license has; 0 removes it."""
    at = at or clock.now()
    license = license_lock(license)
    if addon.product_id != license.product_id:
        raise ValidationError("That add-on belongs to another product.")
    if quantity < 0:
        raise ValidationError("The quantity cannot be negative.")
    row = LicenseAddon.objects.filter(license=license, addon=addon).first()
    before = {"addon": addon.key, "quantity": row.quantity if row else 0}
    if quantity == before["quantity"]:
        raise ValidationError("Nothing to change.")
    if quantity == 0:
        row.delete()
    else:
        row = row or LicenseAddon(license=license, addon=addon)
        row.quantity = quantity
        row.full_clean()
        row.save()
    license_record(
        license,
        kind=EventKind.ADDON,
        actor=actor,
        reason=reason,
        before=before,
        after={"addon": addon.key, "quantity": quantity},
        at=at,
    )
    return license


def _override_data(override: EntitlementOverride) -> dict:
    return {
        "override": override.pk,
        "feature": override.feature.key if override.feature else None,
        "metric": override.metric.key if override.metric else None,
        "value": override.value,
        "ends_at": override.ends_at.isoformat() if override.ends_at else None,
        "revoked": override.revoked_at is not None,
    }


@transaction.atomic
def entitlement_override_grant(
    *,
    license: License,
    actor: Actor,
    reason: str,
    feature: Feature | None = None,
    metric: LimitMetric | None = None,
    value: int | None = None,
    ends_at: datetime | None = None,
    at: datetime | None = None,
) -> EntitlementOverride:
    at = at or clock.now()
    license = license_lock(license)
    if (feature is None) == (metric is None):
        raise ValidationError("An override grants either a feature or a limit.")
    part = feature or metric
    if part.product_id != license.product_id:
        raise ValidationError("That belongs to another product.")
    if metric is not None:
        _refuse_an_override_that_raises_nothing(license, metric, value, at)
    override = EntitlementOverride(
        license=license,
        feature=feature,
        metric=metric,
        value=value if metric else None,
        reason=reason.strip(),
        granted_by=actor.user,
        starts_at=at,
        ends_at=ends_at,
    )
    override.full_clean()
    override.save()
    license_record(
        license,
        kind=EventKind.OVERRIDE_GRANTED,
        actor=actor,
        reason=reason,
        before={},
        after=_override_data(override),
        at=at,
    )
    return override


def _refuse_an_override_that_raises_nothing(license: License, metric, value, at) -> None:
    """An override raises a limit and never lowers one (licensing.licenses.grants): one
    at or below what the license is granted for good (its plan, add-ons and lasting
    overrides; a raise for a while ends) would never change anything, so it is refused
    with the figure it must exceed."""
    granted = license_entitlements(license=license, at=at, with_trial=False).limits.get(metric.key)
    lasting = 0 if granted is None else granted.value
    if granted is not None and granted.until is not None:
        lasting = granted.then
    if lasting is None:
        raise ValidationError(f"{metric.name} is already unlimited on this license.")
    if value is not None and value <= lasting:
        raise ValidationError(
            f"{metric.name}: this license already allows {lasting:,} {metric.unit}"
            f"{' for good' if granted is not None and granted.until else ''}; an override "
            f"raises a limit and never lowers it. Enter more than {lasting:,}."
        )


@transaction.atomic
def entitlement_override_revoke(
    *, override: EntitlementOverride, actor: Actor, reason: str, at=None
) -> EntitlementOverride:
    at = at or clock.now()
    license = license_lock(override.license)
    override = EntitlementOverride.objects.select_for_update().get(pk=override.pk)
    if override.revoked_at is not None:
        raise ValidationError("This override is already revoked.")
    before = _override_data(override)
    override.revoked_at = at
    override.save(update_fields=["revoked_at"])
    license_record(
        license,
        kind=EventKind.OVERRIDE_REVOKED,
        actor=actor,
        reason=reason,
        before=before,
        after=_override_data(override),
        at=at,
    )
    return override


# How long a rotated key may keep working beside the new one: at most a week.
MAX_KEY_OVERLAP = timedelta(days=7)
ROTATION_TOKEN_SALT = "tierwise.licensing.key-rotation"


@transaction.atomic
def rotation_token(license: License) -> str:
    """The one-time token of a rotation form: derived from the key in use, so the
    rotation that replaces the key consumes it, and a second submission of the same form
    (a double click, a reload, a second tab) is refused instead of rotating again."""
    return salted_hmac(ROTATION_TOKEN_SALT, license.key_hash).hexdigest()


def license_rotate_key(
    *,
    license: License,
    actor: Actor,
    reason: str,
    overlap: timedelta = timedelta(0),
    at: datetime | None = None,
    token: str | None = None,
) -> IssuedKey:
    """A new key. The old one keeps working for `overlap` (none: it stops as soon as
    this commits), so installations can move to the new key before the old is refused.
    Any key still in an earlier overlap stops now: only the key just replaced overlaps,
    and a rotation after a leak never leaves an older key running. `token`: the form's
    `rotation_token`, checked under the license's lock; a key rotated since is refused
    (code "already_rotated")."""
    at = at or clock.now()
    if overlap < timedelta(0) or overlap > MAX_KEY_OVERLAP:
        raise ValidationError("The old key may keep working for at most 7 days.")
    license = license_lock(license)
    if token is not None and not constant_time_compare(token, rotation_token(license)):
        raise ValidationError(
            "This key was already rotated: the form was sent for a key that is no longer "
            "the license's. Nothing was changed this time.",
            code="already_rotated",
        )
    ended = list(
        license.retiring_keys.filter(valid_until__gt=at).values_list("key_prefix", flat=True)
    )
    license.retiring_keys.filter(valid_until__gt=at).update(valid_until=at)
    before = {"key_prefix": license.key_prefix}
    valid_until = None
    if overlap:
        valid_until = at + overlap
        RetiringKey.objects.create(
            license=license,
            key_hash=license.key_hash,
            key_prefix=license.key_prefix,
            retired_at=at,
            valid_until=valid_until,
        )
    key, license.key_hash = _new_key()
    license.key_prefix = keys.key_prefix(key)
    license_record(
        license,
        kind=EventKind.KEY_ROTATED,
        actor=actor,
        reason=reason,
        before=before | ({"overlapping_keys_ended": ended} if ended else {}),
        after={
            "key_prefix": license.key_prefix,
            "old_key_valid_until": valid_until.isoformat() if valid_until else None,
        },
        at=at,
    )
    return IssuedKey(license, key)


def license_retiring_keys(license: License, at: datetime) -> list[RetiringKey]:
    """The license's earlier keys the API still accepts at `at`, the latest first."""
    return list(license.retiring_keys.filter(valid_until__gt=at))


def machine_limit(
    license: License, at: datetime | None = None, *, entitlements: Entitlements | None = None
) -> int | None:
    """A "machines" limit when the tier has one; otherwise one machine per seat. Pass
    `entitlements` when they are already resolved for `at`."""
    if entitlements is None:
        entitlements = license_entitlements(license=license, at=at)
    return entitlements.machine_limit(license.seats)


def license_status_at(license: License, at: datetime) -> str:
    """The license's status at `at` by the clock, as validate says it (answer.status_at):
    a usable license past its term and renewal grace is expired, whatever is stored."""
    ends_at = valid_until(renews_on=license.renews_on, grace_until=license.grace_until)
    return status_at(license.status, valid_until=ends_at, at=at)


@transaction.atomic
def machine_activate(
    *, license: License, fingerprint: str, name: str = "", actor: Actor, at=None
) -> tuple[Machine, bool]:
    """(machine, created). Activating an active machine again changes nothing."""
    at = at or clock.now()
    license = license_lock(license)
    existing = license.machines.active().filter(fingerprint=fingerprint)
    if existing.exists():
        return existing.get(), False
    # By the clock, as validate answers: past its term and grace it is expired, whether
    # or not the job that closes it has run.
    status = license_status_at(license, at)
    if status not in USABLE_STATUSES:
        raise ValidationError(f"The license is {LicenseStatus(status).label.lower()}.")
    limit = machine_limit(license, at)
    active = license.machines.active().count()
    if limit is not None and active >= limit:
        raise ValidationError(f"All {limit} machine activations are in use; deactivate one first.")
    machine = Machine(license=license, fingerprint=fingerprint, name=name, activated_at=at)
    machine.full_clean()
    machine.save()
    license_record(
        license,
        kind=EventKind.MACHINE_ACTIVATED,
        actor=actor,
        reason="Machine activated.",
        before={"machines": active},
        after={"machines": active + 1, "name": name},
        at=at,
    )
    return machine, True


@transaction.atomic
def machine_deactivate(*, license: License, fingerprint: str, actor: Actor, at=None) -> Machine:
    at = at or clock.now()
    license = license_lock(license)
    machine = license.machines.active().filter(fingerprint=fingerprint).first()
    if machine is None:
        raise ValidationError("No active machine has that fingerprint.")
    active = license.machines.active().count()
    machine.deactivated_at = at
    machine.save(update_fields=["deactivated_at"])
    license_record(
        license,
        kind=EventKind.MACHINE_DEACTIVATED,
        actor=actor,
        reason="Machine deactivated.",
        before={"machines": active},
        after={"machines": active - 1, "name": machine.name},
        at=at,
    )
    return machine


# --- License files --------------------------------------------------------------------


def license_file_payload(*, license: License, at: datetime) -> dict:
    """What a license file says at `at`. `tier` and `version` are the license's own plan;
    while a trial is in force on a license that may be used (usable_trial), `trial` names
    its tier, version and end, and the entitlements are the plan's and the trial's, those
    the trial adds or raises marked as ending then (`feature_until`, a limit's `until`
    with the plan's own value as `then`): a file read offline falls back by itself.
    `status` is the license's status by the clock, as the API says it (license_status_at),
    and the entitlements are what the API grants then (usable_entitlements): none once it
    is suspended, canceled or expired."""
    status = license_status_at(license, at)
    return _payload(
        license,
        status=status,
        entitlements=usable_entitlements(license=license, status=status, at=at),
        trial=usable_trial(license=license, status=status, at=at),
        addons=license.addon_rows.select_related("addon"),
    )


def license_file_payloads(*, licenses: list[License], at: datetime) -> dict[int, dict]:
    """license_file_payload of many licenses in as many queries for all of them:
    license id -> what its file says at `at`, the same answer for each."""
    statuses = {license.pk: license_status_at(license, at) for license in licenses}
    usable = [license for license in licenses if statuses[license.pk] in USABLE_STATUSES]
    entitlements = licenses_entitlements(licenses=usable, at=at)
    trials = trials_in_force(license_ids=[license.pk for license in usable], at=at)
    addons: dict[int, list[LicenseAddon]] = {license.pk: [] for license in licenses}
    for row in LicenseAddon.objects.filter(license__in=licenses).select_related("addon"):
        addons[row.license_id].append(row)
    return {
        license.pk: _payload(
            license,
            status=statuses[license.pk],
            entitlements=entitlements.get(license.pk, Entitlements()),
            trial=trials.get(license.pk),
            addons=addons[license.pk],
        )
        for license in licenses
    }


def _payload(license: License, *, status: str, entitlements, trial, addons) -> dict:
    version = license.version
    grace_until = license.grace_until
    return {
        "format": signing.FORMAT,
        "license": license.pk,
        "key_prefix": license.key_prefix,
        "organization": {"slug": license.organization.slug, "name": license.organization.name},
        "product": {"slug": license.product.slug, "name": license.product.name},
        "tier": {"slug": version.tier.slug, "name": version.tier.name},
        "version": version.number,
        "legacy": version.status == VersionStatus.RETIRED,
        "status": status,
        "seats": license.seats,
        "addons": {row.addon.key: row.quantity for row in addons},
        "entitlements": entitlements.for_seats_bought(license.seats).as_data(),
        "term_start": license.term_start.isoformat(),
        "expires_on": license.term_end.isoformat(),
        # The last day it stays usable past expires_on while its renewal has not run.
        "grace_until": grace_until.isoformat() if grace_until else None,
    } | ({"trial": trial_data(trial)} if trial else {})


def license_file_issue(*, license: License, at: datetime) -> LicenseFile | None:
    """Sign a new file if what it would say differs from the latest one."""
    payload = license_file_payload(license=license, at=at)
    digest = hashlib.sha256(signing.canonical_json(payload)).hexdigest()
    latest = license_latest_file(license)
    if latest is not None and latest.content_digest == digest:
        return None
    file = _signed_file(license, payload, at=at, digest=digest)
    file.save()
    return file


def _signed_file(
    license: License, payload: dict, *, at: datetime, digest: str | None = None
) -> LicenseFile:
    """The signed file saying `payload`, unsaved."""
    if digest is None:
        digest = hashlib.sha256(signing.canonical_json(payload)).hexdigest()
    file = LicenseFile(
        license=license,
        revision=license.revision,
        content_digest=digest,
        key_id=signing.key_id(),
        issued_at=at,
        expires_on=license.term_end,
    )
    payload = payload | {
        "serial": str(file.serial),
        "issued_at": at.isoformat(),
        "key_id": file.key_id,
    }
    file.body = signing.sign(payload)
    return file


def license_latest_file(license: License) -> LicenseFile | None:
    return license.files.order_by("-issued_at", "-pk").first()


def licenses_open(organization) -> list[License]:
    return list(
        License.objects.filter(organization=organization)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("product", "version", "version__tier", "version__successor__tier")
    )


def licenses_closed_since(organization, *, since: date) -> list[License]:
    """The latest closed (expired or canceled) license of each product that has no open
    one, whose term ended on or after `since`: still readable (its data retention), the
    latest first."""
    open_products = (
        License.objects.filter(organization=organization)
        .exclude(status__in=CLOSED_STATUSES)
        .values("product_id")
    )
    closed = (
        License.objects.filter(
            organization=organization, status__in=CLOSED_STATUSES, term_end__gte=since
        )
        .exclude(product_id__in=open_products)
        .select_related("product", "version", "version__tier", "version__successor__tier")
        .order_by("-term_end", "-pk")
    )
    latest: dict[int, License] = {}
    for license in closed:
        latest.setdefault(license.product_id, license)
    return list(latest.values())


def license_closing_event(license: License) -> LicenseEvent | None:
    """The ledger row that closed the license: when it ended and why."""
    return (
        license.events.filter(after__status=license.status).order_by("-happened_at", "-pk").first()
    )
