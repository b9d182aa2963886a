"""A demo checkout: Globex Health has scheduled a move from 30 to 20 seats at the end of
its annual term, through the checkout like a customer would, so the dashboard shows a
scheduled change its owner can cancel. (Initech, with no license, buys from /pricing/.)

Idempotent: a license with a scheduled change, or a confirmed checkout, is left alone.
"""

from __future__ import annotations

from billing.checkout.services import (
    Target,
    checkout_confirm,
    checkout_preview,
    checkout_record_preview,
    checkout_start,
)
from billing.models import Checkout, CheckoutStatus, ScheduledChange
from licensing.licenses.services import Actor
from licensing.models import License
from portal.models import Membership, Role

SLUG = "globex-health"
SEATS_AFTER = 20


def build_checkouts() -> list[str]:
    license = (
        License.objects.select_related("organization", "version__tier", "subscription")
        .filter(organization__slug=SLUG)
        .first()
    )
    if license is None or not hasattr(license, "subscription"):
        return []
    done = (
        ScheduledChange.objects.filter(license=license).exists()
        or Checkout.objects.filter(license=license, status=CheckoutStatus.CONFIRMED).exists()
    )
    if not done:
        owner = (
            Membership.objects.filter(organization=license.organization, role=Role.OWNER)
            .select_related("user")
            .first()
        )
        user = owner.user if owner else None
        checkout = checkout_start(organization=license.organization, license=license, user=user)
        preview = checkout_preview(
            checkout=checkout,
            target=Target(
                tier=license.version.tier.slug,
                seats=SEATS_AFTER,
                cycle=license.subscription.cycle,
                auto_renew=license.auto_renew,
            ),
        )
        checkout_record_preview(preview=preview)
        checkout_confirm(
            checkout=checkout,
            target=preview.target,
            digest=preview.digest,
            actor=Actor.of(user, "owner") if user else Actor(label="demo data"),
        )
    change = ScheduledChange.objects.filter(license=license).order_by("-pk").first()
    return [f"{license.organization.name}: {change}"] if change else []
