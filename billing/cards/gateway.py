"""The Stripe API as Tierwise uses it: one client built from settings (localstripe in a
DEBUG run, Stripe itself in production) and the conversion between Money and Stripe's
integer amounts in minor units. No float ever carries an amount."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from billing.money import Money, minor_unit_places


def card_payments_enabled() -> bool:
    """Cards are offered once the site has its Stripe keys."""
    return bool(settings.STRIPE_API_KEY and settings.STRIPE_PUBLISHABLE_KEY)


def client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {}
    # No silent retries: a retry of ours reuses the attempt's idempotency key.
    return stripe.StripeClient(settings.STRIPE_API_KEY, base_addresses=base, max_network_retries=0)


def to_minor_units(money: Money) -> int:
    """12.34 USD → 1234; 1500 JPY → 1500. Refuses an amount finer than the minor unit."""
    scaled = money.amount.scaleb(minor_unit_places(money.currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{money} is not a whole number of minor units.")
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Money:
    """Stripe's integer amount and lower-case currency as Money."""
    code = currency.upper()
    return Money(Decimal(int(amount)).scaleb(-minor_unit_places(code)), code)


REAL_STRIPE_JS = "https://js.stripe.com"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp_sources() -> dict[str, list[str]]:
    """What the payment pages add to the Content-Security-Policy: Stripe.js from its
    configured URL's origin, its requests to the API, its frames. Nothing else."""
    js = origin(settings.STRIPE_JS_URL)
    api = origin(settings.STRIPE_API_BASE) if settings.STRIPE_API_BASE else "https://api.stripe.com"
    frames = [js]
    if js == REAL_STRIPE_JS:
        # Real Stripe shows the bank's 3-D Secure page in a frame from its hooks origin.
        frames.append("https://hooks.stripe.com")
    return {
        "script-src": [js],
        "connect-src": sorted({js, api}),
        "frame-src": frames,
    }
