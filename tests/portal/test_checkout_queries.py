"""What a checkout preview costs in SQL, as the demo's owner of Northwind Analytics (the
whole demo: her organizations, license, subscription, invoices, credit): at most 12
queries for the page and for the htmx fragment that redraws as she types. The published
versions come from the catalog each process holds, and a publish or a retire is seen at
once."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.checkout.services import checkout_preview
from billing.invoices.selectors import invoice_outstanding
from billing.invoices.services import billing_details_for, credit_note_issue
from billing.models import Checkout, CheckoutEvent, InvoiceStatus
from billing.money import Money
from billing.payments.services import payment_record
from licensing.catalog.publishing import tier_version_create_draft, tier_version_publish
from licensing.catalog.selectors import versions_with_parts
from licensing.licenses.services import licenses_open
from licensing.models import Tier, TierVersion, TierVersionPrice, VersionStatus
from portal.models import Organization, User
from tests.helpers.checkout import confirm

MAX_QUERIES = 12
SLUG = "northwind-analytics"
# From Team with 12 seats to Business with 14, as bench/checkout.py asks for.
ASKED = {"tier": "business", "seats": 14, "cycle": "monthly", "auto_renew": "on", "submitted": 1}
FRAGMENT = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def demo(db, now):
    call_command("demo", force=True, verbosity=0)


@pytest.fixture
def owner_client(client, demo):
    client.force_login(User.objects.get(email="olivia@northwind.test"))
    return client


@pytest.fixture
def checkout_url(owner_client):
    started = owner_client.get(f"/app/{SLUG}/checkout/")
    assert started.status_code == 302
    return started["Location"].split("?")[0]


def _shows_a_preview(response, *, whole: bool) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert "Due by" in html and "Business" in html
    assert ("<html" in html) is whole
    return html


def test_it_previews_a_change_in_at_most_12_queries(
    owner_client, checkout_url, django_assert_max_num_queries
):
    # The first reads the catalog this process then holds: two versions with their
    # features, limits and prices (four queries each) and the tiers on offer.
    with django_assert_max_num_queries(MAX_QUERIES + 9):
        _shows_a_preview(owner_client.get(checkout_url, ASKED), whole=True)
    with django_assert_max_num_queries(MAX_QUERIES):
        _shows_a_preview(owner_client.get(checkout_url, ASKED), whole=True)
    with django_assert_max_num_queries(MAX_QUERIES):
        _shows_a_preview(owner_client.get(checkout_url, ASKED, **FRAGMENT), whole=False)


def test_each_typed_change_is_previewed_and_recorded_in_at_most_12_queries(
    owner_client, checkout_url, django_assert_max_num_queries
):
    _shows_a_preview(owner_client.get(checkout_url, ASKED, **FRAGMENT), whole=False)
    for seats in (15, 16, 17):
        with django_assert_max_num_queries(MAX_QUERIES):
            html = _shows_a_preview(
                owner_client.get(checkout_url, ASKED | {"seats": seats}, **FRAGMENT), whole=False
            )
        assert f"Business, {seats} seats, monthly" in html
    steps = CheckoutEvent.objects.filter(
        step=CheckoutEvent.Step.PREVIEWED, checkout__organization__slug=SLUG
    )
    assert [event.data["seats"] for event in steps.order_by("pk")] == [14, 15, 16, 17]


def _publish_business_at(monthly: str) -> TierVersion:
    """A new version of Business whose monthly USD price is `monthly` a seat."""
    published = versions_with_parts().get(tier__slug="business", status=VersionStatus.PUBLISHED)
    draft = tier_version_create_draft(tier=published.tier, source=published)
    draft.changelog_note = "New price."
    draft.save()
    price = TierVersionPrice.objects.get(version=draft, currency_id="USD", cycle="monthly")
    price.amount = monthly
    price.save()
    return tier_version_publish(version=draft)


def test_a_new_publication_is_previewed_at_once(owner_client, checkout_url):
    before = owner_client.get(checkout_url, ASKED, **FRAGMENT)
    _shows_a_preview(before, whole=False)
    assert "$999.00" not in before.content.decode()
    version = _publish_business_at("999.00")
    after = owner_client.get(checkout_url, ASKED, **FRAGMENT)
    assert "$999.00" in _shows_a_preview(after, whole=False)
    assert after.context["preview"].version == version


def test_a_tier_taken_off_offer_is_refused_at_once(owner_client, checkout_url):
    _shows_a_preview(owner_client.get(checkout_url, ASKED, **FRAGMENT), whole=False)
    business = Tier.objects.get(slug="business")
    business.is_public = False
    business.save()
    refused = owner_client.get(checkout_url, ASKED, **FRAGMENT)
    # A 422: htmx swaps it in place of the preview (and its Confirm button).
    assert refused.status_code == 422
    assert "data-confirms-preview" not in refused.content.decode()
    assert "Choose one of the tiers on offer." in refused.content.decode()


def test_the_page_prices_tax_credit_and_a_pending_change_as_the_confirmation_does(
    owner_client, checkout_url
):
    """The page reads the tax rate, the credit and a pending change with the checkout
    (billing.checkout.selectors); the confirmation reads them itself, under its locks.
    Both must come to the same preview."""
    organization = Organization.objects.get(slug=SLUG)
    owner = User.objects.get(email="olivia@northwind.test")
    details = billing_details_for(organization=organization)
    details.tax_rate_override = Decimal("19.00")
    details.tax_override_reason = "An exemption certificate"
    details.save()
    # Credit that waits for the next invoice: none is owed (credit pays open invoices
    # first), then a credit note.
    for invoice in organization.invoices.filter(status=InvoiceStatus.OPEN):
        payment_record(
            invoice=invoice,
            amount=invoice_outstanding(invoice=invoice),
            received_on=invoice.issued_on,
            reference=f"TRF {invoice.number}",
            actor=None,
            reason="On the statement.",
        )
    paid = organization.invoices.filter(status=InvoiceStatus.PAID).order_by("pk").first()
    credit_note_issue(
        invoice=paid, subtotal=Money(Decimal("20"), paid.currency), reason="Goodwill."
    )
    license = licenses_open(organization)[0]
    _, scheduled = confirm(organization, license, owner, tier="team", seats=10, cycle="monthly")
    page = owner_client.get(checkout_url, ASKED, **FRAGMENT)
    html = _shows_a_preview(page, whole=False)
    assert "scheduled change" in html
    shown = page.context["preview"]
    assert shown.quote.tax_rate == Decimal("19.00")
    assert shown.quote.credit_applied.amount > 0
    assert shown.pending == scheduled.scheduled_change
    checkout = Checkout.objects.get(token=checkout_url.rstrip("/").rsplit("/", 1)[-1])
    fresh = checkout_preview(checkout=checkout, target=shown.target)
    assert (fresh.digest, fresh.pending, fresh.quote.credit_applied) == (
        shown.digest,
        shown.pending,
        shown.quote.credit_applied,
    )


def test_each_preview_reads_the_billing_details_as_they_are_now(owner_client, checkout_url):
    """The details come joined to the checkout (one query fewer per preview than reading
    them apart): a change between two previews shows in the next one, in the tax, the
    invoice's due date and who it is made out to."""
    before = owner_client.get(checkout_url, ASKED, **FRAGMENT)
    _shows_a_preview(before, whole=False)
    assert before.context["preview"].quote.tax_rate == Decimal("23.00")
    details = billing_details_for(organization=Organization.objects.get(slug=SLUG))
    details.legal_name = "Northwind Renamed Limited"
    details.net_days = 45
    details.tax_rate_override = Decimal("19.00")
    details.tax_override_reason = "An exemption certificate"
    details.save()
    after = owner_client.get(checkout_url, ASKED)
    html = _shows_a_preview(after, whole=True)
    preview = after.context["preview"]
    assert preview.quote.tax_rate == Decimal("19.00")
    assert preview.days_to_pay == 45
    assert "net 45 days" in html
    assert "Northwind Renamed Limited" in html
    assert after.context["invoice_to"].details.legal_name == "Northwind Renamed Limited"
