"""One option of a proposal: what the builder asks for (OptionInput), whether the
catalog and the license allow it (check_option: the catalog price for the subscription's
currency and the option's cycle, seats within the tier's limits, a term of 1 to 3 years
on annual billing, a discount with its reason), "renew as is", and the line the history
keeps for it. Read by billing.proposals.services, which writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.discounts import format_percent
from billing.models import ProposalOption
from billing.models.proposals import MAX_PROPOSAL_TERM_CYCLES
from billing.models.subscriptions import Billing, Subscription
from billing.pricing import BillingCycle
from billing.renewals.selectors import lock_holds_until
from billing.subscriptions.periods import term_end_for
from licensing.models import License, TierVersion, TierVersionPrice, VersionStatus
from licensing.models.catalog import seat_limit


class ProposalRefused(ValueError):
    """The step cannot be taken; `errors` maps a field ("" for the step as a whole) to a
    sentence for the account manager."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass(frozen=True)
class OptionInput:
    """What the builder asks for one option; the price is looked up, never typed."""

    tier_version: TierVersion
    seats: int
    cycle: str
    term_cycles: int = 1
    billing: str = Billing.UPFRONT
    discount_percent: Decimal = Decimal(0)
    discount_reason: str = ""
    renew_as_is: bool = False
    at_renewal: bool = False  # starts the day after the term, not on acceptance

    @property
    def starts_at_term_end(self) -> bool:
        return self.renew_as_is or self.at_renewal


def subscription_of(license: License) -> Subscription | None:
    return Subscription.objects.filter(license=license).first()


def renew_as_is(license: License, **changes) -> OptionInput:
    """The license as it is (its version, even if retired; its seats and cycle), with a
    longer term or a discount if `changes` says so."""
    subscription = subscription_of(license)
    fields = {
        "tier_version": license.version,
        "seats": license.seats,
        "cycle": subscription.cycle if subscription else BillingCycle.ANNUAL,
        "renew_as_is": True,
    }
    fields.update(changes)
    return OptionInput(**fields)


def plan_decrease(
    license: License, version: TierVersion, seats: int, *, at_term_end: bool = False
) -> tuple[str, str] | None:
    """What an option taking effect on acceptance would lower, as (field, why for the
    account manager), or None. An option takes effect on acceptance unless it starts at
    the renewal (renew as is, or `at_renewal`: `at_term_end`), and a decrease takes
    effect at the end of the term (../shared/PRODUCT.md, rule 4; the checkout schedules
    it so): another tier not ranked above the license's (the checkout's rule,
    billing.checkout.quote: a move now is to a higher rank, and `Tier.order` is not
    unique), or fewer seats than the license has. The builder refuses such an option
    unless it starts at the renewal; one that became a decrease since (the license moved
    up meanwhile) is neither sent nor accepted."""
    if at_term_end:
        return None
    now = license.version.tier
    if version.tier_id != now.pk and version.tier.order <= now.order:
        return (
            "tier_version",
            f"{version.tier.name} does not rank above the license's {now.name}: a move to "
            "a tier not ranked higher takes effect at the end of the term. Tick “Starts at "
            "the renewal” to offer it from then.",
        )
    if seats < license.seats:
        return (
            "seats",
            f"The license has {license.seats} seats: fewer seats take effect at the end of "
            "the term. Tick “Starts at the renewal” to offer them from then.",
        )
    return None


def retired_price_until(
    option: ProposalOption | OptionInput, subscription: Subscription | None, *, starts_on: date
) -> date | None:
    """The day the price of the license's retired version stops holding (its lock: the
    later of the term it was locked for and the version's notice date), when `option`
    keeps that version for a term that runs past it: a price the catalog no longer sells, extended,
    so an admin approves it as any other ad-hoc price (../shared/PRODUCT.md, rule 5).
    None when the option is on a version on sale, or ends within the lock."""
    version = option.tier_version
    if version.status != VersionStatus.RETIRED or subscription is None:
        return None
    if version.pk != subscription.license.version_id:
        # Another version, retired since the proposal quoted it: what was quoted is
        # applied (billing.checkout), no price of the license's own is kept.
        return None
    holds = lock_holds_until(subscription, version)
    if holds is None:
        return None
    cycles = option.term_cycles if option.cycle == BillingCycle.ANNUAL else 1
    ends = term_end_for(starts_on, cycle=option.cycle, cycles=cycles)
    return holds if ends > holds else None


def check_option(
    license: License, subscription: Subscription | None, option: OptionInput
) -> TierVersionPrice:
    """The catalog price of `option`, or ProposalRefused saying what is wrong with it."""
    errors: dict[str, str] = {}
    version = option.tier_version
    if subscription is None:
        raise ProposalRefused({"": "This license has no subscription to price the option in."})
    if version.tier.product_id != license.product_id:
        errors["tier_version"] = "Choose a tier of the license's own product."
    elif option.renew_as_is and version.pk != license.version_id:
        errors["tier_version"] = "Renewing as is keeps the license's own tier version."
    elif version.status != VersionStatus.PUBLISHED and version.pk != license.version_id:
        errors["tier_version"] = (
            f"{version} is not on sale; choose a published version (or the license's own)."
        )
    decrease = None
    if "tier_version" not in errors:
        decrease = plan_decrease(
            license, version, option.seats, at_term_end=option.starts_at_term_end
        )
    if decrease is not None:
        errors[decrease[0]] = decrease[1]
    if option.renew_as_is and (option.seats != license.seats or option.cycle != subscription.cycle):
        errors["renew_as_is"] = "Renewing as is keeps the license's seats and billing cycle."
    if option.cycle not in BillingCycle.values:
        errors["cycle"] = "Choose monthly or annual billing."
    price = None
    if "tier_version" not in errors and "cycle" not in errors:
        price = TierVersionPrice.objects.filter(
            version=version, currency_id=subscription.currency_id, cycle=option.cycle
        ).first()
        if price is None:
            errors["cycle"] = (
                f"{version.tier.name} has no {BillingCycle(option.cycle).label.lower()} price "
                f"in {subscription.currency_id}."
            )
    limit = seat_limit(version)
    if option.seats < 1:
        errors["seats"] = "Choose at least one seat."
    elif limit is not None and option.seats > limit:
        errors["seats"] = f"{version.tier.name} allows at most {limit} seats."
    elif price is not None and price.per_seat and option.seats < price.min_seats:
        errors["seats"] = f"{version.tier.name} is sold from {price.min_seats} seats."
    most = MAX_PROPOSAL_TERM_CYCLES if option.cycle == BillingCycle.ANNUAL else 1
    if not 1 <= option.term_cycles <= most:
        errors["term_cycles"] = (
            f"An annual option's term is 1 to {MAX_PROPOSAL_TERM_CYCLES} years."
            if option.cycle == BillingCycle.ANNUAL
            else "A monthly option's term is one month."
        )
    if option.billing not in Billing.values:
        errors["billing"] = "Choose up front or per cycle."
    elif option.billing == Billing.PER_CYCLE and option.term_cycles == 1:
        errors["billing"] = "A one-cycle term is one invoice: bill it up front."
    percent = option.discount_percent
    if not isinstance(percent, Decimal) or not percent.is_finite():
        errors["discount_percent"] = "Enter the discount as a number."
    elif not Decimal(0) <= percent <= Decimal(100):
        errors["discount_percent"] = "A discount is 0 to 100%."
    elif percent != percent.quantize(Decimal("0.01")):
        errors["discount_percent"] = "Use at most two decimal places."
    elif percent > 0 and not option.discount_reason.strip():
        errors["discount_reason"] = "Say why the discount is given."
    if len(option.discount_reason) > 300:
        errors["discount_reason"] = "Keep the reason under 300 characters."
    if errors:
        raise ProposalRefused(errors)
    return price


def describe_option(option: ProposalOption) -> str:
    """One line an event keeps: "Team v2, 12 seats, annual, 3 years up front, 20% off
    (three-year commitment)"."""
    term = (
        f"{option.term_cycles} year{'s' if option.term_cycles != 1 else ''} "
        if option.cycle == BillingCycle.ANNUAL
        else ""
    )
    text = (
        f"{option.tier_version.tier.name} v{option.tier_version.number}, "
        f"{option.seats} seat{'s' if option.seats != 1 else ''}, "
        f"{BillingCycle(option.cycle).label.lower()}, {term}"
        f"{Billing(option.billing).label.split(',')[0].lower()}"
    )
    if option.discount_percent:
        text += f", {format_percent(option.discount_percent)} off ({option.discount_reason})"
    if option.renew_as_is:
        text += " (renew as is)"
    elif option.at_renewal:
        text += " (from the renewal)"
    return text
