"""Writes to the catalog. A tier changes by drafting a new version, checking it is
complete, and publishing it: the previous version is retired with notice, customers on
it keep it, and the changelog records what changed (computed) and why (the admin's note).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from licensing.catalog import readiness
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
from portal import clock

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
        number=readiness.next_number(latest.number if latest else None),
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
    tier = version.tier
    limits = {row.metric_id for row in version.limit_rows.all()}
    return readiness.version_problems(
        note=version.changelog_note,
        has_features=version.feature_rows.exists(),
        limits_missing=[
            metric.name
            for metric in LimitMetric.objects.filter(product_id=tier.product_id).exclude(
                pk__in=limits
            )
        ],
        prices=[
            readiness.PriceRow(row.currency_id, row.cycle, row.amount, row.per_seat, row.min_seats)
            for row in version.price_rows.all()
        ],
        seat_limit=seat_limit(version),
        public=tier.is_public,
        currencies=list(Currency.objects.filter(enabled=True).values_list("code", flat=True)),
    )


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
    at = at or clock.now()
    _lock_tier(version.tier)
    version = versions_with_parts().select_for_update(of=("self",)).get(pk=version.pk)
    refusal = readiness.draft_refusal(status=version.status, name=str(version))
    if refusal:
        raise ValidationError(refusal)
    problems = tier_version_problems(version)
    if problems:
        raise ValidationError(problems)
    refusal = readiness.notice_refusal(notice_days)
    if refusal:
        raise ValidationError(refusal)
    previous = (
        versions_with_parts()
        .filter(tier_id=version.tier_id, status=VersionStatus.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.status = VersionStatus.RETIRED
        previous.retired_at = at
        previous.notice_date = readiness.notice_date(at, notice_days)
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
    at = at or clock.now()
    _lock_tier(version.tier)
    version = TierVersion.objects.select_for_update().select_related("tier").get(pk=version.pk)
    refusal = readiness.retire_refusal(
        status=version.status,
        name=str(version),
        successor_status=successor.status,
        successor_public=successor.tier.is_public,
        same_tier=successor.tier_id == version.tier_id,
        notice_date=notice_date,
        at=at,
        reason=reason,
    )
    if refusal:
        raise ValidationError(refusal)
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
        effective_date=clock.today(),
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
    at = at or clock.now()
    policy = PolicyVersion.objects.select_for_update().get(pk=policy.pk)
    refusal = readiness.policy_publish_refusal(
        status=policy.status,
        name=str(policy),
        has_sections=policy.sections.exists(),
        effective_date=policy.effective_date,
        at=at,
    )
    if refusal:
        raise ValidationError(refusal)
    policy.status = PolicyStatus.PUBLISHED
    policy.published_at = at
    policy.save(update_fields=["status", "published_at"])
    return policy
