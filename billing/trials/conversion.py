"""Converting a trial at checkout (PRODUCT.md rule 6; issue 19, item 4).

There is no separate "buy the trial" flow: a trial converts through the ordinary
checkout (billing.checkout.services), which asks this module three things.

- Which trial a checkout would convert: the running trial on the checkout's license,
  when the change makes the trial's tier, or a tier above it (Tier.order), the plan from
  today. A paying customer's upgrade is priced as any upgrade, prorated from the day of
  conversion; the trial days were never billed, so they stay free. A trial license
  (status trialing, no subscription) converts by a purchase on that license, whatever
  tier it picks; bought below the trial's tier, the preview lists what the trial gave
  that the tier bought will not (`trial_excesses`). A change of a paid plan below the
  trial's tier (a downgrade, more seats) leaves the trial running; a trial that ended
  or reverted is never touched.
- The trial's row lock, taken right after its license's (billing.locks' order), so the
  confirmation reads the trial as it stays until it commits: two confirmations of one
  conversion queue on the license, and the second finds its checkout confirmed (or its
  preview stale) and converts nothing.
- The purchase on a trial license: the license keeps its key and its id (the customer's
  software has them), starts its first term today on what was bought, turns active, and
  gets its subscription; the checkout invoices the term.

The trial is closed by licensing.trials.services (trial_close_converted; on a trial
license, trial_license_buy, which makes the purchase and the closing one change of the
license), inside the checkout's transaction and its ledger recording.
"""

from __future__ import annotations

import copy
from datetime import datetime

from billing.subscriptions.services import subscription_create
from licensing.licenses import services as licenses
from licensing.licenses.downgrade import ContinuityCheck, Usage, find_excesses
from licensing.licenses.entitlements import license_entitlements
from licensing.models import (
    License,
    LicenseStatus,
    Tier,
    TierVersion,
    Trial,
    TrialStatus,
    VersionStatus,
)
from licensing.trials import services as trials
from licensing.usage.services import license_meters


def is_trial_license(license: License | None) -> bool:
    """A license a trial started (status trialing) that nothing pays for yet: bought by a
    purchase on the license itself, never by a second license."""
    if license is None or license.status != LicenseStatus.TRIALING:
        return False
    # Read with the license where the caller did (the checkout page's query): no query.
    return not hasattr(license, "subscription")


def running_trial(license: License | None) -> Trial | None:
    """The trial running on `license` (at most one), with its tier and version."""
    if license is None:
        return None
    return (
        Trial.objects.select_related("tier", "version")
        .filter(license_id=license.pk, status=TrialStatus.RUNNING)
        .first()
    )


def lock_running_trial(license_id: int) -> Trial | None:
    """The running trial's row, locked: right after its license (billing.locks)."""
    return (
        Trial.objects.select_for_update(of=("self",))
        .select_related("tier", "version")
        .filter(license_id=license_id, status=TrialStatus.RUNNING)
        .first()
    )


def trial_version(trial: Trial) -> TierVersion | None:
    """The version a conversion of `trial` buys when it keeps the trial's tier: the
    trial's own version while it is still published (None: the tier's current one)."""
    return trial.version if trial.version.status == VersionStatus.PUBLISHED else None


def converts(trial: Trial | None, *, tier_now: str, rank_now: int, tier_before: str | None) -> bool:
    """Whether a change that puts the license on `tier_now` (of Tier.order `rank_now`)
    from today (from `tier_before`; None: a purchase on a trial license) converts
    `trial`: any purchase on a trial license does; a change of a paid plan does when it
    moves, now, to the trial's tier or one above it."""
    if trial is None or trial.status != TrialStatus.RUNNING:
        return False
    if tier_before is None:
        return True
    return tier_before != tier_now and rank_now >= trial.tier.order


def trial_excesses(
    *, license: License, version: TierVersion, seats: int, at: datetime
) -> ContinuityCheck:
    """What the running trial on `license` gives today that `version` with `seats`
    seats will not (the downgrade flow's check, licensing.licenses.downgrade): what
    exceeds is kept, read-only, once the trial closes."""
    current = license_entitlements(license=license, at=at)
    moved = copy.copy(license)
    moved.version = version
    return find_excesses(
        current=current,
        # What is bought, without the trial the resolver lends while it runs.
        target=license_entitlements(license=moved, at=at, with_trial=False),
        seats=seats,
        active_machines=license.machines.active().count(),
        usage=[
            Usage(meter.grant.metric, meter.state.used)
            for meter in license_meters(license=license, at=at, entitlements=current)
        ],
    )


def trial_license_buy(
    *,
    trial: Trial,
    version: TierVersion,
    seats: int,
    currency: str,
    cycle: str,
    term_cycles: int,
    term_start,
    term_end,
    actor: licenses.Actor,
    reason: str,
    at: datetime,
) -> License:
    """Buy `trial`'s license, a trial license, as quoted, closing the trial as converted:
    one change of the license (licensing.trials.services.trial_license_buy: its first
    term from `term_start`, the version and seats bought, active, renewing; one ledger
    entry, one license file), then its subscription. Its key stays the one its software
    uses. Runs inside the checkout's transaction, the license locked."""
    trial = trials.trial_license_buy(
        trial=trial,
        version=version,
        seats=seats,
        term_start=term_start,
        term_end=term_end,
        actor=actor,
        at=at,
    )
    subscription_create(
        license=trial.license,
        currency=currency,
        cycle=cycle,
        term_cycles=term_cycles,
        actor=actor,
        reason=reason,
        at=at,
    )
    return trial.license


def trial_convert(*, trial: Trial, bought: Tier, actor: licenses.Actor, at: datetime) -> Trial:
    """Close `trial` as converted by a purchase of `bought` (its row locked by the
    caller, after its license)."""
    return trials.trial_close_converted(trial=trial, at=at, actor=actor, bought=bought)


def converted_heading(trial: Trial, license: License) -> str:
    """The confirmation page's heading for a checkout that converted `trial`: the tier
    bought named when it is not the trial's."""
    bought = license.version.tier
    if bought.pk == trial.tier_id:
        return f"Your {trial.tier.name} trial is converted"
    return f"Your {trial.tier.name} trial ends: you bought {bought.name}"


def converted_by(license: License | None, at: datetime | None) -> Trial | None:
    """The trial a checkout confirmed at `at` converted on `license`, if any (for its
    confirmation page)."""
    if license is None or at is None:
        return None
    return (
        Trial.objects.select_related("tier")
        .filter(license_id=license.pk, status=TrialStatus.CONVERTED, ended_at=at)
        .first()
    )
