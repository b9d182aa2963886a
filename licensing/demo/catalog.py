"""The demo catalog: one product, four tiers, features in three categories, four limits,
prices in USD, EUR and GBP, an upgrade policy, and a Team tier whose first version was
retired so grandfathering is visible. Starter and Team v1 are priced flat for the tier;
Team v2, Business and Enterprise per seat from a minimum, at prices that leave the ROI
calculator's default team (10 people at $75 an hour) a return of a few hundred percent,
not thousands. Idempotent: a tier that already has a published
version is left as it is, so running the demo twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from billing.pricing import BillingCycle
from licensing.catalog.publishing import policy_version_publish, tier_version_publish
from licensing.models import (
    Currency,
    Feature,
    FeatureCategory,
    LimitMetric,
    PolicySection,
    PolicyStatus,
    PolicyVersion,
    Product,
    ResetPeriod,
    Tier,
    TierVersion,
    TierVersionFeature,
    TierVersionLimit,
    TierVersionPrice,
    VersionStatus,
)
from portal import clock

CURRENCIES = [("USD", "US dollar"), ("EUR", "Euro"), ("GBP", "Pound sterling")]

CORE, EXTENDED, PREMIUM = FeatureCategory.CORE, FeatureCategory.EXTENDED, FeatureCategory.PREMIUM
FEATURES = [
    ("license-keys", "License keys", CORE, "Issue and validate keys for every installation."),
    ("usage-dashboard", "Usage dashboard", CORE, "See usage against every limit at a glance."),
    (
        "entitlements-api",
        "Entitlements API",
        CORE,
        "Your software reads what each customer may use.",
    ),
    ("email-reminders", "Renewal reminders", CORE, "Customers hear about renewals well ahead."),
    (
        "self-service-portal",
        "Self-service portal",
        CORE,
        "Customers upgrade and renew on their own.",
    ),
    (
        "offline-files",
        "Offline license files",
        EXTENDED,
        "Signed files verified without a network.",
    ),
    ("trials", "Trials of higher tiers", EXTENDED, "Let customers try before they upgrade."),
    ("coupons", "Coupons and discounts", EXTENDED, "Run promotions with explicit terms."),
    ("webhooks", "Webhooks", EXTENDED, "Push license events into your own systems."),
    ("roles", "Roles and permissions", EXTENDED, "Give each colleague only what they need."),
    ("sso", "Single sign-on (SAML)", PREMIUM, "One login, managed by your identity provider."),
    ("audit-log", "Audit log export", PREMIUM, "Every change on record for your auditors."),
    ("proposals", "Proposals with approval", PREMIUM, "Formal quotes customers accept online."),
    ("sandbox", "Sandbox environment", PREMIUM, "Test changes safely before they go live."),
    (
        "custom-contracts",
        "Custom contract terms",
        PREMIUM,
        "Terms negotiated for your procurement.",
    ),
]

METRICS = [
    ("seats", "Seats", "seats", ResetPeriod.NEVER),
    ("api-calls", "API calls a month", "calls", ResetPeriod.MONTHLY),
    ("storage", "Storage", "GB", ResetPeriod.NEVER),
    ("integrations", "Integrations", "integrations", ResetPeriod.NEVER),
]


@dataclass(frozen=True)
class VersionSpec:
    features: tuple[str, ...]
    limits: dict[str, int | None]
    support: dict
    monthly: dict[str, str]
    annual: dict[str, str]
    roi: tuple[str, str]
    reason: str
    # Per seat from this many seats; None: the prices are flat for the tier.
    per_seat_from: int | None = None


CORE_KEYS = tuple(key for key, _, category, _ in FEATURES if category == CORE)
EXTENDED_KEYS = tuple(key for key, _, category, _ in FEATURES if category == EXTENDED)
PREMIUM_KEYS = tuple(key for key, _, category, _ in FEATURES if category == PREMIUM)
LAUNCH = "Launch of the catalog."

# Tiers a customer may try, and for how long (Tier.trial_days; the rest have no trial).
TRIAL_DAYS = {"team": 14, "business": 14}

TIERS = [
    # slug, name, tagline, highlighted, versions (oldest first)
    (
        "starter",
        "Starter",
        "License your first product without building a licensing system.",
        False,
        [
            VersionSpec(
                features=CORE_KEYS,
                limits={"seats": 3, "api-calls": 10_000, "storage": 5, "integrations": 1},
                support={
                    "support_level": "Standard",
                    "support_response_hours": 48,
                    "support_channels": "Email",
                },
                monthly={"USD": "29.00", "EUR": "27.00", "GBP": "23.00"},
                annual={"USD": "290.00", "EUR": "270.00", "GBP": "230.00"},
                roi=("0.10", "1"),
                reason=LAUNCH,
            )
        ],
    ),
    (
        "team",
        "Team",
        "Sell and renew across a growing team without spreadsheets.",
        True,
        [
            VersionSpec(
                features=(*CORE_KEYS, "offline-files", "trials"),
                limits={"seats": 10, "api-calls": 50_000, "storage": 25, "integrations": 3},
                support={
                    "support_level": "Standard",
                    "support_response_hours": 24,
                    "support_channels": "Email, Chat",
                },
                monthly={"USD": "79.00", "EUR": "73.00", "GBP": "63.00"},
                annual={"USD": "790.00", "EUR": "730.00", "GBP": "630.00"},
                roi=("0.20", "2"),
                reason=LAUNCH,
            ),
            VersionSpec(
                features=(*CORE_KEYS, "offline-files", "trials", "coupons", "roles"),
                limits={"seats": 15, "api-calls": 100_000, "storage": 50, "integrations": 5},
                support={
                    "support_level": "Standard",
                    "support_response_hours": 12,
                    "support_channels": "Email, Chat",
                },
                monthly={"USD": "19.00", "EUR": "18.00", "GBP": "15.00"},
                annual={"USD": "190.00", "EUR": "180.00", "GBP": "150.00"},
                per_seat_from=3,
                roi=("0.25", "2"),
                reason="Teams asked for coupons and roles, and to pay for the seats they use: "
                "more room, priced per seat. Customers on v1 keep their plan and price.",
            ),
        ],
    ),
    (
        "business",
        "Business",
        "Automate upgrades, trials and renewals across every product line.",
        False,
        [
            VersionSpec(
                features=(*CORE_KEYS, *EXTENDED_KEYS, "audit-log"),
                limits={"seats": 50, "api-calls": 1_000_000, "storage": 250, "integrations": 20},
                support={
                    "support_level": "Priority",
                    "support_response_hours": 4,
                    "support_channels": "Email, Chat, Phone",
                    "training": "Onboarding session",
                },
                monthly={"USD": "39.00", "EUR": "36.00", "GBP": "31.00"},
                annual={"USD": "390.00", "EUR": "360.00", "GBP": "310.00"},
                per_seat_from=10,
                roi=("0.40", "4"),
                reason=LAUNCH,
            )
        ],
    ),
    (
        "enterprise",
        "Enterprise",
        "Meet procurement, security and compliance needs at any scale.",
        False,
        [
            VersionSpec(
                features=(*CORE_KEYS, *EXTENDED_KEYS, *PREMIUM_KEYS),
                limits={"seats": None, "api-calls": None, "storage": 2_000, "integrations": None},
                support={
                    "support_level": "Premier",
                    "support_response_hours": 1,
                    "support_channels": "Email, Chat, Phone, Slack",
                    "named_account_manager": True,
                    "training": "Quarterly training and onboarding",
                },
                monthly={"USD": "69.00", "EUR": "64.00", "GBP": "55.00"},
                annual={"USD": "690.00", "EUR": "640.00", "GBP": "550.00"},
                per_seat_from=25,
                roi=("0.50", "6"),
                reason=LAUNCH,
            )
        ],
    ),
]

POLICY_SECTIONS = [
    (
        "Eligibility",
        "Any organization with an active subscription can change tier or seats "
        "at any time from its portal. Trials and proposals lead to the same checkout.",
    ),
    (
        "Timing",
        "Upgrades take effect immediately.\n\nDowngrades take effect at the end of the "
        "current term by default, so you keep what you paid for. Nothing you made is deleted: "
        "anything over the lower tier's limits is listed before you confirm and kept read-only.",
    ),
    (
        "Proration and rounding",
        "An upgrade mid-term credits the unused part of the current "
        "price and charges the rest of the term at the new price, both shown before you confirm. "
        "Proration is by day: the remaining days of the term divided by the days in the term.\n\n"
        "The credit is for time paid for: what a credit note gave back of an invoice for the "
        "term (all of it, when the invoice was voided) is not credited again. It is taken off "
        "in the share of that invoice's days still to come, and the credit line says so; a "
        "term whose invoice was voided has nothing to credit.\n\n"
        "Amounts are calculated exactly and rounded once, half up, to the currency's smallest "
        "unit (one cent, one penny).",
    ),
    (
        "Trials",
        "You can try a higher tier once per tier, for the length shown on that tier. At "
        "the end you choose to convert or return to your previous tier with all data kept.",
    ),
    (
        "Refunds and credits",
        "Credits from an upgrade are applied to the new charge. A "
        "downgrade at term end needs no refund. If we fail to deliver a paid feature, contact "
        "support for a pro-rata credit.",
    ),
    (
        "Notice for price changes",
        "New prices apply to new subscriptions when published. "
        "Existing customers keep their version and price until at least the notice date shown "
        "in the changelog, and are told at least 90 days ahead of any change at renewal.",
    ),
]


def _currencies() -> None:
    for order, (code, name) in enumerate(CURRENCIES):
        Currency.objects.update_or_create(
            code=code, defaults={"name": name, "enabled": True, "order": order}
        )


def _catalog_rows() -> tuple[Product, dict[str, Feature], dict[str, LimitMetric]]:
    product, _ = Product.objects.update_or_create(
        slug="tierwise-licensing",
        defaults={"name": "Tierwise Licensing", "description": "Licensing, trials and renewals."},
    )
    features = {}
    for order, (key, name, category, outcome) in enumerate(FEATURES):
        features[key], _ = Feature.objects.update_or_create(
            product=product,
            key=key,
            defaults={"name": name, "category": category, "outcome": outcome, "order": order},
        )
    metrics = {}
    for order, (key, name, unit, reset) in enumerate(METRICS):
        metrics[key], _ = LimitMetric.objects.update_or_create(
            product=product,
            key=key,
            defaults={"name": name, "unit": unit, "reset_period": reset, "order": order},
        )
    return product, features, metrics


def _draft(tier: Tier, spec: VersionSpec, features, metrics) -> TierVersion:
    version = TierVersion.objects.create(
        tier=tier,
        support_level=spec.support["support_level"],
        support_response_hours=spec.support["support_response_hours"],
        support_channels=spec.support["support_channels"],
        named_account_manager=spec.support.get("named_account_manager", False),
        training=spec.support.get("training", ""),
        roi_hours_saved_per_person_week=Decimal(spec.roi[0]),
        roi_errors_avoided_per_year=Decimal(spec.roi[1]),
        changelog_note=spec.reason,
    )
    TierVersionFeature.objects.bulk_create(
        TierVersionFeature(version=version, feature=features[key]) for key in spec.features
    )
    TierVersionLimit.objects.bulk_create(
        TierVersionLimit(version=version, metric=metrics[key], value=value)
        for key, value in spec.limits.items()
    )
    TierVersionPrice.objects.bulk_create(
        TierVersionPrice(
            version=version,
            currency_id=code,
            cycle=cycle,
            amount=Decimal(amount),
            per_seat=spec.per_seat_from is not None,
            min_seats=spec.per_seat_from or 1,
        )
        for cycle, amounts in (
            (BillingCycle.MONTHLY, spec.monthly),
            (BillingCycle.ANNUAL, spec.annual),
        )
        for code, amount in amounts.items()
    )
    return version


def _policy(now) -> None:
    if PolicyVersion.objects.filter(status=PolicyStatus.PUBLISHED).exists():
        return
    PolicyVersion.objects.filter(status=PolicyStatus.DRAFT).delete()
    for number, (days_ago, sections) in enumerate(
        [(400, POLICY_SECTIONS[:3]), (30, POLICY_SECTIONS)], start=1
    ):
        at = now - timedelta(days=days_ago)
        policy = PolicyVersion.objects.create(
            summary="How moving between tiers works: when it takes effect, how the price is "
            "worked out, and what happens to your data."
            if number > 1
            else "How moving between tiers works.",
            effective_date=at.date(),
        )
        for order, (heading, body) in enumerate(sections):
            PolicySection.objects.create(policy=policy, order=order, heading=heading, body=body)
        policy_version_publish(policy=policy, at=at)


@transaction.atomic
def build_catalog() -> str:
    now = clock.now()
    _currencies()
    product, features, metrics = _catalog_rows()
    for order, (slug, name, tagline, highlighted, specs) in enumerate(TIERS):
        tier, _ = Tier.objects.update_or_create(
            slug=slug,
            defaults={
                "product": product,
                "name": name,
                "tagline": tagline,
                "order": order,
                "is_public": True,
                "is_highlighted": highlighted,
                "trial_days": TRIAL_DAYS.get(slug),
            },
        )
        if tier.versions.exclude(status=VersionStatus.DRAFT).exists():
            continue
        tier.versions.filter(status=VersionStatus.DRAFT).delete()
        for index, spec in enumerate(specs):
            # Older versions went out a year ago; the newest one a month ago.
            days_ago = 400 if index < len(specs) - 1 else (30 if len(specs) > 1 else 400)
            version = _draft(tier, spec, features, metrics)
            tier_version_publish(version=version, at=now - timedelta(days=days_ago))
    _policy(now)
    return (
        f"{product.name}: {len(TIERS)} tiers, {len(FEATURES)} features, {len(METRICS)} limits, "
        f"prices in {', '.join(code for code, _ in CURRENCIES)}"
    )
