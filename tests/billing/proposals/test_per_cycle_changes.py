"""A term of several years invoiced one year at a time (an accepted proposal's "Each
year"): what has been paid for is the year under way, at one year's price. A change made
inside it is priced on that year, never on the whole term's price spread over one year's
days (which charged and credited three times too much, and billed the later years twice):
an option accepted later credits the unused days of the year under way at that year's
price; a self-service change that would be charged or credited now is refused with the
reason, and one that waits for the term's end is still made."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from billing.checkout.quote import QuoteRefused
from billing.invoices.kinds import LineKind
from billing.models import Invoice, Subscription, SubscriptionPeriod
from billing.money import Money
from billing.proposals.acceptance import proposal_accept
from billing.renewals.services import subscription_term_end
from billing.subscriptions.selectors import period_problems
from portal.models import OutboundEmail
from tests.helpers.checkout import confirm, preview, subscribed
from tests.helpers.proposals import sent_version

REASON = "three-year commitment"


def usd(amount) -> Money:
    return Money(Decimal(amount), "USD")


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=UTC), tick=False)


THREE_YEARS = {
    "tier": "business",
    "seats": 10,
    "term_cycles": 3,
    "billing": "per_cycle",
    "discount_percent": Decimal(20),
    "discount_reason": REASON,
}


def accept_three_years(license, catalog, owner):
    """Business, 10 seats at $390 a year, 20 % off, for three years from 14 March 2026,
    invoiced a year at a time: a sent proposal's option, accepted by `owner`. Returns the
    license as the acceptance left it (its first year invoiced)."""
    version = sent_version(license, catalog, [THREE_YEARS])
    checkout = proposal_accept(version=version, option=version.options.get(), user=owner).checkout
    return checkout.license


@pytest.fixture
def yearly_contract(license, catalog, owner, now):
    """Business, 10 seats at $390 a year, 20 % off ($3,120 a year), for three years from
    14 March 2026, invoiced a year at a time; its second year invoiced on its first day."""
    license = accept_three_years(license, catalog, owner)
    subscription = Subscription.objects.get(license=license)
    with at(date(2027, 3, 14)):
        subscription_term_end(subscription=subscription, today=date(2027, 3, 14))
    license.refresh_from_db()
    return license


def test_an_option_accepted_in_the_second_year_credits_that_years_unused_days(
    yearly_contract, catalog, owner
):
    one_year = {"tier": "business", "seats": 15, "term_cycles": 1, "billing": "upfront"}
    version = sent_version(yearly_contract, catalog, [one_year], valid_until=date(2027, 10, 13))
    with at(date(2027, 9, 14)):
        checkout = proposal_accept(
            version=version, option=version.options.get(), user=owner
        ).checkout
    credits = [
        line.amount
        for line in checkout.invoice.lines.all()
        if line.kind == LineKind.PRORATION_CREDIT
    ]
    # 182 unused of the 366 days of 14 March 2027 to 13 March 2028, of $3,120.
    assert credits == [Decimal("-1551.48")]


def test_more_seats_in_the_middle_of_a_year_are_refused_with_the_reason(yearly_contract, owner):
    organization = yearly_contract.organization
    with at(date(2026, 9, 14)), pytest.raises(QuoteRefused) as refused:
        preview(organization, yearly_contract, owner, tier="business", seats=12, cycle="annual")
    assert "invoiced one year at a time" in str(refused.value.errors[""])


def test_a_downgrade_from_the_terms_end_is_still_scheduled(yearly_contract, owner):
    organization = yearly_contract.organization
    with at(date(2026, 9, 14)):
        shown = preview(organization, yearly_contract, owner, tier="team", seats=10, cycle="annual")
    assert shown.quote.lines == ()
    assert shown.quote.later is not None
    assert shown.quote.later_on == date(2029, 3, 14)


@pytest.fixture
def accepted_yearly(license, catalog, owner):
    """The same three years from 14 March 2026, accepted, its first year invoiced."""
    return accept_three_years(license, catalog, owner)


def test_the_period_check_passes_for_a_term_billed_a_year_at_a_time(accepted_yearly, capsys):
    # The first year is billed; the later two are billed as each begins.
    assert accepted_yearly.term_end == date(2029, 3, 13)
    call_command("check_periods")
    assert "tile its term" in capsys.readouterr().out
    with at(date(2027, 3, 14)):  # the second year begins: the job bills it that day
        assert period_problems() == []
        subscription_term_end(
            subscription=Subscription.objects.get(license=accepted_yearly), today=date(2027, 3, 14)
        )
        assert period_problems() == []


def test_the_period_check_names_a_year_begun_and_not_billed(accepted_yearly):
    subscription = Subscription.objects.get(license=accepted_yearly)
    with at(date(2027, 3, 15)):
        assert period_problems() == [
            f"Subscription {subscription.pk} (Northwind): the term is invoiced a cycle at a "
            "time and the cycle ending 2028-03-13 has begun, but the last period ends on "
            "2027-03-13."
        ]


def test_the_dashboard_tells_the_next_years_invoice_as_the_job_bills_it(
    accepted_yearly, owner, teammate, client_for
):
    # Business, 10 seats at $390 a year less 20 %: $3,120 a year, no tax in the test.
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert "Next invoice" in page
    assert '<time datetime="2027-03-14">14 March 2027</time>' in page
    assert "<strong>$3,120.00</strong>" in page
    # A member reads the day, not the amount.
    shown = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Next invoice" in shown and "$3,120.00" not in shown

    with at(date(2027, 3, 14)):
        result = subscription_term_end(
            subscription=Subscription.objects.get(license=accepted_yearly), today=date(2027, 3, 14)
        )
    assert result.invoice.money("total").format() == "$3,120.00"
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert '<time datetime="2028-03-14">14 March 2028</time>' in page


def test_the_plan_changed_email_states_the_discounted_price_the_invoice_bills(accepted_yearly):
    email = OutboundEmail.objects.get(subject__contains="plan changed")
    invoice = Invoice.objects.get(license=accepted_yearly)
    charge = invoice.lines.get(kind=LineKind.RECURRING).amount
    off = -invoice.lines.get(kind=LineKind.DISCOUNT).amount
    assert (charge, off) == (Decimal("3900.00"), Decimal("780.00"))
    body = email.body_text
    assert "- Price: $190.00 per seat a year, from 3 seats → $390.00 per seat a year" in body
    assert (
        "- Negotiated discount: None → 20% off (three-year commitment), through 13 March 2029"
        in body
    )
    assert "- Billed: $950.00 a year → $3,120.00 a year ($3,900.00 less $780.00)" in body
    assert "20% off" in email.body_html and "$3,120.00 a year" in email.body_html


def test_a_period_billed_the_same_day_as_an_accepted_option_is_kept(
    organization, catalog, owner, client_for
):
    """A change to Business on 14 March (its period 14 to 31 March, on its invoice), then
    a three-year option accepted the same day: the change's period stays on record with
    its invoice and amount, credited in full by the acceptance's invoice, beside the new
    term's first period; the periods still tile the term."""
    license = subscribed(organization, catalog, "team", seats=5)
    _, change = confirm(organization, license, owner, tier="business", seats=10, cycle="monthly")
    billed = SubscriptionPeriod.objects.get(invoice=change.invoice)
    assert (billed.starts_on, billed.ends_on) == (date(2026, 3, 14), date(2026, 3, 31))
    option = {"tier": "business", "seats": 10, "term_cycles": 3, "billing": "per_cycle"}
    option |= {"discount_percent": Decimal(20), "discount_reason": REASON}
    version = sent_version(license, catalog, [option])
    accepted = proposal_accept(version=version, option=version.options.get(), user=owner).checkout

    kept = SubscriptionPeriod.objects.get(pk=billed.pk)
    assert (kept.starts_on, kept.ends_on, kept.invoice, kept.net_amount, kept.replaced) == (
        date(2026, 3, 14),
        date(2026, 3, 31),
        change.invoice,
        billed.net_amount,
        True,
    )
    credit = accepted.invoice.lines.get(kind=LineKind.PRORATION_CREDIT)
    assert (credit.period, credit.amount) == (kept, -billed.net_amount)
    new = SubscriptionPeriod.objects.get(invoice=accepted.invoice)
    assert (new.starts_on, new.ends_on, new.replaced) == (
        date(2026, 3, 14),
        date(2027, 3, 13),
        False,
    )
    assert period_problems() == []
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert change.invoice.number in page and accepted.invoice.number in page
    assert "credited in full" in page
