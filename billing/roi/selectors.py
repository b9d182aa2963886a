"""Reads the ROI calculator needs: the public tiers with their calculator defaults, and
what we know of an organization (its license, seats, current tier, recent usage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from billing.models import Subscription
from billing.pricing import SeatPrice
from billing.roi.calculator import MetricUsage, TierInput
from licensing.catalog.selectors import enabled_currencies, public_versions, version_snapshot
from licensing.licenses.services import licenses_open
from licensing.models import License
from licensing.usage import meters
from licensing.usage.services import license_meters
from portal import clock
from portal.models import Organization


@dataclass(frozen=True)
class CatalogTier:
    """A public tier's published version, as the calculator form and results need it."""

    slug: str
    name: str
    product_slug: str
    product_name: str
    hours_saved_per_person_week: Decimal
    errors_avoided_per_year: Decimal
    limits: dict[str, int | None]
    prices: dict[tuple[str, str], SeatPrice]

    def input(
        self, *, currency: str, cycle: str, hours: Decimal, errors: Decimal, team_size: int
    ) -> TierInput:
        """A per-seat price costs the whole team, and at least its minimum seats."""
        price = self.prices.get((currency, cycle))
        return TierInput(
            slug=self.slug,
            name=self.name,
            price=price.for_seats(team_size) if price else None,
            hours_saved_per_person_week=hours,
            errors_avoided_per_year=errors,
            limits=self.limits,
            price_text=price.describe() if price else "",
        )


@dataclass(frozen=True)
class RoiCatalog:
    tiers: list[CatalogTier]
    currencies: list[str]

    @property
    def products(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for tier in self.tiers:
            seen.setdefault(tier.product_slug, tier.product_name)
        return list(seen.items())

    def tiers_of(self, product_slug: str) -> list[CatalogTier]:
        return [tier for tier in self.tiers if tier.product_slug == product_slug]


def roi_catalog() -> RoiCatalog:
    tiers = []
    for version in public_versions():
        snapshot = version_snapshot(version)
        tiers.append(
            CatalogTier(
                slug=version.tier.slug,
                name=version.tier.name,
                product_slug=version.tier.product.slug,
                product_name=version.tier.product.name,
                hours_saved_per_person_week=version.roi_hours_saved_per_person_week,
                errors_avoided_per_year=version.roi_errors_avoided_per_year,
                limits={limit.key: limit.value for limit in snapshot.limits},
                prices=snapshot.prices,
            )
        )
    return RoiCatalog(tiers=tiers, currencies=enabled_currencies())


@dataclass(frozen=True)
class OrganizationFacts:
    """What the calculator knows of a signed-in customer's organization, for one product:
    its open license (if any), the seats to start from, the currencies the license is
    priced in, and its usage over the last completed periods (empty when the license's
    software has reported nothing for them)."""

    organization: Organization
    license: License | None
    seats: int
    member_count: int
    price_currencies: list[str]
    usage: list[MetricUsage]
    usage_periods: list[date]
    # How the organization pays for it today (its subscription's cycle), "" without one.
    cycle: str = ""

    @property
    def product_slug(self) -> str | None:
        return self.license.product.slug if self.license else None

    @property
    def current_tier_slug(self) -> str | None:
        return self.license.version.tier.slug if self.license else None

    @property
    def is_legacy(self) -> bool:
        return self.license is not None and self.license.is_grandfathered

    def currency(self, preferred: str, enabled: list[str]) -> str:
        """The visitor's currency if their license is priced in it, else the first
        currency it is priced in that we still sell in, else the visitor's."""
        offered = [code for code in self.price_currencies if code in enabled]
        return preferred if preferred in offered or not offered else offered[0]


def recent_usage(license: License, at: datetime) -> tuple[list[MetricUsage], list[date]]:
    """Each metric's figures over the license's last completed periods (the window the
    upgrade-suggestion rule looks at), with today's effective limit. Metrics with no
    usage at all in the window are left out: there is nothing to compare."""
    completed = meters.completed_periods(meters.period_of(at), meters.SUSTAINED_WINDOW)
    usage = []
    for meter in license_meters(license=license, at=at):
        figures = tuple(value for period, value in meter.history if period in completed)
        if any(figures):
            metric = meter.grant.metric
            usage.append(
                MetricUsage(metric.key, metric.name, metric.unit, figures, meter.grant.value)
            )
    return usage, completed


def organization_facts(
    organization: Organization, *, product_slug: str | None = None, at: datetime | None = None
) -> OrganizationFacts:
    """The organization's open license for `product_slug` (or its first open license
    when no product is named) and what follows from it. Callers pass an organization the
    user is a member of; nothing here checks access."""
    at = at or clock.now()
    licenses = licenses_open(organization)
    if product_slug:
        licenses = [license for license in licenses if license.product.slug == product_slug]
    license = licenses[0] if licenses else None
    member_count = organization.memberships.count()
    if license is None:
        return OrganizationFacts(organization, None, member_count, member_count, [], [], [])
    usage, periods = recent_usage(license, at)
    subscription = Subscription.objects.filter(license=license).only("currency", "cycle").first()
    if subscription is not None:  # what it pays in, not every currency its version has
        currencies = [subscription.currency_id]
    else:
        currencies = list(
            license.version.price_rows.order_by("currency__order")
            .values_list("currency", flat=True)
            .distinct()
        )
    return OrganizationFacts(
        organization=organization,
        license=license,
        seats=license.seats,
        member_count=member_count,
        price_currencies=currencies,
        usage=usage,
        usage_periods=periods,
        cycle=subscription.cycle if subscription is not None else "",
    )
