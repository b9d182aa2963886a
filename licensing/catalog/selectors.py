"""Reads of the catalog that several pages share. Each one runs a fixed number of
queries however many tiers, features or prices there are."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from babel import Locale
from babel.numbers import format_percent
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from billing.pricing import (
    AnnualSaving,
    BillingCycle,
    SeatPrice,
    annual_saving,
    monthly_equivalent,
)
from licensing.catalog.diff import (
    FeatureSpec,
    LimitSpec,
    SupportSpec,
    VersionSnapshot,
    format_limit,
)
from licensing.catalog.standing import CurrentPlan, Move
from licensing.models import (
    ChangelogEntry,
    Currency,
    Feature,
    FeatureCategory,
    LimitMetric,
    PolicyStatus,
    PolicyVersion,
    ResetPeriod,
    TierVersion,
    TierVersionFeature,
    TierVersionLimit,
    VersionStatus,
)


def versions_with_parts() -> QuerySet[TierVersion]:
    return TierVersion.objects.select_related("tier", "tier__product").prefetch_related(
        Prefetch("feature_rows", TierVersionFeature.objects.select_related("feature")),
        Prefetch("limit_rows", TierVersionLimit.objects.select_related("metric")),
        "price_rows",
    )


def version_snapshot(version: TierVersion) -> VersionSnapshot:
    """Uses the rows prefetched by versions_with_parts() when they are there."""
    feature_rows = sorted(
        version.feature_rows.all(), key=lambda row: (row.feature.order, row.feature.name)
    )
    limit_rows = sorted(
        version.limit_rows.all(), key=lambda row: (row.metric.order, row.metric.name)
    )
    return VersionSnapshot(
        tier_name=version.tier.name,
        tier_slug=version.tier.slug,
        number=version.number,
        features=tuple(
            FeatureSpec(
                row.feature.key, row.feature.name, row.feature.category, row.feature.outcome
            )
            for row in feature_rows
        ),
        limits=tuple(
            LimitSpec(row.metric.key, row.metric.name, row.metric.unit, row.value)
            for row in limit_rows
        ),
        support=SupportSpec(
            level=version.support_level,
            response_hours=version.support_response_hours,
            channels=tuple(version.channels),
            named_account_manager=version.named_account_manager,
            training=version.training,
        ),
        prices={(row.currency_id, row.cycle): row.seat_price for row in version.price_rows.all()},
    )


def enabled_currencies() -> list[str]:
    return list(Currency.objects.filter(enabled=True).values_list("code", flat=True))


def public_versions(*, substitute: TierVersion | None = None) -> list[TierVersion]:
    """The published version of every public tier, in matrix order. `substitute` (a
    draft, for the admin's preview) takes the place of its tier's published version."""
    versions = list(
        versions_with_parts().filter(status=VersionStatus.PUBLISHED, tier__is_public=True)
    )
    if substitute is not None:
        draft = versions_with_parts().get(pk=substitute.pk)
        versions = [v for v in versions if v.tier_id != draft.tier_id] + [draft]
    versions.sort(key=lambda v: (v.tier.product.order, v.tier.product.name, v.tier.order))
    return versions


def public_version_for_slug(slug: str) -> TierVersion:
    version = (
        versions_with_parts()
        .filter(tier__slug=slug, tier__is_public=True, status=VersionStatus.PUBLISHED)
        .first()
    )
    if version is None:
        raise Http404("No public tier by that name.")
    return version


@dataclass
class TierColumn:
    version: TierVersion
    price: str | None
    per_month_billed_yearly: str | None
    monthly: str | None
    annual: str | None
    saving: AnnualSaving | None
    saving_text: str | None
    saving_percent_text: str | None
    # Per seat: " per seat" after each amount, and the fewest seats billed (with what
    # that costs a cycle) when more than one.
    per_seat: bool = False
    min_seats: int = 1
    minimum_cost: str | None = None
    # For a signed-in customer with a plan of the product: what this tier is to them.
    move: Move | None = None

    @property
    def unit(self) -> str:
        return " per seat" if self.per_seat else ""


@dataclass
class MatrixRow:
    label: str
    detail: str
    cells: list


@dataclass
class ProductMatrix:
    product: object
    columns: list[TierColumn]
    plan: CurrentPlan | None = None  # the signed-in customer's plan of the product
    limits: list[MatrixRow] = field(default_factory=list)
    feature_groups: list[tuple[str, list[MatrixRow]]] = field(default_factory=list)
    support: list[MatrixRow] = field(default_factory=list)


def _percent(percent: Decimal, locale: str) -> str:
    # The locale's own percent pattern (its spacing and sign), with one decimal place.
    pattern = Locale.parse(locale).percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
    return format_percent(percent / 100, format=pattern, locale=locale)


def _column(version: TierVersion, *, currency: str, cycle: str, locale: str) -> TierColumn:
    prices: dict[str, SeatPrice] = {
        row.cycle: row.seat_price for row in version.price_rows.all() if row.currency_id == currency
    }
    monthly, annual = prices.get(BillingCycle.MONTHLY), prices.get(BillingCycle.ANNUAL)
    # Per seat, the saving is one seat's: both prices are charged the same way
    # (publishing refuses a version whose monthly and annual prices differ in kind).
    saving = (
        annual_saving(monthly=monthly.amount, annual=annual.amount) if monthly and annual else None
    )
    shown = prices.get(cycle)
    per_seat = bool(shown and shown.per_seat)
    min_seats = shown.min_seats if per_seat else 1
    return TierColumn(
        version=version,
        price=shown.amount.format(locale) if shown else None,
        per_month_billed_yearly=(
            monthly_equivalent(annual.amount).format(locale) if annual else None
        ),
        monthly=monthly.describe(locale) if monthly else None,
        annual=annual.describe(locale) if annual else None,
        saving=saving,
        saving_text=saving.amount.format(locale) if saving else None,
        # The percent is already rounded (billing.pricing.round_percent); this only
        # writes it the visitor's way: 16.7% in English, 16,7 % in German.
        saving_percent_text=_percent(saving.percent, locale) if saving else None,
        per_seat=per_seat,
        min_seats=min_seats,
        minimum_cost=(
            shown.for_seats(min_seats).format(locale) if per_seat and min_seats > 1 else None
        ),
    )


def pricing_matrix(
    *, currency: str, cycle: str, locale: str, substitute: TierVersion | None = None
) -> list[ProductMatrix]:
    versions = public_versions(substitute=substitute)
    product_ids = {v.tier.product_id for v in versions}
    features_by_product = defaultdict(list)
    for feature in Feature.objects.filter(product_id__in=product_ids):
        features_by_product[feature.product_id].append(feature)
    metrics_by_product = defaultdict(list)
    for metric in LimitMetric.objects.filter(product_id__in=product_ids):
        metrics_by_product[metric.product_id].append(metric)

    matrices: dict[int, ProductMatrix] = {}
    for version in versions:
        product = version.tier.product
        matrix = matrices.setdefault(product.pk, ProductMatrix(product=product, columns=[]))
        matrix.columns.append(_column(version, currency=currency, cycle=cycle, locale=locale))

    for product_id, matrix in matrices.items():
        versions_here = [column.version for column in matrix.columns]
        included = [{row.feature_id for row in v.feature_rows.all()} for v in versions_here]
        limits = [{row.metric_id: row for row in v.limit_rows.all()} for v in versions_here]
        for metric in metrics_by_product[product_id]:
            cells = []
            for rows in limits:
                row = rows.get(metric.pk)
                cells.append(None if row is None else format_limit(row.value, metric.unit))
            # Only a limit that resets needs saying so; "does not reset" is noise.
            detail = (
                ""
                if metric.reset_period == ResetPeriod.NEVER
                else metric.get_reset_period_display()
            )
            matrix.limits.append(MatrixRow(metric.name, detail, cells))
        for category, label in FeatureCategory.choices:
            rows = [
                MatrixRow(feature.name, feature.outcome, [feature.pk in ids for ids in included])
                for feature in features_by_product[product_id]
                if feature.category == category and any(feature.pk in ids for ids in included)
            ]
            if rows:
                matrix.feature_groups.append((label, rows))
        supports = [version_snapshot(v).support.lines() for v in versions_here]
        if supports:
            matrix.support = [
                MatrixRow(aspect, "", [lines[aspect] for lines in supports])
                for aspect in supports[0]
            ]
    return list(matrices.values())


def changelog_entries(limit: int | None = None) -> QuerySet[ChangelogEntry]:
    entries = ChangelogEntry.objects.select_related(
        "version", "version__tier", "version__successor", "version__successor__tier", "previous"
    ).filter(version__tier__is_public=True)
    return entries[:limit] if limit else entries


def policy_in_effect(today) -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(status=PolicyStatus.PUBLISHED, effective_date__lte=today)
        .order_by("-effective_date", "-number")
        .prefetch_related("sections")
        .first()
    )
