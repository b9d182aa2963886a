"""Writes to the catalog. A tier changes by drafting a new version, checking it is
complete, and publishing it: the previous version is retired with notice, customers on
it keep it, and the changelog records what changed (computed) and why (the admin's note).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.pricing import BillingCycle
from licensing.catalog.cache import catalog_changed
from licensing.catalog.diff import describe_changes
from licensing.catalog.selectors import version_snapshot, versions_with_parts
from licensing.models import (
    ChangeKind,
    ChangelogEntry,
    Currency,
    LimitMetric,
    PolicySection,
    PolicyStatus,
    PolicyVersion,
    Tier,
    TierVersion,
    TierVersionFeature,
    TierVersionLimit,
    TierVersionPrice,
    VersionStatus,
    seat_limit,
)

# How long customers on a replaced version are guaranteed it before being asked to move.
DEFAULT_NOTICE_DAYS = 90


def _lock_tier(tier: Tier) -> Tier:
    # Publishing, retiring and drafting a tier serialise on its row: two admins cannot
    # both publish and leave two published versions (the constraint would also refuse).
    return Tier.objects.select_for_update().get(pk=tier.pk)


@transaction.atomic
def tier_version_create_draft(*, tier: Tier, source: TierVersion | None = None) -> TierVersion:
    """A new draft of `tier`, copied from `source` (a version of the same tier) so editing
    a published version starts from what it says."""
    tier = _lock_tier(tier)
    if TierVersion.objects.filter(tier=tier, status=VersionStatus.DRAFT).exists():
        raise ValidationError(f"{tier} already has a draft. Edit or delete it first.")
    if source is not None and source.tier_id != tier.pk:
        raise ValidationError("A draft can only be copied from a version of the same tier.")
    latest = TierVersion.objects.filter(tier=tier).order_by("-number").first()
    draft = TierVersion(
        tier=tier,
        number=(latest.number if latest else 0) + 1,
        support_level=source.support_level if source else "Standard",
        support_response_hours=source.support_response_hours if source else 24,
        support_channels=source.support_channels if source else "Email",
        named_account_manager=source.named_account_manager if source else False,
        training=source.training if source else "",
        roi_hours_saved_per_person_week=source.roi_hours_saved_per_person_week if source else 0,
        roi_errors_avoided_per_year=source.roi_errors_avoided_per_year if source else 0,
    )
    draft.full_clean()
    draft.save()
    if source is not None:
        TierVersionFeature.objects.bulk_create(
            TierVersionFeature(version=draft, feature_id=row.feature_id)
            for row in source.feature_rows.all()
        )
        TierVersionLimit.objects.bulk_create(
            TierVersionLimit(
                version=draft,
                metric_id=row.metric_id,
                value=row.value,
                warning_thresholds=row.warning_thresholds,
                grace_percent=row.grace_percent,
            )
            for row in source.limit_rows.all()
        )
        TierVersionPrice.objects.bulk_create(
            TierVersionPrice(
                version=draft,
                currency_id=row.currency_id,
                cycle=row.cycle,
                amount=row.amount,
                per_seat=row.per_seat,
                min_seats=row.min_seats,
            )
            for row in source.price_rows.all()
        )
    return draft


def tier_version_problems(version: TierVersion) -> list[str]:
    """Why `version` cannot be published yet; empty when it can."""
    problems = []
    tier = version.tier
    if not version.changelog_note.strip():
        problems.append("Write the reason for this version; it is published in the changelog.")
    if not version.feature_rows.exists():
        problems.append("Include at least one feature.")
    limits = {row.metric_id for row in version.limit_rows.all()}
    missing_limits = LimitMetric.objects.filter(product_id=tier.product_id).exclude(pk__in=limits)
    problems += [
        f"Set the {metric.name} limit (leave the value blank for unlimited)."
        for metric in missing_limits
    ]
    rows = list(version.price_rows.all())
    prices = {(row.currency_id, row.cycle): row.amount for row in rows}
    problems += _seat_price_problems(version, rows)
    if tier.is_public:
        for currency in Currency.objects.filter(enabled=True):
            for cycle, label in BillingCycle.choices:
                if (currency.code, cycle) not in prices:
                    problems.append(f"Add the {label.lower()} price in {currency.code}.")
    for (currency, cycle), amount in sorted(prices.items()):
        monthly = prices.get((currency, BillingCycle.MONTHLY))
        if cycle == BillingCycle.ANNUAL and monthly is not None and amount > monthly * 12:
            problems.append(
                f"The annual price in {currency} is more than twelve monthly payments; "
                "paying yearly must never cost more."
            )
    return problems


def _seat_price_problems(version: TierVersion, rows: list[TierVersionPrice]) -> list[str]:
    """A per-seat minimum within the tier's seat limit, and one way of charging per
    currency, so the monthly and annual prices compare like for like."""
    problems = []
    limit = seat_limit(version)
    for row in rows:
        if row.per_seat and limit is not None and row.min_seats > limit:
            problems.append(
                f"The {row.get_cycle_display().lower()} price in {row.currency_id} starts at "
                f"{row.min_seats} seats, more than the tier's {limit}."
            )
    for currency in sorted({row.currency_id for row in rows}):
        kinds = {(row.per_seat, row.min_seats) for row in rows if row.currency_id == currency}
        if len(kinds) > 1:
            problems.append(
                f"Charge the monthly and annual prices in {currency} the same way: both per "
                "seat from the same minimum, or both flat."
            )
    return problems


def _record(entry: ChangelogEntry) -> ChangelogEntry:
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def tier_version_publish(
    *,
    version: TierVersion,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    at: datetime | None = None,
) -> TierVersion:
    """Freeze `version`, retire the tier's previous published version with notice and
    `version` as its successor, and write the changelog entry."""
    at = at or timezone.now()
    _lock_tier(version.tier)
    version = versions_with_parts().select_for_update(of=("self",)).get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(f"{version} is not a draft; only drafts can be published.")
    problems = tier_version_problems(version)
    if problems:
        raise ValidationError(problems)
    if notice_days < 0:
        raise ValidationError("The notice period cannot be negative.")
    previous = (
        versions_with_parts()
        .filter(tier_id=version.tier_id, status=VersionStatus.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.status = VersionStatus.RETIRED
        previous.retired_at = at
        previous.notice_date = (at + timedelta(days=notice_days)).date()
        previous.successor = version
        previous.save(update_fields=["status", "retired_at", "notice_date", "successor"])
    version.status = VersionStatus.PUBLISHED
    version.published_at = at
    version.save(update_fields=["status", "published_at"])
    _record(
        ChangelogEntry(
            version=version,
            previous=previous,
            kind=ChangeKind.PUBLISHED,
            happened_at=at,
            changes=describe_changes(
                version_snapshot(previous) if previous else None, version_snapshot(version)
            ),
            reason=version.changelog_note,
        )
    )
    catalog_changed()
    return version


@transaction.atomic
def tier_version_retire(
    *,
    version: TierVersion,
    successor: TierVersion,
    notice_date: date,
    reason: str,
    at: datetime | None = None,
) -> TierVersion:
    """Withdraw a published version without a new version of its own tier (the tier is
    being discontinued): customers on it keep it until `notice_date`, and `successor`
    is the migration path offered to them."""
    at = at or timezone.now()
    _lock_tier(version.tier)
    version = TierVersion.objects.select_for_update().select_related("tier").get(pk=version.pk)
    if version.status != VersionStatus.PUBLISHED:
        raise ValidationError(f"{version} is not published; only published versions retire.")
    if successor.status != VersionStatus.PUBLISHED or not successor.tier.is_public:
        raise ValidationError("The suggested successor must be a published, public version.")
    if successor.tier_id == version.tier_id:
        raise ValidationError("The successor must be another tier; publish a new version instead.")
    if notice_date < at.date():
        raise ValidationError("The notice date cannot be in the past.")
    if not reason.strip():
        raise ValidationError("Give the reason; it is published in the changelog.")
    version.status = VersionStatus.RETIRED
    version.retired_at = at
    version.notice_date = notice_date
    version.successor = successor
    version.save(update_fields=["status", "retired_at", "notice_date", "successor"])
    _record(
        ChangelogEntry(
            version=version,
            kind=ChangeKind.RETIRED,
            happened_at=at,
            changes=[
                f"{version.tier.name} v{version.number} is retired. Customers on it keep it "
                f"until at least {notice_date:%d %B %Y}; the suggested move is "
                f"{successor.tier.name}."
            ],
            reason=reason.strip(),
        )
    )
    catalog_changed()
    return version


@transaction.atomic
def policy_version_create_draft(*, source: PolicyVersion | None = None) -> PolicyVersion:
    if PolicyVersion.objects.select_for_update().filter(status=PolicyStatus.DRAFT).exists():
        raise ValidationError("There is already a policy draft. Edit or delete it first.")
    draft = PolicyVersion(
        title=source.title if source else "Upgrade and downgrade policy",
        summary=source.summary if source else "",
        effective_date=timezone.localdate(),
    )
    draft.full_clean()
    draft.save()
    if source is not None:
        PolicySection.objects.bulk_create(
            PolicySection(policy=draft, order=s.order, heading=s.heading, body=s.body)
            for s in source.sections.all()
        )
    return draft


@transaction.atomic
def policy_version_publish(*, policy: PolicyVersion, at: datetime | None = None) -> PolicyVersion:
    at = at or timezone.now()
    policy = PolicyVersion.objects.select_for_update().get(pk=policy.pk)
    if policy.status != PolicyStatus.DRAFT:
        raise ValidationError(f"{policy} is already published.")
    if not policy.sections.exists():
        raise ValidationError("A policy needs at least one section before it is published.")
    if policy.effective_date < at.date():
        raise ValidationError(
            "The effective date cannot be in the past: customers must be able to read a "
            "policy before it applies."
        )
    policy.status = PolicyStatus.PUBLISHED
    policy.published_at = at
    policy.save(update_fields=["status", "published_at"])
    return policy
