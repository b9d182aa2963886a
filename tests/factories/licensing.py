"""Catalog factories. `build_tier` makes a tier with a complete draft (or published)
version in every enabled currency, so each test states only what it cares about."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from billing.pricing import BillingCycle
from licensing.catalog.publishing import tier_version_publish
from licensing.licenses.services import Actor, license_create
from licensing.models import (
    Currency,
    Feature,
    FeatureCategory,
    License,
    LimitMetric,
    Product,
    Tier,
    TierVersion,
    TierVersionFeature,
    TierVersionLimit,
    TierVersionPrice,
)
from tests.factories.portal import OrganizationFactory


class CurrencyFactory(DjangoModelFactory):
    class Meta:
        model = Currency
        django_get_or_create = ["code"]

    code = "USD"
    name = factory.LazyAttribute(lambda o: o.code)
    enabled = True


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


class FeatureFactory(DjangoModelFactory):
    class Meta:
        model = Feature

    product = factory.SubFactory(ProductFactory)
    key = factory.Sequence(lambda n: f"feature-{n}")
    name = factory.Sequence(lambda n: f"Feature {n}")
    category = FeatureCategory.CORE
    outcome = "Gets something done."
    order = factory.Sequence(int)


class LimitMetricFactory(DjangoModelFactory):
    class Meta:
        model = LimitMetric

    product = factory.SubFactory(ProductFactory)
    key = factory.Sequence(lambda n: f"metric-{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    unit = "things"
    order = factory.Sequence(int)


class TierFactory(DjangoModelFactory):
    class Meta:
        model = Tier

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Tier {n}")
    slug = factory.Sequence(lambda n: f"tier-{n}")
    order = factory.Sequence(int)
    tagline = "For teams that want results."


def build_draft(
    tier: Tier,
    *,
    features: list[Feature] = (),
    limits: dict[LimitMetric, int | None] | None = None,
    monthly: str = "10.00",
    annual: str = "100.00",
    reason: str = "Because.",
    per_seat_from: int | None = None,
    **fields,
) -> TierVersion:
    """A complete draft: priced in every enabled currency (flat, or per seat from
    `per_seat_from` seats), every metric of the product set (unlimited unless `limits`
    says otherwise)."""
    version = TierVersion.objects.create(
        tier=tier,
        support_level=fields.pop("support_level", "Standard"),
        support_response_hours=fields.pop("support_response_hours", 24),
        support_channels=fields.pop("support_channels", "Email"),
        changelog_note=reason,
        **fields,
    )
    for feature in features:
        TierVersionFeature.objects.create(version=version, feature=feature)
    values = {metric: None for metric in LimitMetric.objects.filter(product=tier.product)}
    values.update(limits or {})
    for metric, value in values.items():
        TierVersionLimit.objects.create(version=version, metric=metric, value=value)
    for currency in Currency.objects.filter(enabled=True):
        for cycle, amount in ((BillingCycle.MONTHLY, monthly), (BillingCycle.ANNUAL, annual)):
            TierVersionPrice.objects.create(
                version=version,
                currency=currency,
                cycle=cycle,
                amount=Decimal(amount),
                per_seat=per_seat_from is not None,
                min_seats=per_seat_from or 1,
            )
    return version


def build_published(tier: Tier, **kwargs) -> TierVersion:
    return tier_version_publish(version=build_draft(tier, **kwargs))


class LicenseFactory(factory.Factory):
    """A license made the way the product makes one, through the licensing service (so it
    has its key, its ledger entry and its signed file): LicenseFactory(organization=…,
    version=…, seats=5). The plain key is on `license.issued_key`, shown only once."""

    class Meta:
        model = License

    organization = factory.SubFactory(OrganizationFactory)
    seats = 5
    term_start = date(2026, 1, 1)
    term_end = date(2026, 12, 31)
    reason = "Bought in the test."

    @classmethod
    def _create(cls, model_class, *, version, **kwargs):
        issued = license_create(version=version, actor=Actor(label="test setup"), **kwargs)
        issued.license.issued_key = issued.key
        return issued.license
