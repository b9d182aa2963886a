"""The self-service checkout: preview a change, confirm it, abandon it.

`checkout_preview` reads what the change would cost (billing.checkout.quote, the same pure
function the confirmation uses) with the comparison and, for a downgrade, the continuity
check. `checkout_confirm` makes the change in one transaction, taking its locks in the one
order (billing.locks): the organization's billing details (its credit balance and every
other checkout of it), the checkout (its one-time token), the license and its scheduled
change. It quotes again from what is there now, refuses if that is not what the customer
saw, then changes the license through the licensing services, locks the new price,
issues the invoice of exactly the previewed lines, re-plans the change that was already
scheduled as the preview said (billing.checkout.changes.replan) and records the part
that waits as a scheduled change. A refusal writes nothing but the refusal.

A trial converts here too (billing.trials.conversion): a paying customer's upgrade to
the tier it is trying or one above it, or a purchase on a trial license (which keeps its
key), closes the running trial as converted in the confirmation's transaction, its row
locked right after its license's. A checkout opened without a license is refused once
the organization has an open license of the product (a trial started since issues one):
never a second license.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.checkout import changes
from billing.checkout.quote import (
    Credited,
    Plan,
    Quote,
    QuoteRefused,
    discount_by_period,
    quote_change,
)
from billing.checkout.selectors import credited_in_term, preview_billing_details
from billing.discounts import negotiated
from billing.emails import notices
from billing.invoices import rules as invoice_rules
from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import credit_balance
from billing.ledger.services import changes_recorded, terms_of
from billing.locks import lock_billing_details, lock_license, lock_scheduled_changes
from billing.models import (
    OPEN_CHECKOUT,
    BillingDetails,
    Checkout,
    CheckoutEvent,
    CheckoutStatus,
    CreditEntry,
    Invoice,
    PeriodReason,
    ProposalOption,
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
    SubscriptionPeriod,
)
from billing.models.subscriptions import Billing
from billing.money import Money
from billing.pricing import BillingCycle, SeatPrice
from billing.renewals import terms as renewal_terms
from billing.renewals.selectors import Cache as RenewalCache
from billing.renewals.selectors import NextRenewal, next_renewal
from billing.renewals.summary import Credit as RenewalCredit
from billing.renewals.summary import credited, renewal_summary
from billing.subscriptions.periods import Span, index_of, period
from billing.subscriptions.selectors import canceled_by_customer, discounts_from
from billing.subscriptions.services import (
    agreed_discount_ends_on,
    subscription_create,
    subscription_lock_price,
    subscription_one_cycle_terms,
    subscription_period_add,
    subscription_period_split,
    subscription_set_auto_renew,
    subscription_set_terms,
    subscription_term_restart,
)
from billing.tax.rules import Decision, tax_label
from billing.tax.selectors import tax_decision
from billing.trials import conversion
from licensing.catalog.diff import Comparison, compare
from licensing.catalog.frozen import FrozenCatalog, frozen_catalog
from licensing.catalog.selectors import version_snapshot
from licensing.licenses import services as licenses
from licensing.licenses.continuity import continuity_check
from licensing.licenses.downgrade import ContinuityCheck
from licensing.licenses.entitlements import license_entitlements
from licensing.models import (
    CLOSED_STATUSES,
    Feature,
    License,
    LimitMetric,
    Tier,
    TierVersion,
    TierVersionPrice,
    Trial,
)
from portal import clock
from portal.models import Organization

SEATS = "seats"
MISSING = object()
# Checkouts left open this long are recorded as abandoned.
ABANDON_AFTER_HOURS = 24
# A checkout opened again within this (checkout_resume_or_start) continues the open one:
# well inside ABANDON_AFTER_HOURS, so a continued checkout is never closed under the member.
RESUME_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class Target:
    """What the customer asks for."""

    tier: str
    seats: int
    cycle: str
    currency: str = ""
    auto_renew: bool = True


@dataclass
class Preview:
    checkout: Checkout
    license: License | None
    target: Target
    version: TierVersion  # the version the target tier means for this license
    quote: Quote
    comparison: Comparison | None
    continuity: ContinuityCheck | None
    pending: ScheduledChange | None  # the change scheduled already
    replan: changes.Replan | None = None  # what confirming this one does to `pending`
    # How the tax was chosen (billing.tax), as the invoice will choose it.
    tax: Decision | None = None
    # No billing address yet: the tax is the seller's country's until one says otherwise.
    tax_estimated: bool = False
    notes: list[str] = field(default_factory=list)
    days_to_pay: int = 0  # the organization's payment terms, as its invoice will take them
    # The running trial confirming this converts (billing.trials.conversion), and whether
    # it is a purchase on the trial's own license (status trialing, no subscription).
    trial: Trial | None = None
    buys_trial_license: bool = False
    # The renewal after it bills the plan as listed (no successor, discount or cycle of
    # a longer term): its seats at its price per seat explain the renewal's figure.
    renewal_listed: bool = True
    # What the organization's credit will pay of the renewal after it, and the amount
    # due, as the renewal panel and the reminder will tell them (_renewal_credit).
    renewal_credit: RenewalCredit | None = None

    @property
    def trial_message(self) -> str:
        """What confirming does to the trial, in one sentence for the customer."""
        trial = self.trial
        if trial is None:
            return ""
        kept = " Your license key stays the same." if self.buys_trial_license else ""
        now = self.quote.now
        if now.tier == trial.tier.slug:
            return (
                f"Your {trial.tier.name} trial becomes your plan from today; the trial days "
                f"were free.{kept}"
            )
        if now.rank >= trial.tier.order:
            return (
                f"Your {trial.tier.name} trial ends today: you buy {now.tier_name}; the "
                f"trial days were free.{kept}"
            )
        return (
            f"Your {trial.tier.name} trial ends today: you buy {now.tier_name} on its "
            f"license, and what the trial gives that {now.tier_name} does not is kept, "
            f"read-only; the trial days were free.{kept}"
        )

    @property
    def due_on(self) -> date:
        """The day the invoice of this change would be due."""
        return invoice_rules.due_on(self.quote.today, self.days_to_pay)

    @property
    def due_now(self) -> bool:
        return invoice_rules.due_now(
            amount=self.quote.amount_due, due_on=self.due_on, today=self.quote.today
        )

    @property
    def terms(self) -> str:
        return invoice_rules.terms_phrase(self.days_to_pay)

    @property
    def no_discount(self) -> Money:
        """The "Discounts: none apply" row's amount (zero), shown only when no discount
        line is among the quote's (a proposal's negotiated discount is one)."""
        return Money.zero(self.quote.currency)

    @property
    def has_discount(self) -> bool:
        return any(line.kind == LineKind.DISCOUNT for line in self.quote.lines)

    @property
    def tax_label(self) -> str:
        """The tax line's label, as the invoice will print it."""
        treatment = self.tax.treatment if self.tax is not None else ""
        return tax_label(treatment, self.quote.tax_rate)

    @property
    def digest(self) -> str:
        """The fingerprint of everything shown: the quote, the tier version it moves to
        (what the comparison lists: a version published since, at the same price, makes
        it stale), and what becomes of the change scheduled already (a change scheduled
        or canceled since makes it stale), and how the tax was chosen (billing details
        changed since, e.g. a reverse charge that no longer applies, make it stale even
        where the rate stays the same)."""
        shown = self.quote.fingerprint() + f"\nversion|{self.version.pk}"
        if self.tax is not None:
            shown += f"\ntax|{self.tax.treatment}|{self.tax.rate_country}|{self.tax.wording}"
        if self.pending is not None:
            replan = self.replan
            shown += f"\npending|{self.pending.pk}|{replan.outcome}|{replan.terms}|"
            shown += f"{replan.effective_on}"
        option = self.checkout.proposal_option
        if option is not None:
            shown += f"\noption|{option.pk}|{option.discount_percent}|{option.billing}"
        else:
            # Confirmed only on the checkout it was shown on: never on another one opened
            # after this one was abandoned (an option's acceptance opens its own).
            shown += f"\ncheckout|{self.checkout.pk}"
        if self.trial is not None:
            # A trial closed since (ended, reverted) makes a conversion's preview stale.
            shown += f"\ntrial|{self.trial.pk}|{self.buys_trial_license}"
        return hashlib.sha256(shown.encode()).hexdigest()


class StalePreview(Exception):
    """What the customer confirmed is no longer what the change would cost."""

    def __init__(
        self, preview: Preview | None, message: str, *, license: License | None = None
    ) -> None:
        self.preview = preview
        self.message = message
        # The organization's open license this checkout must not buy a second of: its
        # own checkout is where the change is made.
        self.license = license
        super().__init__(message)


class CheckoutClosed(Exception):
    def __init__(self, checkout: Checkout, message: str) -> None:
        self.checkout = checkout
        self.message = message
        super().__init__(message)


class ConfirmedOtherwise(CheckoutClosed):
    """The checkout was confirmed already, with other choices than these (another tab
    or window on the same checkout): nothing more is changed or charged."""


CONFIRMED_OTHERWISE = (
    "This checkout was already confirmed with other choices, in another window or tab: "
    "nothing more was changed or charged. Here is what was confirmed; open the checkout "
    "again from your plan to change more."
)


def confirmed_as(checkout: Checkout, digest: str) -> bool:
    """Whether a confirmed checkout was confirmed with the preview of this fingerprint
    (a checkout confirmed before fingerprints were kept counts as this one)."""
    return not checkout.confirmed_digest or checkout.confirmed_digest == digest


def _record(checkout: Checkout, step: str, at: datetime, **data) -> None:
    CheckoutEvent.objects.create(checkout=checkout, step=step, happened_at=at, data=data)


# --- Starting --------------------------------------------------------------------------


def open_license_for(organization: Organization, tier: Tier) -> License | None:
    return (
        License.objects.filter(organization=organization, product_id=tier.product_id)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("version__tier", "subscription")
        .first()
    )


@transaction.atomic
def checkout_start(
    *,
    organization: Organization,
    license: License | None,
    user,
    at: datetime | None = None,
    proposal_option: ProposalOption | None = None,
) -> Checkout:
    """A started checkout; `proposal_option`: bound to a proposal's option (accepting it,
    billing.proposals.acceptance), which it quotes instead of a target of its own."""
    at = at or clock.now()
    if license is not None and license.organization_id != organization.pk:
        raise ValidationError("The license belongs to another organization.")
    proposal = proposal_option.proposal_version.proposal if proposal_option else None
    if proposal is not None and (proposal.organization_id, proposal.license_id) != (
        organization.pk,
        license.pk if license else None,
    ):
        raise ValidationError("The proposal is for another license.")
    checkout = Checkout.objects.create(
        organization=organization,
        license=license,
        started_by=user,
        started_at=at,
        proposal=proposal,
        proposal_option=proposal_option,
    )
    data = {"proposal": str(proposal_option.proposal_version)} if proposal_option else {}
    _record(checkout, CheckoutEvent.Step.STARTED, at, **data)
    return checkout


def checkout_resume_or_start(
    *, organization: Organization, license: License | None, user, at: datetime | None = None
) -> Checkout:
    """The checkout a member opens from a plan or the dashboard: the one they opened on
    the same license within the last RESUME_WITHIN and left open, or a new one. Coming
    back to the checkout (a reload, the back button, the pricing page again) continues it,
    so its record counts one visit, not one checkout per page view. A proposal's option
    always opens its own (billing.proposals.acceptance)."""
    at = at or clock.now()
    open_one = (
        Checkout.objects.filter(
            organization=organization,
            license=license,
            started_by=user,
            proposal_option__isnull=True,
            status__in=OPEN_CHECKOUT,
            started_at__gt=at - RESUME_WITHIN,
            started_at__lte=at,
        )
        .order_by("-started_at", "-pk")
        .first()
    )
    if open_one is not None:
        return open_one
    return checkout_start(organization=organization, license=license, user=user, at=at)


# --- Quoting ---------------------------------------------------------------------------


def _seat_limit(version: TierVersion) -> int | None:
    for row in version.limit_rows.all():
        if row.metric.key == SEATS:
            return row.value
    return None


def _catalog_prices(version: TierVersion, currency: str) -> dict[str, SeatPrice]:
    return {
        row.cycle: SeatPrice(
            amount=Money(row.amount, currency),
            cycle=row.cycle,
            per_seat=row.per_seat,
            min_seats=row.min_seats,
        )
        for row in version.price_rows.all()
        if row.currency_id == currency
    }


def _plan(version: TierVersion, price: SeatPrice, *, seats: int, cycle: str, auto_renew: bool):
    tier = version.tier
    return Plan(
        tier=tier.slug,
        tier_name=tier.name,
        rank=tier.order,
        price=price,
        seats=seats,
        cycle=cycle,
        auto_renew=auto_renew,
        max_seats=_seat_limit(version),
    )


def option_target(option: ProposalOption) -> Target:
    """What a proposal's option asks for, as a checkout's target."""
    return Target(
        tier=option.tier_version.tier.slug,
        seats=option.seats,
        cycle=option.cycle,
        currency=option.price.currency_id,
        auto_renew=True,
    )


def option_plan(option: ProposalOption, version: TierVersion) -> Plan:
    """The plan a proposal's option quotes: its tier version (even one retired since),
    its catalog price (the row it was made with, held while the proposal is valid), its
    seats, term length, billing and negotiated discount."""
    row = option.price
    price = SeatPrice(
        amount=Money(row.amount, row.currency_id),
        cycle=row.cycle,
        per_seat=row.per_seat,
        min_seats=row.min_seats,
    )
    plan = _plan(version, price, seats=option.seats, cycle=option.cycle, auto_renew=True)
    return Plan(
        **{
            **plan.__dict__,
            "term_cycles": option.term_cycles,
            "billing": option.billing,
            "discounts": negotiated(option.discount_percent, option.discount_reason),
        }
    )


def _option_refusal(option: ProposalOption, today: date) -> str:
    """Why a proposal's option can no longer be quoted ("" when it can)."""
    valid_until = option.proposal_version.valid_until
    if valid_until < today:
        return (
            f"This proposal expired on {valid_until:%-d %B %Y}: its prices held until then. "
            "Ask your account manager for a new one."
        )
    return ""


def _target_version(
    catalog: FrozenCatalog, license: License | None, tier_slug: str, product_id: int | None
) -> TierVersion:
    if license is not None:
        current = catalog.version(license.version_id)
        if current.tier.slug == tier_slug:
            return current
    version = catalog.published_version(tier_slug, product_id)
    if version is None:
        raise QuoteRefused({"tier": "Choose one of the tiers on offer."})
    return version


def _refuse_a_second_license(organization: Organization, tier_slug: str) -> None:
    """A checkout opened while the organization had no license of the product buys a
    second one if it has one now (bought since, or a trial started since, which issued
    a trial license): refused, by product, with the license to change instead."""
    product_id = Tier.objects.filter(slug=tier_slug).values_list("product_id", flat=True).first()
    if product_id is None:
        return  # not a tier on offer: the quote says so
    existing = (
        License.objects.filter(organization=organization, product_id=product_id)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("version__tier")
        .first()
    )
    if existing is None:
        return
    if conversion.is_trial_license(existing):
        message = (
            f"Your organization started a {existing.version.tier.name} trial since this "
            "checkout was opened, on a license of its own: buy on that license instead, "
            "so your software keeps its key."
        )
    else:
        message = (
            "Your organization has a license of this product since this checkout was "
            "opened: change that license instead."
        )
    raise StalePreview(None, message, license=existing)


def _conversion_version(
    catalog: FrozenCatalog, trial: Trial | None, tier_slug: str
) -> TierVersion | None:
    """The version a conversion to the trial's tier buys: the trial's own while it is
    published (None: not a move to the trial's tier, or the tier's current version)."""
    if trial is None or trial.tier.slug != tier_slug:
        return None
    version = conversion.trial_version(trial)
    return None if version is None else catalog.version(version.pk)


def _subscription(license: License) -> Subscription:
    try:
        return license.subscription
    except ObjectDoesNotExist:
        raise QuoteRefused(
            {
                "": "This license is billed under a contract, not in the portal; your "
                "account manager can change it."
            }
        ) from None


def pending_change(license: License | None) -> ScheduledChange | None:
    if license is None:
        return None
    return (
        ScheduledChange.objects.filter(license=license, status=ScheduledChangeStatus.SCHEDULED)
        .select_related("version__tier")
        .first()
    )


def checkout_preview(
    *,
    checkout: Checkout,
    target: Target,
    at: datetime | None = None,
    license: License | None = None,
    catalog: FrozenCatalog | None = None,
) -> Preview:
    """The quote, comparison and continuity check of `target` for `checkout`. Raises
    QuoteRefused with a message per field. The tier versions come from `catalog` (this
    request's, when the caller has taken one already)."""
    at = at or clock.now()
    catalog = catalog or frozen_catalog()
    today = timezone.localdate(at)
    notes: list[str] = []
    organization = checkout.organization
    license = license or checkout.license
    if license is not None and not license.is_usable:
        # A suspended, canceled or expired license is not changed from the portal: its
        # holds are lifted (or it is renewed) first, by staff or the flow that holds it.
        raise QuoteRefused(
            {
                "": f"This license is {license.get_status_display().lower()}: it cannot be "
                "changed here until it is running again. Your account manager can help."
            }
        )
    option = checkout.proposal_option if checkout.proposal_option_id else None
    if option is not None:
        refusal = _option_refusal(option, today)
        if license is None or refusal:
            raise QuoteRefused({"": refusal or "A proposal changes the license it was made for."})
        target = option_target(option)
    if license is None:
        _refuse_a_second_license(organization, target.tier)
    # A trial license is bought by a purchase on it (billing.trials.conversion).
    buys_trial_license = conversion.is_trial_license(license)
    trial = _running_trial(checkout, license)
    if option is not None:
        version = catalog.version(option.tier_version_id)
    else:
        version = _conversion_version(catalog, trial, target.tier) or _target_version(
            catalog,
            None if buys_trial_license else license,
            target.tier,
            license.product_id if license else None,
        )
    if target.cycle not in BillingCycle.values:
        raise QuoteRefused({"cycle": "Choose monthly or annual billing."})
    details = preview_billing_details(checkout)
    tax = tax_decision(details=details, on=today)
    tax_rate = tax.rate
    if license is None or buys_trial_license:
        currency = target.currency
        prices = _catalog_prices(version, currency)
        if not prices:
            raise QuoteRefused({"currency": f"{version.tier.name} is not sold in {currency}."})
        if target.cycle not in prices:
            raise QuoteRefused(
                {"cycle": f"{version.tier.name} has no {target.cycle} price in {currency}."}
            )
        plan_target = _plan(
            version,
            prices[target.cycle],
            seats=target.seats,
            cycle=target.cycle,
            auto_renew=True,
        )
        quote = quote_change(
            current=None,
            target=plan_target,
            term_start=None,
            term_end=None,
            today=today,
            tax_rate=tax_rate,
            credit_balance=_credit(organization, currency),
        )
        comparison = None
        continuity = None
        pending = None
    else:
        subscription = _subscription(license)
        currency = subscription.currency_id
        current_version = catalog.version(license.version_id)
        prices = {
            (current_version.tier.slug, cycle): price
            for cycle, price in _catalog_prices(current_version, currency).items()
        }
        prices |= {
            (version.tier.slug, cycle): price
            for cycle, price in _catalog_prices(version, currency).items()
        }
        # After the target's catalog prices: on the same tier they are the current one's,
        # and the current cycle stays at the price the subscription locked.
        prices[(current_version.tier.slug, subscription.cycle)] = subscription.seat_price
        if option is None and (version.tier.slug, target.cycle) not in prices:
            raise QuoteRefused(
                {"cycle": f"{version.tier.name} has no {target.cycle} price in {currency}."}
            )
        current = _plan(
            current_version,
            subscription.seat_price,
            seats=license.seats,
            cycle=subscription.cycle,
            auto_renew=license.auto_renew,
        )
        # A negotiated discount the subscription holds for its term (an accepted
        # proposal's) is off the current plan and any change made inside that term, so
        # the unused time credits what was paid and added seats get the agreed price.
        held = discounts_from(subscription, license.term_start)
        current = Plan(
            **{**current.__dict__, "term_cycles": subscription.term_cycles, "discounts": held}
        )
        plan_target = _plan(
            version,
            prices[(version.tier.slug, target.cycle)],
            seats=target.seats,
            cycle=target.cycle,
            auto_renew=target.auto_renew,
        )
        plan_target = Plan(
            **{
                **plan_target.__dict__,
                # A new cycle is a new term of one cycle, without the discount agreed
                # for the other (subscriptions.services.subscription_one_cycle_terms).
                "term_cycles": subscription.term_cycles
                if target.cycle == subscription.cycle
                else 1,
                "discounts": held if target.cycle == subscription.cycle else (),
            }
        )
        if option is not None:
            # The option whole, from today: its term, billing and discount start the day
            # it is accepted; the unused time of this term is credited, as any change.
            plan_target = option_plan(option, version)
        term_start = license.term_start
        paid_through = _paid_through(checkout, license)
        per_cycle = subscription.billing == Billing.PER_CYCLE and subscription.term_cycles > 1
        if per_cycle and option is not None:
            # A term of several cycles invoiced one at a time has paid for the cycle under
            # way, at one cycle's price: its unused days are what an option credits.
            cycle = _cycle_under_way(subscription, license, paid_through, today)
            current = Plan(**{**current.__dict__, "term_cycles": 1})
            term_start, paid_through = cycle.starts_on, cycle.ends_on
            credited = _credited_in(license, currency, cycle)
        else:
            credited = _credited(checkout, license, currency, paid_through)
        quote = quote_change(
            current=current,
            target=plan_target,
            term_start=term_start,
            term_end=license.term_end,
            today=today,
            tax_rate=tax_rate,
            credit_balance=_license_credit(checkout, license, currency),
            prices=prices,
            paid_through=paid_through,
            credited=credited,
            new_term=option is not None,
        )
        if quote.later is not None and not license.auto_renew:
            raise QuoteRefused({"": _no_change_at_term_end(license)})
        if per_cycle and option is None and quote.lines:
            raise QuoteRefused({"": _no_change_inside_a_cycle(subscription)})
        if credited and quote.lines:
            given = Money.total((entry.amount for entry in credited), currency)
            notes.append(
                f"Credit notes gave back {given.format()} of what this term was invoiced "
                "for (an invoice voided gives back all of it), so the unused time is "
                "credited only on what was paid for it, as the credit line says; with "
                "nothing left to credit, the rest of the term is charged in full."
            )
        if (
            quote.now.cycle != current.cycle
            and paid_through is not None
            and paid_through < license.term_end
        ):
            # A new cycle starts a new term today: the free days after the paid ones go.
            notes.append(
                f"The days added to your term free of charge, "
                f"{paid_through + timedelta(days=1):%-d %B %Y} to {license.term_end:%-d %B %Y}, "
                f"end with this change: your new {BillingCycle(quote.now.cycle).label.lower()} "
                "term starts today and is paid for in full."
            )
        comparison = None
        if version.pk != current_version.pk:
            comparison = compare(
                version_snapshot(current_version),
                version_snapshot(version),
                currency=currency,
                seats=target.seats,
            )
        continuity = None
        if quote.later is not None and (
            quote.later.rank < quote.now.rank or quote.later.seats < quote.now.seats
        ):
            continuity = continuity_check(
                license=license, version=version, seats=target.seats, at=at
            )
        pending = _pending(checkout, license)
    replan = None
    renewal_listed = True
    renewal_credit = None
    if pending is not None:
        replan = _replan(catalog, license, pending, quote, version)
    if license is not None and not buys_trial_license and (replan is None or not replan.stays):
        found = renewal_after(
            license, quote, version, option=option, catalog=catalog, details=details
        )
        if found is not None:
            subscription_after, after = found
            # The plan's seats at its price per seat explain the figure only when the
            # renewal bills the plan as listed.
            renewal_listed = after.subtotal == quote.renewal
            quote = replace(quote, renewal=after.subtotal, renewal_tax=after.tax)
            renewal_credit = _renewal_credit(subscription_after, after, quote, checkout)
            if after.moves_to_successor:
                notes.append(
                    "When this term ends, the price lock on its retired version ends too: "
                    f"the renewal moves to {after.version.tier.name} v{after.version.number} "
                    f"at its price, {after.subtotal.format()} before tax."
                )
    tier_before = None if quote.current is None else quote.current.tier
    if not conversion.converts(
        trial, tier_now=quote.now.tier, rank_now=quote.now.rank, tier_before=tier_before
    ):
        trial = None
    if trial is not None and buys_trial_license and quote.now.rank < trial.tier.order:
        # Bought below the trial's tier: what the trial gave that it will not, kept
        # read-only, as a downgrade shows it.
        continuity = conversion.trial_excesses(
            license=license, version=version, seats=target.seats, at=at
        )
    return Preview(
        trial=trial,
        buys_trial_license=buys_trial_license,
        notes=notes,
        days_to_pay=_days_to_pay(details),
        checkout=checkout,
        license=license,
        target=target,
        version=version,
        quote=quote,
        comparison=comparison,
        continuity=continuity,
        pending=pending,
        replan=replan,
        tax=tax,
        tax_estimated=details is None or not details.country,
        renewal_listed=renewal_listed,
        renewal_credit=renewal_credit,
    )


def _renewal_credit(
    subscription: Subscription, renewal: NextRenewal, quote: Quote, checkout: Checkout
) -> RenewalCredit | None:
    """What the credit left once this checkout's invoice has taken its part will pay of
    the renewal after it, as the renewal panel and the reminder tell it
    (billing.renewals.summary.credited, among the organization's other renewals). None
    without credit left, and for a change whose invoice gives credit or a term invoiced
    per cycle: its own cycles would come first, which the renewal after it is not told
    from (the sentence then states the total before credit)."""
    if quote.total.amount < 0 or subscription.billing == Billing.PER_CYCLE:
        return None
    left = _license_credit(checkout, subscription.license, quote.currency) - quote.credit_applied
    if left.amount <= 0:
        return None
    summary = renewal_summary(subscription, today=quote.today, renewal=renewal)
    return credited(subscription, summary, balances=[left], today=quote.today).credit


def renewal_after(
    license: License,
    quote: Quote,
    version: TierVersion,
    *,
    option: ProposalOption | None,
    catalog: FrozenCatalog,
    details: BillingDetails | None,
) -> tuple[Subscription, NextRenewal] | None:
    """What the first renewal after confirming `quote` will bill, by the renewal's own
    rule (billing.renewals.selectors.next_renewal: a retired version's successor once its
    price lock ends, a negotiated discount still held, a term invoiced per cycle), on
    the license and subscription as the confirmation leaves them: copies changed in
    memory, nothing written. The versions and their prices come from `catalog`, the
    buyer's details are the preview's. The subscription's copy with it; None when the
    plan has no catalog price to lock or schedule (the quote's own figure stands)."""
    subscription = _subscription(license)
    after_license = copy.copy(license)  # a model's copy has its own cache of relations
    after = copy.copy(subscription)
    after.license = after_license
    cache = RenewalCache()
    current_version = catalog.version(license.version_id)
    cache.details[license.organization_id] = details
    for held in (current_version, version):
        cache.versions[held.pk] = held
        if held.successor_id is not None:
            successor = catalog.version(held.successor_id)
            cache.versions[successor.pk] = successor
            for cycle in BillingCycle.values:
                cache.prices[(successor.pk, quote.currency, cycle)] = _price_row(
                    successor, quote.currency, cycle
                )
    now, later = quote.now, quote.later
    if later is not None:
        # Scheduled for the term's end, as _schedule writes it.
        change = scheduled_change_of(license, quote, version, current_version)
        if change is None:
            return None
        cache.changes[license.pk] = [change]
    else:
        cache.changes[license.pk] = []  # the change made now leaves none for the end
    current = quote.current
    new_version = license.version_id != version.pk and (
        now.tier != current.tier or option is not None
    )
    after_version = version if new_version else current_version
    after_license.version = after_version
    after_license.seats = now.seats
    after_license.auto_renew = now.auto_renew
    if quote.new_term:
        after_license.term_start, after_license.term_end = quote.term_start, quote.term_end
        after.billing_anchor = quote.term_start
    if new_version or now.cycle != current.cycle or option is not None:
        # subscription_lock_price: the catalog price of the version, locked through the
        # term (and a retired version's notice date).
        row = _price_row(after_version, quote.currency, now.cycle)
        if row is None:
            return None
        after.cycle, after.unit_amount = row.cycle, row.amount
        after.per_seat, after.min_seats = row.per_seat, row.min_seats
        after.price_locked_until = renewal_terms.locked_until(
            term_end=after_license.term_end, notice_date=after_version.notice_date
        )
    if option is not None:
        after.term_cycles, after.billing = now.term_cycles, now.billing
        after.discount_percent = option.discount_percent
        after.discount_reason = option.discount_reason
        after.discount_ends_on = (
            agreed_discount_ends_on(quote.term_start, cycle=now.cycle, term_cycles=now.term_cycles)
            if option.discount_percent
            else None
        )
    elif now.cycle != current.cycle:  # subscription_one_cycle_terms
        after.term_cycles, after.billing = 1, Billing.UPFRONT
        after.discount_percent, after.discount_reason = Decimal(0), ""
        after.discount_ends_on = None
    return after, next_renewal(after, cache=cache)


def scheduled_change_of(
    license: License, quote: Quote, version: TierVersion, current_version: TierVersion
) -> ScheduledChange | None:
    """The change `quote` schedules for the term's end, unsaved: the target `version`
    when its tier is the one chosen for later, else the license's `current_version`, at
    its catalog price (both versions with their prices prefetched). None: that version
    has no price in the quote's currency for the later cycle."""
    later = quote.later
    scheduled = version if later.tier == version.tier.slug else current_version
    price = _price_row(scheduled, quote.currency, later.cycle)
    if price is None:
        return None
    return ScheduledChange(
        license=license,
        effective_on=quote.later_on,
        version=scheduled,
        seats=later.seats,
        cycle=later.cycle,
        price=price,
        auto_renew=later.auto_renew,
    )


def _price_row(version: TierVersion, currency: str, cycle: str) -> TierVersionPrice | None:
    """The version's catalog price in `currency` for `cycle`, from its prefetched rows."""
    return next(
        (
            row
            for row in version.price_rows.all()
            if row.currency_id == currency and row.cycle == cycle
        ),
        None,
    )


def _no_change_at_term_end(license: License) -> str:
    """Why a change that waits for the end of the term is refused while renewal is off.
    A change scheduled then would carry the renewal off with it and end the subscription
    at the term's end even after a Resume: renewal is decided by cancel and resume (or by
    staff, for a renewal by hand), never by a scheduled change."""
    if canceled_by_customer(license):
        return (
            f"Your subscription is canceled and ends on {license.term_end:%-d %B %Y}: "
            "there is no next term to change. Resume the subscription first to change "
            "what it renews to."
        )
    return (
        "This subscription is renewed by hand: your account manager will contact you "
        f"before {license.term_end:%-d %B %Y} and can change what it renews to."
    )


def _terms(version: TierVersion, plan: Plan) -> changes.Terms:
    return changes.Terms(
        version=version.pk,
        tier_name=version.tier.name,
        seats=plan.seats,
        cycle=plan.cycle,
        auto_renew=plan.auto_renew,
    )


def _now_version(catalog: FrozenCatalog, license: License, quote: Quote, target: TierVersion):
    return target if quote.now.tier == target.tier.slug else catalog.version(license.version_id)


def _replan(
    catalog: FrozenCatalog,
    license: License,
    pending: ScheduledChange,
    quote: Quote,
    version: TierVersion,
) -> changes.Replan:
    pending_version = catalog.version(pending.version_id)
    price = _catalog_prices(pending_version, quote.currency).get(pending.cycle)
    least = price.min_seats if price is not None and price.per_seat else 1
    return changes.replan(
        pending=changes.Terms(
            version=pending_version.pk,
            tier_name=pending_version.tier.name,
            seats=pending.seats,
            cycle=pending.cycle,
            auto_renew=pending.auto_renew,
            agreed=pending.proposal_option_id is not None,
        ),
        pending_on=pending.effective_on,
        current=_terms(catalog.version(license.version_id), quote.current),
        now=_terms(_now_version(catalog, license, quote, version), quote.now),
        schedules=quote.later is not None,
        term_end=quote.term_end,
        seat_range=(least, _seat_limit(pending_version)),
    )


def _credit(organization: Organization, currency: str) -> Money:
    return max(credit_balance(organization=organization, currency=currency), Money.zero(currency))


# What checkout_for_preview() read with the checkout (billing.checkout.selectors); a
# checkout read otherwise (the confirmation's, under its locks) asks the database.
def _read_with(checkout: Checkout, license: License | None, name: str):
    if license is None or checkout.license_id != license.pk:
        return MISSING
    return getattr(checkout, name, MISSING)


def _days_to_pay(details: BillingDetails | None) -> int:
    """The payment terms the invoice would be finalized with (a new organization's
    billing details are made with the defaults on its first invoice)."""
    return (details or BillingDetails()).days_to_pay


def _license_credit(checkout: Checkout, license: License, currency: str) -> Money:
    credit = _read_with(checkout, license, "preview_credit")
    if credit is MISSING:
        return _credit(checkout.organization, currency)
    # The database's SUM: exact on PostgreSQL, in floating point on SQLite (45.60 comes
    # back as 45.6000000000000, and the preview would not be what the confirmation, which
    # adds the entries up exactly, charges). Every entry holds whole cents, so their sum
    # does; the float's error is far below half a cent.
    # No entries: zero, as credit_balance() says it.
    cents = Decimal(1).scaleb(-CreditEntry._meta.get_field("amount").decimal_places)
    total = Decimal(0) if credit is None else Decimal(credit).quantize(cents)
    return max(Money(total, currency), Money.zero(currency))


def _paid_through(checkout: Checkout, license: License) -> date | None:
    """The last day of the term its price paid for: before any free extension."""
    paid = _read_with(checkout, license, "preview_paid_through")
    if paid is MISSING:
        paid = (
            SubscriptionPeriod.objects.filter(
                subscription__license=license, ends_on__lte=license.term_end, replaced=False
            )
            .exclude(reason=PeriodReason.EXTENSION)
            .order_by("-ends_on")
            .values_list("ends_on", flat=True)
            .first()
        )
    return paid


CYCLE_NOUN = {BillingCycle.MONTHLY: "month", BillingCycle.ANNUAL: "year"}


def _cycle_under_way(
    subscription: Subscription, license: License, paid_through: date | None, today: date
) -> Span:
    """The billing cycle of a term invoiced per cycle that `today` falls in, counted from
    the billing anchor; refused while it is not invoiced yet (its first day, before the
    term-end job has billed it)."""
    anchor = subscription.billing_anchor
    cycle = None
    if anchor <= today:
        cycle = period(
            anchor, index_of(anchor, today, cycle=subscription.cycle), cycle=subscription.cycle
        )
        cycle = Span(max(cycle.starts_on, license.term_start), min(cycle.ends_on, license.term_end))
    if cycle is None or paid_through is None or paid_through < cycle.ends_on:
        raise QuoteRefused(
            {
                "": f"This {CYCLE_NOUN[subscription.cycle]} of your term is not invoiced yet "
                "(the renewal job invoices it on its first day); a change can be accepted "
                "once it is."
            }
        )
    return cycle


def _no_change_inside_a_cycle(subscription: Subscription) -> str:
    noun = CYCLE_NOUN[subscription.cycle]
    return (
        f"Your term of {subscription.term_cycles} {noun}s is invoiced one {noun} at a time, "
        "so a change charged or credited now is not made here: your account manager can "
        "propose one, and a change that waits for the term's end can be scheduled here."
    )


def _credited_in(license: License, currency: str, cycle: Span) -> list[Credited]:
    """What credit notes gave back of the invoices that paid for `cycle`."""
    return [
        Credited(Money(amount, currency), first_day)
        for amount, first_day in credited_in_term(
            license, term_start=cycle.starts_on, paid_end=cycle.ends_on
        )
    ]


def _credited(
    checkout: Checkout, license: License, currency: str, paid_through: date | None
) -> list[Credited]:
    """What credit notes gave back of the invoices that paid for this term: read only
    when the preview's query found such a credit note (or the checkout was read without
    it, as the confirmation's is)."""
    if _read_with(checkout, license, "preview_corrected") is False:
        return []
    paid_end = min(paid_through or license.term_end, license.term_end)
    return _credited_in(license, currency, Span(license.term_start, paid_end))


def _running_trial(checkout: Checkout, license: License | None) -> Trial | None:
    """The trial running on the license: asked only when the preview's query found one
    (or the checkout was read without it, as the confirmation's is)."""
    trial_id = _read_with(checkout, license, "preview_trial_id")
    if trial_id is None:
        return None
    return conversion.running_trial(license)


def _pending(checkout: Checkout, license: License) -> ScheduledChange | None:
    pending_id = _read_with(checkout, license, "preview_pending_id")
    if pending_id is MISSING:
        return pending_change(license)
    if pending_id is None:
        return None
    return ScheduledChange.objects.select_related("version__tier").get(pk=pending_id)


def checkout_record_preview(*, preview: Preview, at: datetime | None = None) -> Checkout:
    """Note what was shown (the checkout's last preview and a step)."""
    target = preview.target
    seen = preview.checkout
    shown_before = seen.status == CheckoutStatus.PREVIEWED and (
        seen.tier_id,
        seen.seats,
        seen.cycle,
        seen.auto_renew,
        seen.amount_due,
    ) == (
        preview.version.tier_id,
        target.seats,
        target.cycle,
        target.auto_renew,
        preview.quote.amount_due.amount,
    )
    if shown_before:
        # A reload of the same preview is not a new step (and opens no transaction).
        return seen
    return _record_preview(preview, at or clock.now())


@transaction.atomic
def _record_preview(preview: Preview, at: datetime) -> Checkout:
    target = preview.target
    amount_due = preview.quote.amount_due.amount
    shown = {
        "status": CheckoutStatus.PREVIEWED,
        "previewed_at": at,
        "tier": preview.version.tier,
        "seats": target.seats,
        "cycle": target.cycle,
        "currency": preview.quote.currency,
        "auto_renew": target.auto_renew,
        "amount_due": amount_due,
    }
    # Only while it is open: the update waits for a confirmation that holds the row's
    # lock and then finds it closed, as a locking read would.
    updated = Checkout.objects.filter(pk=preview.checkout.pk, status__in=OPEN_CHECKOUT).update(
        **shown
    )
    if not updated:
        return Checkout.objects.get(pk=preview.checkout.pk)
    checkout = preview.checkout
    for name, value in shown.items():
        setattr(checkout, name, value)
    _record(
        checkout,
        CheckoutEvent.Step.PREVIEWED,
        at,
        tier=target.tier,
        seats=target.seats,
        cycle=target.cycle,
        amount_due=str(preview.quote.amount_due.amount),
    )
    preview.checkout = checkout
    return checkout


# --- Confirming ------------------------------------------------------------------------


@transaction.atomic
def checkout_confirm(
    *,
    checkout: Checkout,
    target: Target,
    digest: str,
    actor: licenses.Actor,
    at: datetime | None = None,
) -> Checkout:
    """Make the previewed change. Returns the confirmed checkout; a checkout confirmed
    already with this preview comes back as it is (a double click, the back button), one
    confirmed with another raises ConfirmedOtherwise. Raises StalePreview
    (with a fresh preview) when the change would no longer cost what was previewed,
    CheckoutClosed when it was abandoned, QuoteRefused for a change that cannot be made."""
    at = at or clock.now()
    # The locks in billing.locks' order: details, checkout, license, scheduled change.
    # A checkout's organization and license never change, so they are read before the
    # checkout's row is locked.
    lock_billing_details(checkout.organization)
    checkout = Checkout.objects.select_for_update().get(pk=checkout.pk)
    if checkout.status == CheckoutStatus.CONFIRMED:
        if not confirmed_as(checkout, digest):
            raise ConfirmedOtherwise(checkout, CONFIRMED_OTHERWISE)
        return checkout
    if checkout.status == CheckoutStatus.ABANDONED:
        raise CheckoutClosed(checkout, "This checkout was closed; start again from your plan.")
    license = None
    if checkout.license_id is not None:
        license = lock_license(checkout.license_id)
        # Its running trial right after it (billing.locks): a conversion closes it.
        conversion.lock_running_trial(license.pk)
        # Before the subscription (which the change below locks): the preview then
        # reads the pending change as it stays until this transaction ends.
        list(lock_scheduled_changes(license.pk))
    preview = checkout_preview(checkout=checkout, target=target, at=at, license=license)
    if preview.digest != digest:
        raise StalePreview(
            preview,
            "Something changed since you saw this preview (the choices in the form, your plan "
            "or the change scheduled on it, a price, your credit, your billing details or the "
            "tax, or the date). Here are the figures as they stand now; confirm again if they "
            "suit you.",
        )
    before = _entitlements_record(license, at) if license else {}
    terms_before = terms_of(license.pk) if license else None
    agreed_before = notices.agreed_of(license.pk) if license else None
    pending_before = (
        notices.Scheduled(preview.pending.effective_on, preview.pending.summary)
        if preview.pending is not None
        else None
    )
    reason = f"Checkout {checkout.pk} confirmed in the portal."
    quote = preview.quote
    with changes_recorded(
        license=license,
        actor=actor,
        reason=reason,
        action="checkout_confirm",
        at=at,
        checkout=checkout,
    ):
        if preview.buys_trial_license:
            # The purchase and the trial's closing are one change of the license.
            _buy_trial_license(preview, actor=actor, reason=reason, at=at)
        else:
            if preview.trial is not None:
                # First: while it runs the resolver adds the trial's version, and the
                # changes below are checked against what is bought (its seat limit).
                conversion.trial_convert(
                    trial=preview.trial, bought=preview.version.tier, actor=actor, at=at
                )
            if license is None:
                issued = _buy(checkout, preview, actor=actor, reason=reason, at=at)
                license, checkout.issued_key = issued.license, issued.key
            else:
                _change_now(license, preview, actor=actor, reason=reason, at=at)
    invoice = _invoice(checkout.organization, license, quote, at=at)
    if preview.pending is not None:
        _replan_pending(preview, checkout=checkout, user=actor.user, at=at)
    scheduled = None
    if quote.later is not None:
        scheduled = _schedule(license, preview, user=actor.user, at=at)
    license.refresh_from_db()
    checkout.license = license
    checkout.status = CheckoutStatus.CONFIRMED
    checkout.confirmed_at = at
    checkout.confirmed_digest = digest
    checkout.invoice = invoice
    checkout.scheduled_change = scheduled
    if preview.pending is not None:
        checkout.replanned_change = preview.pending
        checkout.replan_outcome = preview.replan.outcome
        checkout.replan_note = preview.replan.why[:300]
    checkout.entitlements_before = before
    checkout.entitlements_after = _entitlements_record(license, at)
    checkout.save()
    if terms_before is not None:  # a change of a plan (a purchase is told by its invoice)
        _notify_plan_changed(
            checkout, license, terms_before, agreed_before, pending_before, actor=actor, at=at
        )
    _record(
        checkout,
        CheckoutEvent.Step.CONFIRMED,
        at,
        invoice=invoice.number if invoice else None,
        scheduled=scheduled.pk if scheduled else None,
        amount_due=str(quote.amount_due.amount),
        **(
            {"replanned": preview.pending.pk, "replan": preview.replan.outcome}
            if preview.pending
            else {}
        ),
    )
    return checkout


def _notify_plan_changed(
    checkout: Checkout,
    license: License,
    terms_before,
    agreed_before: notices.Agreed,
    pending_before: notices.Scheduled | None,
    *,
    actor: licenses.Actor,
    at: datetime,
) -> None:
    """Tell the billing recipients what the confirmed checkout changed now (with a
    negotiated discount, what a cycle is billed after it, as its invoice bills it), what
    it scheduled (or left scheduled on another day) and which scheduled change it called
    off."""
    scheduled = checkout.scheduled_change
    canceled = None
    replanned = checkout.replanned_change
    if replanned is not None:
        if replanned.status == ScheduledChangeStatus.CANCELED:
            canceled = pending_before
        elif scheduled is None and checkout.replan_outcome != changes.Outcome.KEEP:
            scheduled = replanned  # moved to another day, or carrying what was set now
    terms_after = terms_of(license.pk)
    notices.plan_changed(
        license=license,
        by=notices.person(actor.user),
        effective_on=timezone.localdate(at),
        rows=notices.rows_between(terms_before, terms_after)
        + notices.price_rows_between(
            terms_before,
            terms_after,
            agreed_before,
            notices.agreed_of(license.pk),
            on=timezone.localdate(at),
        ),
        scheduled=notices.Scheduled(scheduled.effective_on, scheduled.summary)
        if scheduled is not None
        else None,
        canceled=canceled,
    )


def checkout_record_refusal(*, checkout: Checkout, why: str, at: datetime | None = None) -> None:
    """A confirmation refused (stale or closed): recorded for the analytics, after the
    refused confirmation's own transaction has rolled back."""
    _record(checkout, CheckoutEvent.Step.REFUSED, at or clock.now(), why=why)


def _buy(
    checkout: Checkout, preview: Preview, *, actor, reason: str, at: datetime
) -> licenses.IssuedKey:
    quote = preview.quote
    try:
        # A savepoint: a license of the product issued since the preview (a trial
        # started at this moment) fails this alone, and is told as the preview tells it.
        with transaction.atomic():
            issued = licenses.license_create(
                organization=checkout.organization,
                version=preview.version,
                seats=quote.now.seats,
                term_start=quote.term_start,
                term_end=quote.term_end,
                actor=actor,
                reason=reason,
                at=at,
            )
    except (ValidationError, IntegrityError):
        _refuse_a_second_license(checkout.organization, preview.target.tier)
        raise
    subscription_create(
        license=issued.license,
        currency=quote.currency,
        cycle=quote.now.cycle,
        term_cycles=quote.now.term_cycles,
        actor=actor,
        reason=reason,
        at=at,
    )
    return issued


def _buy_trial_license(preview: Preview, *, actor, reason: str, at: datetime) -> None:
    """A purchase on a trial license: the same license (and key), its first term from
    today, as quoted; its running trial closes as converted."""
    quote = preview.quote
    conversion.trial_license_buy(
        trial=preview.trial,
        version=preview.version,
        seats=quote.now.seats,
        currency=quote.currency,
        cycle=quote.now.cycle,
        term_cycles=quote.now.term_cycles,
        term_start=quote.term_start,
        term_end=quote.term_end,
        actor=actor,
        reason=reason,
        at=at,
    )


def _change_now(license: License, preview: Preview, *, actor, reason: str, at: datetime) -> None:
    quote = preview.quote
    current, now = quote.current, quote.now
    option = preview.checkout.proposal_option if preview.checkout.proposal_option_id else None
    new_version = license.version_id != preview.version.pk
    if now.tier != current.tier or (option is not None and new_version):
        # A proposal's option applies the version it quoted, even one retired since.
        licenses.license_change_version(
            license=license,
            version=preview.version,
            actor=actor,
            reason=reason,
            at=at,
            as_quoted=option is not None,
        )
    if now.seats != current.seats:
        licenses.license_change_seats(
            license=license, seats=now.seats, actor=actor, reason=reason, at=at
        )
    if quote.new_term:
        licenses.license_start_term(
            license=license,
            term_start=quote.term_start,
            term_end=quote.term_end,
            actor=actor,
            reason=reason,
            at=at,
        )
    subscription = Subscription.objects.get(license=license)
    if now.tier != current.tier or now.cycle != current.cycle or option is not None:
        subscription = subscription_lock_price(
            subscription=subscription, cycle=now.cycle, actor=actor, reason=reason, at=at
        )
    if option is None and now.cycle != current.cycle:
        subscription = subscription_one_cycle_terms(
            subscription=subscription, actor=actor, reason=reason, at=at
        )
    if option is not None:
        # The option's term, how it is invoiced and its discount, off every cycle of the
        # term (renewals inside it apply it; the first after it does not).
        subscription = subscription_set_terms(
            subscription=subscription,
            term_cycles=now.term_cycles,
            billing=now.billing,
            discount_percent=option.discount_percent,
            discount_reason=option.discount_reason,
            discount_ends_on=agreed_discount_ends_on(
                quote.term_start, cycle=now.cycle, term_cycles=now.term_cycles
            )
            if option.discount_percent
            else None,
            actor=actor,
            reason=reason,
            at=at,
        )
    if now.auto_renew != current.auto_renew:
        subscription_set_auto_renew(
            subscription=subscription,
            auto_renew=now.auto_renew,
            actor=actor,
            reason=reason,
            at=at,
            ends_with_term=True,  # the customer's choice: a cancellation
        )


def _invoice(
    organization: Organization, license: License, quote: Quote, *, at: datetime
) -> Invoice | None:
    """Issue the invoice of the quote's lines and record the periods they bill, in one
    go (a change of seats or price without lines still records its period)."""
    draft = None
    if quote.lines:
        draft = invoices.invoice_create_draft(
            organization=organization, currency=quote.currency, license=license
        )
    periods = _bill_periods(Subscription.objects.get(license=license), quote, draft, at)
    if draft is None:
        return None
    for line in quote.lines:
        invoices.invoice_add_line(
            invoice=draft,
            kind=line.kind,
            description=line.description,
            unit_price=line.unit_price,
            quantity=line.quantity,
            period_start=line.period_start,
            period_end=line.period_end,
            period=periods.get(line.kind, {}).get(line.period_start),
            list_unit_price=line.list_unit_price,
        )
    return invoices.invoice_finalize(invoice=draft, at=at)


def _bill_periods(
    subscription: Subscription, quote: Quote, invoice: Invoice | None, at: datetime
) -> dict[str, dict]:
    """Record the periods the quote bills (see billing.subscriptions.periods): a purchase's
    term, a mid-period change split off its period, a change of cycle's new term. Returns
    kind -> first day -> the period each line of that kind and first day links to."""
    lines = quote.lines
    recurring = [line for line in lines if line.kind == LineKind.RECURRING]
    off = discount_by_period(lines)
    charged = Money.zero(quote.currency)
    for line in lines:
        if line.kind == LineKind.PRORATION_CHARGE:
            charged += line.amount
    periods: dict[str, dict] = {kind: {} for kind in LineKind.values}

    def add(lines: list, reason: str) -> None:
        for line in lines:
            periods[LineKind.RECURRING][line.period_start] = subscription_period_add(
                subscription=subscription,
                span=Span(line.period_start, line.period_end),
                reason=reason,
                amount=line.amount,
                discount=off.get(line.period_start),
                invoice=invoice,
                at=at,
            )

    if quote.is_purchase:
        add(recurring, PeriodReason.PURCHASE)
        return periods
    if quote.now.same_money_terms(quote.current) and not quote.new_term:
        return periods
    if quote.new_term:
        first, *rest = recurring
        credited, new = subscription_term_restart(
            subscription=subscription,
            span=Span(first.period_start, first.period_end),
            amount=first.amount,
            discount=off.get(first.period_start),
            invoice=invoice,
            at=at,
        )
        periods[LineKind.RECURRING][first.period_start] = new
        add(rest, PeriodReason.CHANGE)
    else:
        credited, new = subscription_period_split(
            subscription=subscription, on=quote.today, amount=charged, invoice=invoice, at=at
        )
        periods[LineKind.PRORATION_CHARGE][quote.today] = new
    periods[LineKind.PRORATION_CREDIT][quote.today] = credited
    return periods


def _replan_pending(preview: Preview, *, checkout: Checkout, user, at: datetime) -> None:
    """Do to the change scheduled already what the preview said: cancel it, or keep it
    (on another day, or with what this change set carried over). Its row was locked
    with the license."""
    pending, replan = preview.pending, preview.replan
    if not replan.stays:
        pending.status = ScheduledChangeStatus.CANCELED
        pending.closed_at = at
        pending.closed_by = user
        pending.close_reason = f"Checkout {checkout.pk}: {replan.why}"
        pending.save()
        return
    if replan.outcome == changes.Outcome.KEEP:
        return
    terms = replan.terms
    now_version = _now_version(frozen_catalog(), preview.license, preview.quote, preview.version)
    pending.version_id = terms.version
    pending.seats = terms.seats
    pending.cycle = terms.cycle
    pending.auto_renew = terms.auto_renew
    pending.effective_on = replan.effective_on
    pending.price = TierVersionPrice.objects.get(
        version_id=terms.version, currency_id=preview.quote.currency, cycle=terms.cycle
    )
    pending.summary = changes.summary(_terms(now_version, preview.quote.now), terms)[:300]
    pending.save()


def _schedule(license: License, preview: Preview, *, user, at: datetime) -> ScheduledChange:
    quote = preview.quote
    catalog = frozen_catalog()
    now_version = _now_version(catalog, license, quote, preview.version)
    change = scheduled_change_of(
        license, quote, preview.version, catalog.version(license.version_id)
    )
    if change is None:  # the preview quoted a price: it is in the catalog it was read from
        raise QuoteRefused({"cycle": "That plan is no longer sold in this currency and cycle."})
    change.summary = changes.summary(
        _terms(now_version, quote.now), _terms(change.version, quote.later)
    )[:300]
    change.created_by, change.created_at = user, at
    change.save()
    return change


# --- Abandoning ------------------------------------------------------------------------


@transaction.atomic
def checkout_abandon(*, checkout: Checkout, at: datetime | None = None) -> Checkout:
    at = at or clock.now()
    checkout = Checkout.objects.select_for_update().get(pk=checkout.pk)
    if not checkout.is_open:
        return checkout
    checkout.status = CheckoutStatus.ABANDONED
    checkout.abandoned_at = at
    checkout.save()
    _record(checkout, CheckoutEvent.Step.ABANDONED, at)
    return checkout


def checkouts_abandon_stale(*, at: datetime | None = None) -> int:
    """Record as abandoned every checkout left open for a day. Safe to run twice."""
    at = at or clock.now()
    cutoff = at - timedelta(hours=ABANDON_AFTER_HOURS)
    count = 0
    for checkout in Checkout.objects.filter(
        status__in=[CheckoutStatus.STARTED, CheckoutStatus.PREVIEWED], started_at__lt=cutoff
    ).only("pk"):
        if checkout_abandon(checkout=checkout, at=at).abandoned_at == at:
            count += 1
    return count


def checkouts_next_stale(moment: datetime) -> datetime | None:
    """When the next open checkout turns stale (the test clock's quiet_until for the
    abandoning job); None: no checkout is open."""
    started = (
        Checkout.objects.filter(status__in=[CheckoutStatus.STARTED, CheckoutStatus.PREVIEWED])
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return None if started is None else started + timedelta(hours=ABANDON_AFTER_HOURS)


def _entitlements_record(license: License, at: datetime) -> dict:
    """What a license is entitled to, as kept on the checkout: its entitlements and the
    seats bought (the tier's seat limit is only the most one license may buy)."""
    return license_entitlements(license=license, at=at).as_data() | {"seats_bought": license.seats}


def confirmation_entitlement_diff(checkout: Checkout) -> dict:
    """What the confirmed change gave and took, in names: features gained and lost, and
    each limit that moved (seats: the seats bought). A purchase lists everything."""
    before, after = checkout.entitlements_before or {}, checkout.entitlements_after or {}
    old_features, new_features = set(before.get("features", [])), set(after.get("features", []))
    keys = old_features | new_features
    names = dict(Feature.objects.filter(key__in=keys).values_list("key", "name"))
    metrics = {
        key: (name, unit)
        for key, name, unit in LimitMetric.objects.filter(
            key__in=set(before.get("limits", {})) | set(after.get("limits", {}))
        ).values_list("key", "name", "unit")
    }
    limits = []
    for key in sorted(set(before.get("limits", {})) | set(after.get("limits", {}))):
        old = before.get("limits", {}).get(key, {}).get("value", 0) if before else MISSING
        new = after.get("limits", {}).get(key, {}).get("value", 0)
        if key == SEATS:
            old = before.get("seats_bought", old) if before else MISSING
            new = after.get("seats_bought", new)
        if old != new:
            name, unit = metrics.get(key, (key, ""))
            limits.append(
                {
                    "name": "Seats bought" if key == SEATS else name,
                    "unit": unit,
                    "before": None if old is MISSING else old,
                    "is_new": old is MISSING,
                    "before_unlimited": old is None,
                    "after": new,
                }
            )
    return {
        "gained": sorted(names.get(key, key) for key in new_features - old_features),
        "lost": sorted(names.get(key, key) for key in old_features - new_features),
        "limits": limits,
    }
