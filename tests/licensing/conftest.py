from dataclasses import dataclass

import pytest

from licensing.models import Feature, FeatureCategory, LimitMetric, Product, Tier, TierVersion
from tests.licensing.factories import (
    CurrencyFactory,
    FeatureFactory,
    LimitMetricFactory,
    ProductFactory,
    TierFactory,
    build_published,
)


@pytest.fixture
def currencies(db):
    return [CurrencyFactory(code=code, order=i) for i, code in enumerate(["USD", "EUR", "GBP"])]


@dataclass
class Catalog:
    product: Product
    features: dict[str, Feature]
    metrics: dict[str, LimitMetric]
    tiers: dict[str, Tier]
    versions: dict[str, TierVersion]


@pytest.fixture
def catalog(currencies):
    """Starter and Pro, both published. Pro adds SSO, more seats and faster support."""
    product = ProductFactory(name="Widget", slug="widget")
    features = {
        "keys": FeatureFactory(product=product, key="keys", name="License keys"),
        "reports": FeatureFactory(
            product=product, key="reports", name="Reports", category=FeatureCategory.EXTENDED
        ),
        "sso": FeatureFactory(
            product=product, key="sso", name="Single sign-on", category=FeatureCategory.PREMIUM
        ),
    }
    metrics = {
        "seats": LimitMetricFactory(product=product, key="seats", name="Seats", unit="seats"),
        "storage": LimitMetricFactory(product=product, key="storage", name="Storage", unit="GB"),
    }
    starter = TierFactory(product=product, name="Starter", slug="starter", order=1)
    pro = TierFactory(product=product, name="Pro", slug="pro", order=2, is_highlighted=True)
    versions = {
        "starter": build_published(
            starter,
            features=[features["keys"], features["reports"]],
            limits={metrics["seats"]: 5, metrics["storage"]: 10},
            monthly="29.00",
            annual="290.00",
        ),
        "pro": build_published(
            pro,
            features=[features["keys"], features["sso"]],
            limits={metrics["seats"]: 25, metrics["storage"]: None},
            monthly="99.00",
            annual="990.00",
            support_level="Priority",
            support_response_hours=4,
            support_channels="Email, Phone",
            named_account_manager=True,
        ),
    }
    return Catalog(product, features, metrics, {"starter": starter, "pro": pro}, versions)
