"""The checkout's "Afterwards each term renews on its own from … for …" with credit held:
what the credit left once this change's invoice has taken its part will pay of that
renewal, and the amount due, as the renewal panel and the reminder tell it
(billing.renewals.summary.credited); to the cent what the renewal's invoice then
applies and asks. It stated the total before credit. "Now" is 14 March 2026."""

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from billing.models import BillingDetails
from billing.money import Money
from billing.renewals.services import Outcome, subscription_renew
from tests.helpers.checkout import confirm, subscribed
from tests.portal.test_renewal_panel import hold_credit

pytestmark = pytest.mark.django_db


def sentence_of(client, organization, **target) -> str:
    start = client.get(f"/app/{organization.slug}/checkout/", {"tier": "team"})
    url = start["Location"].split("?")[0]
    html = client.get(url, {**target, "submitted": 1}).content.decode()
    html = " ".join(html.split())
    return html[html.index("renews on its own from") :].split("</p>")[0]


@pytest.mark.parametrize("credit", ["50.00", "400.00"], ids=["pays-part", "pays-it-all"])
def test_the_renewal_sentence_tells_what_the_credit_left_pays(
    client_for, organization, catalog, owner, now, credit
):
    """Team, monthly, 5 seats for March at 20 % tax, one seat more from 14 March: the
    change's invoice takes its part of the credit first; the renewal on 1 April (6 seats,
    $114.00 + $22.80 tax) gets what is left."""
    BillingDetails.objects.create(
        organization=organization,
        tax_rate_override=Decimal("20"),
        tax_override_reason="A rate staff set, with its reason",
    )
    license = subscribed(organization, catalog, "team", seats=5)
    hold_credit(organization, Money(Decimal(credit), "USD"))
    target = {"tier": "team", "seats": 6, "cycle": "monthly", "auto_renew": True}

    sentence = sentence_of(client_for(owner), organization, **target)
    shown, _ = confirm(organization, license, owner, **target)
    assert not shown.quote.credit_applied.is_zero
    license.refresh_from_db()
    result = subscription_renew(
        subscription=license.subscription,
        today=date(2026, 4, 1),
        at=datetime.combine(date(2026, 4, 1), time(0, 2), UTC),
    )

    assert result.outcome == Outcome.RENEWED
    invoice = result.invoice
    assert not invoice.money("credit_applied").is_zero
    assert "for <strong>$114.00</strong> plus $22.80 tax" in sentence
    assert invoice.money("total").format() == "$136.80"
    told = re.search(
        r"Paid from your credit balance: (\S+); amount due then: <strong>(\S+)</strong>",
        sentence,
    )
    assert told is not None, sentence
    assert told.groups() == (
        (-invoice.money("credit_applied")).format(),
        invoice.money("amount_due").format(),
    )


def test_without_credit_the_sentence_states_the_total_only(
    client_for, organization, catalog, owner, now
):
    subscribed(organization, catalog, "team", seats=5)
    sentence = sentence_of(
        client_for(owner), organization, tier="team", seats=6, cycle="monthly", auto_renew=True
    )
    assert "<strong>$114.00</strong>" in sentence
    assert "credit" not in sentence


def paragraphs_of(client, organization, **target) -> list[str]:
    """The checkout preview's paragraphs, whitespace collapsed, in page order."""
    start = client.get(f"/app/{organization.slug}/checkout/", {"tier": "team"})
    url = start["Location"].split("?")[0]
    html = " ".join(client.get(url, {**target, "submitted": 1}).content.decode().split())
    return re.findall(r"<p[^>]*>(.*?)</p>", html)


@pytest.mark.parametrize(
    ("credit", "today"),
    [
        ("400.00", "Today's invoice: nothing is left to pay, your credit balance covers it."),
        ("0.00", "Today's invoice: issued today and due by"),
    ],
    ids=["credit-covers-it", "due-later"],
)
def test_todays_invoice_is_told_apart_from_the_renewal(
    client_for, organization, catalog, owner, now, credit, today
):
    """What is left to pay of today's invoice is its own sentence, before the renewal's:
    after "amount due then: $0.00" it read as if said of the renewal."""
    subscribed(organization, catalog, "team", seats=5)
    if Decimal(credit):
        hold_credit(organization, Money(Decimal(credit), "USD"))

    paragraphs = paragraphs_of(
        client_for(owner), organization, tier="team", seats=6, cycle="monthly", auto_renew=True
    )

    (renewal,) = [index for index, text in enumerate(paragraphs) if "renews on its own" in text]
    (told,) = [index for index, text in enumerate(paragraphs) if text.startswith(today)]
    assert told < renewal
    assert "today" not in paragraphs[renewal].lower()
    assert "Nothing is left to pay" not in paragraphs[renewal]
