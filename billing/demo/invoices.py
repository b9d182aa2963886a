"""Demo invoices: something paid, something open (Northwind's month, and its onboarding
workshop, part paid by a credit note's credit), and a credit balance (Globex), for the demo
organizations that have a license, each at its subscription's locked price, currency and
cycle. No license's invoice is overdue: one overdue at build time would have dunning
suspend its license at the first clock advance (the overdue panel is shown by
tests/e2e/test_overdue_panel.py on data of its own); the workshop's, overdue for the book
of accounts (billing.demo.book), bills no license. Idempotent: an organization that
already has invoices is left as it is (they are never rewritten anyway)."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction

from billing.demo import book
from billing.demo.tax import build_tax_rates
from billing.details.services import billing_details_update
from billing.invoices import services, totals
from billing.invoices.kinds import LineKind
from billing.models import BillingDetails, Invoice, PaymentTerms, PeriodReason
from billing.payments.services import payment_record
from billing.pricing import BillingCycle
from billing.subscriptions.periods import Span, add_months, term_end_for
from billing.subscriptions.services import subscription_period_add
from licensing.models import License
from portal import clock

# The demo seller is in Ireland (settings.TIERWISE_SELLER): Northwind is domestic (Irish
# VAT), Acme and Vandelay are in the US (exports, no tax) and Globex a German business
# with a VAT ID (reverse charge).
# slug: (the customer's billing details, terms, net days)
DETAILS = {
    "northwind-analytics": (
        {
            "legal_name": "Northwind Analytics Limited",
            "address_line1": "12 Harcourt Street",
            "city": "Dublin 2",
            "postal_code": "D02 W320",
            "country": "IE",
            "tax_id": "IE 8D79739I",
            "billing_emails": ["accounts@northwind.test"],
            "po_number": "PO-2026-0042",
        },
        PaymentTerms.NET,
        30,
    ),
    "acme-robotics": (
        {
            "legal_name": "Acme Robotics, Inc.",
            "address_line1": "400 Industrial Way",
            "address_line2": "Suite 12",
            "city": "Pittsburgh",
            "postal_code": "15222",
            "region": "PA",
            "country": "US",
        },
        PaymentTerms.DUE_ON_RECEIPT,
        0,
    ),
    "globex-health": (
        {
            "legal_name": "Globex Health GmbH",
            "address_line1": "Friedrichstraße 68",
            "city": "Berlin",
            "postal_code": "10117",
            "country": "DE",
            "tax_id": "DE 136 695 976",
            "billing_emails": ["rechnungen@globex.test"],
        },
        PaymentTerms.NET,
        14,
    ),
    "vandelay-industries": (
        {
            "legal_name": "Vandelay Industries, Inc.",
            "address_line1": "129 West 81st Street",
            "city": "New York",
            "postal_code": "10024",
            "region": "NY",
            "country": "US",
            "billing_emails": ["ap@vandelay.test"],
        },
        PaymentTerms.NET,
        30,
    ),
}


def _term_invoice(
    license: License, first_day: date, last_day: date, issued_on: date | None = None
) -> Invoice:
    """One term of the license's subscription, at its locked price and currency, and
    the period it bills (the subscription's first a purchase, the next renewals)."""
    subscription = license.subscription
    price = subscription.seat_price
    invoice = services.invoice_create_draft(
        organization=license.organization, currency=subscription.currency_id, license=license
    )
    quantity = price.billed_seats(license.seats) if price.per_seat else 1
    unit_price = price.amount * subscription.term_cycles
    first = not subscription.periods.exists()
    period = subscription_period_add(
        subscription=subscription,
        span=Span(first_day, last_day),
        reason=PeriodReason.PURCHASE if first else PeriodReason.RENEWAL,
        amount=totals.line_amount(quantity=Decimal(quantity), unit_price=unit_price),
        invoice=invoice,
    )
    services.invoice_add_line(
        invoice=invoice,
        kind=LineKind.RECURRING,
        description=f"{license.version.tier.name} plan, {license.seats} seats",
        quantity=quantity,
        unit_price=unit_price,
        list_unit_price=unit_price,
        period_start=first_day,
        period_end=last_day,
        period=period,
    )
    return services.invoice_finalize(invoice=invoice, at=_business_moment(issued_on or first_day))


def _business_moment(day: date) -> datetime:
    """History is written as it happened: at nine on `day` (UTC), never after the site's
    time (portal.clock)."""
    return min(datetime.combine(day, time(9), tzinfo=UTC), clock.now())


def _month_invoice(license: License, first_day: date, issued_on: date | None = None) -> Invoice:
    return _term_invoice(
        license, first_day, term_end_for(first_day, cycle=BillingCycle.MONTHLY), issued_on
    )


def _year_invoice(license: License, first_day: date) -> Invoice:
    return _term_invoice(license, first_day, term_end_for(first_day, cycle=BillingCycle.ANNUAL))


def _paid_by_transfer(invoice: Invoice) -> Invoice:
    """The whole amount due, arrived by bank transfer five days after it was issued."""
    payment_record(
        invoice=invoice,
        amount=invoice.money("amount_due"),
        received_on=invoice.issued_on + PAID_AFTER,
        reference=f"TRF {invoice.number}",
        actor=None,
        reason="Demo: transfer on the bank statement.",
        at=_business_moment(invoice.issued_on + PAID_AFTER),
    )
    invoice.refresh_from_db()
    return invoice


@transaction.atomic
def build_invoices() -> list[str]:
    """One line per organization: what its invoices are. Monthly subscribers get a month's
    invoice each month; yearly ones a year's at the start of each term. The invoices,
    payments and credit notes of every organization are written in the order of their
    days, so each series' numbers follow the days they were issued, as in real life."""
    today = clock.today()
    this_month = today.replace(day=1)
    two_months_ago = (this_month - timedelta(days=40)).replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    summaries: dict[str, str] = {}
    made: dict[tuple[str, str], Invoice] = {}
    # (day, order of planning, what to do): an invoice, a payment or a credit note.
    steps: list[tuple[date, int, Callable[[], None]]] = []

    def plan(day: date, step: Callable[[], None]) -> None:
        steps.append((min(day, today), len(steps), step))

    def invoice(slug: str, name: str, build: Callable[[], Invoice]) -> None:
        made[slug, name] = build()

    build_tax_rates()
    for slug, (customer, terms, days) in DETAILS.items():
        license = (
            License.objects.select_related("organization", "version__tier", "subscription")
            .filter(organization__slug=slug, subscription__isnull=False)
            .first()
        )
        if license is None or Invoice.objects.filter(organization=license.organization).exists():
            continue
        billing_details_update(organization=license.organization, actor=None, **customer)
        BillingDetails.objects.filter(organization=license.organization).update(
            payment_terms=terms, net_days=days
        )
        subscription = license.subscription
        name = license.organization.name
        if subscription.cycle == BillingCycle.MONTHLY:
            for key, first_day, issued_on in (
                ("paid", two_months_ago, None),
                ("previous", last_month, None),
                ("current", this_month, today),
            ):
                plan(
                    issued_on or first_day,
                    partial(
                        invoice, slug, key, partial(_month_invoice, license, first_day, issued_on)
                    ),
                )
                if key != "current":
                    plan(first_day + PAID_AFTER, partial(_pay, made, slug, key))
            if slug == book.SLUG:
                issued_on = book.workshop_issued_on(license.organization, today)
                workshop = partial(
                    book.workshop_invoice,
                    license.organization,
                    subscription.currency_id,
                    _business_moment(issued_on),
                )
                plan(issued_on, partial(invoice, slug, "workshop", workshop))
            # The credit note's credit pays the oldest open invoice at once
            # (billing.invoices.credit): the workshop's, where there is one.
            plan(today, partial(_credit, made, slug, "paid", subscription, today))
            summaries[slug] = (
                f"{name}: {{paid}} and {{previous}} paid, {{current}} open, "
                "a credit note's credit paid part of the oldest open invoice"
            )
        else:
            year_before = add_months(license.term_start, -12)
            for key, first_day in (("paid", year_before), ("current", license.term_start)):
                plan(
                    first_day,
                    partial(invoice, slug, key, partial(_year_invoice, license, first_day)),
                )
                # The current one paid too. Acme's terms are due on receipt and it is in a
                # Business trial (licensing.demo.trials): an invoice overdue since its term
                # began would have dunning suspend it at the first clock advance.
                plan(first_day + PAID_AFTER, partial(_pay, made, slug, key))
            if terms == PaymentTerms.DUE_ON_RECEIPT:
                summaries[slug] = f"{name}: {{paid}} and {{current}} paid (due on receipt)"
            else:
                on = max(today - timedelta(days=30), license.term_start + PAID_AFTER)
                plan(on, partial(_credit, made, slug, "current", subscription, on))
                summaries[slug] = (
                    f"{name}: {{paid}} and {{current}} paid, credit from a credit note"
                )
    for _, _, step in sorted(steps, key=lambda s: (s[0], s[1])):
        step()
    return [
        summary.format(**{key: made[key_slug, key] for key_slug, key in made if key_slug == slug})
        for slug, summary in summaries.items()
    ]


# A demo transfer arrives five days after the invoice it pays was issued.
PAID_AFTER = timedelta(days=5)


def _pay(made: dict, slug: str, key: str) -> None:
    made[slug, key] = _paid_by_transfer(made[slug, key])


def _credit(made: dict, slug: str, key: str, subscription, on: date) -> None:
    _credit_two_seats(made[slug, key], subscription, on)


def _credit_two_seats(invoice: Invoice, subscription, on: date) -> None:
    price = subscription.seat_price
    seats = 2 if price.per_seat else 1
    services.credit_note_issue(
        invoice=invoice,
        subtotal=price.amount * subscription.term_cycles * seats,
        reason="Two seats billed twice; the credit pays open invoices first."
        if price.per_seat
        else "Billed twice; the credit pays open invoices first.",
        at=_business_moment(on),
    )
