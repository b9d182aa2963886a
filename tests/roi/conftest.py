"""A small catalog for the calculator: Starter (5 seats), Business (60 seats) and
Enterprise (unlimited), priced flat per tier, with ROI defaults chosen so the issue's
hand-worked case (50 people, 3 hours, $75, $60,000 a year) falls out of Business."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from licensing.models import LimitMetric, ResetPeriod, TierVersion
from tests.licensing.factories import (
    CurrencyFactory,
    FeatureFactory,
    LimitMetricFactory,
    ProductFactory,
    TierFactory,
    build_published,
)


@dataclass
class RoiCatalog:
    metrics: dict[str, LimitMetric]
    versions: dict[str, TierVersion]


@pytest.fixture
def roi_catalog(db):
    for order, code in enumerate(["USD", "EUR"]):
        CurrencyFactory(code=code, order=order)
    product = ProductFactory(name="Widget", slug="widget")
    metrics = {
        "seats": LimitMetricFactory(product=product, key="seats", name="Seats", unit="seats"),
        "api-calls": LimitMetricFactory(
            product=product,
            key="api-calls",
            name="API calls a month",
            unit="calls",
            reset_period=ResetPeriod.MONTHLY,
        ),
    }
    keys = FeatureFactory(product=product, key="keys", name="License keys")
    specs = [
        ("starter", "Starter", 5, 1_000, "29.00", "290.00", "1.00", "2"),
        ("business", "Business", 60, 100_000, "6000.00", "60000.00", "3.00", "0"),
        ("enterprise", "Enterprise", None, None, "12000.00", "120000.00", "3.00", "0"),
    ]
    versions = {}
    for order, (slug, name, seats, calls, monthly, annual, hours, errors) in enumerate(specs):
        tier = TierFactory(product=product, name=name, slug=slug, order=order)
        versions[slug] = build_published(
            tier,
            features=[keys],
            limits={metrics["seats"]: seats, metrics["api-calls"]: calls},
            monthly=monthly,
            annual=annual,
            roi_hours_saved_per_person_week=Decimal(hours),
            roi_errors_avoided_per_year=Decimal(errors),
        )
    return RoiCatalog(metrics=metrics, versions=versions)
