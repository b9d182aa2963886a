"""Reads the ROI calculator needs: the public tiers with their calculator defaults, and
what we know of an organization (seats, current tier, recent usage)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.money import Money
from billing.roi import TierInput
from licensing.selectors import enabled_currencies, public_versions, version_snapshot
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
    metric_names: dict[str, str]
    prices: dict[tuple[str, str], Money]

    def input(self, *, currency: str, cycle: str, hours: Decimal, errors: Decimal) -> TierInput:
        return TierInput(
            slug=self.slug,
            name=self.name,
            price=self.prices.get((currency, cycle)),
            hours_saved_per_person_week=hours,
            errors_avoided_per_year=errors,
            limits=self.limits,
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
                metric_names={limit.key: limit.name for limit in snapshot.limits},
                prices=snapshot.prices,
            )
        )
    return RoiCatalog(tiers=tiers, currencies=enabled_currencies())


@dataclass(frozen=True)
class OrganizationFacts:
    """What the calculator pre-fills for a signed-in customer. `current_tier` stays None
    until organizations hold licenses; `usage_peaks` stays empty until usage is metered."""

    organization: Organization
    seats: int
    current_tier: str | None
    usage_peaks: dict[str, int]


def recent_usage_peaks(organization: Organization) -> dict[str, int]:
    """Each metric's peak over the organization's last billing periods. The plug for
    metered usage: nothing is metered yet, so there is nothing to report, and the
    calculator says so rather than guess."""
    return {}


def organization_facts(organization: Organization) -> OrganizationFacts:
    return OrganizationFacts(
        organization=organization,
        seats=organization.memberships.count(),
        current_tier=None,
        usage_peaks=recent_usage_peaks(organization),
    )
