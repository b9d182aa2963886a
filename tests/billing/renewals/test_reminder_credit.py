"""A renewal reminder to an organization that holds credit says what the renewal panel
says (billing.renewals.summary.with_credit, through `credited`): the total, what the
credit pays of it and the amount due, shared with the organization's other renewals in
the order they are invoiced; to the cent what the renewal's invoice then applies and
asks. "Now" is 14 March 2026; each run travels to its day, on the test clock."""

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import time_machine

from billing.models import BillingDetails
from billing.money import Money
from billing.renewals.reminder_tasks import send_renewal_reminders
from billing.renewals.services import Outcome, subscription_renew
from portal import clock
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed
from tests.portal.test_renewal_panel import (
    DASHBOARD,
    figure,
    hold_credit,
    renewal_list,
    widget_license,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _simulated(settings):
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


def send_reminders(day: date) -> None:
    with time_machine.travel(datetime.combine(day, time(7), UTC), tick=False):
        send_renewal_reminders.apply(throw=True).get()


def renew(license, day: date):
    license.refresh_from_db()
    with time_machine.travel(datetime.combine(day, time(0, 2), UTC), tick=False):
        result = subscription_renew(
            subscription=license.subscription,
            today=day,
            at=datetime.combine(day, time(0, 2), UTC),
        )
    assert result.outcome == Outcome.RENEWED
    return result.invoice


def reminder_to(address: str, license) -> OutboundEmail:
    (email,) = OutboundEmail.objects.filter(
        to=address, subject__contains=f"Your {license.product.name} license renews"
    )
    return email


def told_in_text(body: str) -> tuple[str, str, str]:
    """Total, paid from credit and amount due, as the text body states them."""
    return tuple(
        re.search(rf"^{label}: (\S+\d)", body, re.MULTILINE).group(1)
        for label in ("Total", "Paid from credit balance", "Amount due")
    )


def told_in_html(body: str) -> tuple[str, str, str]:
    cells = re.findall(r'white-space:nowrap;">(\S+\d)</td>', body)
    return tuple(cells[-3:])


def as_invoiced(invoice) -> tuple[str, str, str]:
    return (
        invoice.money("total").format(),
        (-invoice.money("credit_applied")).format(),
        invoice.money("amount_due").format(),
    )


@pytest.mark.parametrize("credit", ["33.37", "150.00"], ids=["pays-part", "pays-it-all"])
def test_the_reminder_tells_what_the_credit_pays_as_the_invoice_then_does(
    client_for, organization, owner, catalog, now, credit
):
    """Team, 5 seats, monthly ($95.00) at 20 % tax: $114.00, renewing on 1 April; the
    7-day reminder goes on 25 March. It said $114.00 and nothing of the credit."""
    BillingDetails.objects.create(
        organization=organization,
        tax_rate_override=Decimal("20"),
        tax_override_reason="A rate staff set, with its reason",
    )
    team = subscribed(organization, catalog, seats=5)
    hold_credit(organization, Money(Decimal(credit), "USD"))
    panel = renewal_list(client_for(owner).get(DASHBOARD).content.decode(), team)

    send_reminders(date(2026, 3, 25))
    email = reminder_to(owner.email, team)
    invoice = renew(team, date(2026, 4, 1))

    assert not invoice.money("credit_applied").is_zero
    assert told_in_text(email.body_text) == as_invoiced(invoice)
    assert told_in_html(email.body_html) == as_invoiced(invoice)
    # The same as the renewal panel says.
    assert as_invoiced(invoice) == (
        figure(panel, "Will bill"),
        figure(panel, "Paid from credit balance"),
        figure(panel, "Amount due"),
    )


def test_two_reminders_share_the_credit_in_the_order_the_renewals_are_invoiced(
    organization, owner, catalog, now
):
    """$100.00 of credit (no tax), both reminders sent on 26 March, before either
    renewal: Team renews on 1 April ($95.00) and takes $95.00; Widget on 2 April ($29.00)
    gets the $5.00 left. Told on its own, Widget's reminder would say $29.00 paid."""
    widget = widget_license(organization, date(2026, 3, 2), date(2026, 4, 1))
    team = subscribed(organization, catalog, seats=5)
    hold_credit(organization, Money(Decimal("100.00"), "USD"))

    send_reminders(date(2026, 3, 26))
    emails = {
        "Team": reminder_to(owner.email, team),
        "Widget": reminder_to(owner.email, widget),
    }
    invoices = {"Team": renew(team, date(2026, 4, 1)), "Widget": renew(widget, date(2026, 4, 2))}

    assert {name: told_in_text(email.body_text) for name, email in emails.items()} == {
        name: as_invoiced(invoice) for name, invoice in invoices.items()
    }
    assert invoices["Widget"].money("credit_applied") == Money(Decimal("5.00"), "USD")


def test_without_credit_the_reminder_tells_the_total_only(organization, owner, catalog, now):
    team = subscribed(organization, catalog, seats=5)
    send_reminders(date(2026, 3, 25))
    body = reminder_to(owner.email, team).body_text
    assert "Total: $95.00" in body
    assert "credit" not in body.lower() and "Amount due" not in body
