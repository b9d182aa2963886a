"""A proposal accepted in a real browser: the owner follows the dashboard's link to the
proposal, reads the options side by side, accepts the three-year option, sees exactly
what is invoiced, confirms, and finds the license and the invoice changed as the
proposal said. axe finds nothing serious at desktop and phone widths, and nothing
scrolls sideways. The proposal is made with the models (tests.helpers.proposals).

Screenshots land in /tmp/shots/ for a person to look at."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import BillingDetails, Invoice, ProposalStatus, ScheduledChange
from billing.subscriptions.periods import term_end_for
from licensing.demo.catalog import build_catalog
from tests.e2e.test_checkout import ROWS, review, sign_in  # noqa: F401 (the screenshots and axe)
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import Catalog
from tests.helpers.proposals import sent_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "three-year commitment"


@pytest.fixture
def version(transactional_db, organization, owner):
    build_catalog()
    BillingDetails.objects.create(
        organization=organization,
        legal_name="Northwind Ltd",
        address_line1="1 Main Street",
        city="Dublin",
        country="IE",
    )
    today = timezone.localdate()
    start = today - timedelta(days=40)
    license = subscribed(
        organization,
        Catalog(),
        "team",
        seats=5,
        cycle="annual",
        term_start=start,
        term_end=term_end_for(start, cycle="annual"),
    )
    return sent_version(
        license,
        Catalog(),
        [
            {"tier": "team", "seats": 8},
            {
                "tier": "business",
                "seats": 10,
                "term_cycles": 3,
                "discount_percent": Decimal(20),
                "discount_reason": REASON,
            },
        ],
        valid_until=today + timedelta(days=30),
        prepared_by=owner,
        cover_note="As discussed: three years of Business at a fifth off.",
    )


def test_the_owner_accepts_the_three_year_option_and_gets_what_it_said(
    page,
    live_server,
    login,
    owner,
    version,
    review,  # noqa: F811 (the fixture imported above)
):
    login(owner)
    page.goto(f"{live_server.url}/app/{version.proposal.organization.slug}/")
    page.get_by_role("link", name=f"Read the proposal {version.label}").click()
    expect(page.get_by_role("heading", name=f"Proposal {version.label}")).to_be_visible()
    expect(page.get_by_text(f"Negotiated discount 20% ({REASON})")).to_be_visible()
    review("proposal")

    page.get_by_role("link", name=f"Accept option 2 of {version.label}").click()
    expect(page.get_by_role("heading", name="Accept option 2")).to_be_visible()
    review("proposal-accept")
    invoice_table = page.get_by_role("region", name="The invoice issued when you confirm")
    shown = invoice_table.locator("tbody tr").evaluate_all(ROWS)
    assert [row[0] for row in shown[1:]] == [
        "Business, 10 seats, annual (1 of 3)",
        f"Negotiated discount 20% ({REASON})",
        "Business, 10 seats, annual (2 of 3)",
        f"Negotiated discount 20% ({REASON})",
        "Business, 10 seats, annual (3 of 3)",
        f"Negotiated discount 20% ({REASON})",
    ]
    assert [row[-1] for row in shown[1:]] == ["$3,900.00", "\u2212$780.00"] * 3

    page.get_by_role("button", name="Confirm and accept option 2").click()
    expect(page.get_by_role("heading", name="Your change is confirmed")).to_be_visible()
    review("proposal-accepted")

    version.refresh_from_db()
    assert version.status == ProposalStatus.ACCEPTED
    license = version.proposal.license
    license.refresh_from_db()
    assert (license.version.tier.slug, license.seats) == ("business", 10)
    assert license.term_end == term_end_for(timezone.localdate(), cycle="annual", cycles=3)
    invoice = Invoice.objects.get(license=license)
    assert [
        (line.description, f"{line.amount:.2f}") for line in invoice.lines.order_by("position")
    ][1:] == [
        (row[0], row[-1].replace("$", "").replace(",", "").replace("\u2212", "-"))
        for row in shown[1:]
    ]
    # The proposal now says it was accepted, and offers nothing more to confirm.
    page.goto(
        f"{live_server.url}/app/{version.proposal.organization.slug}/proposals/"
        f"{version.proposal.pk}/"
    )
    expect(page.get_by_text("Accepted on")).to_be_visible()
    expect(page.get_by_role("link", name="Accept option 1")).to_have_count(0)
    review("proposal-answered")


def test_without_javascript_a_billing_admin_accepts_renewing_as_is(
    page_without_javascript, live_server, organization, billing_admin, version
):
    """The renew-as-is option, accepted with JavaScript off: nothing is invoiced now,
    the change waits for the term's end, and the proposal says it was accepted."""
    renew = sent_version(
        version.proposal.license,
        Catalog(),
        [
            {
                "seats": 5,
                "term_cycles": 2,
                "billing": "per_cycle",
                "discount_percent": Decimal(10),
                "discount_reason": "loyalty",
                "renew_as_is": True,
            }
        ],
        valid_until=version.valid_until,
    )
    page = page_without_javascript
    sign_in(page, live_server, billing_admin)
    slug = organization.slug
    page.goto(f"{live_server.url}/app/{slug}/proposals/{renew.proposal.pk}/")
    page.get_by_role("link", name=f"Accept option 1 of {renew.label}").click()
    expect(page.get_by_role("heading", name="What happens at the end of your term")).to_be_visible()
    expect(page.get_by_text("less the negotiated discount of 10% (loyalty)")).to_be_visible()
    page.get_by_role("button", name="Confirm and accept option 1").click()
    expect(page.get_by_text(f"You accepted {renew.label}: it renews as agreed on")).to_be_visible()
    renew.refresh_from_db()
    assert renew.status == ProposalStatus.ACCEPTED
    change = ScheduledChange.objects.get(proposal_option=renew.accepted_option)
    assert (change.term_cycles, change.discount_percent) == (2, Decimal(10))
    assert not Invoice.objects.exists()


def test_three_options_side_by_side_show_every_net_price_whole(
    page, live_server, login, owner, version
):
    """Three cards side by side are narrower than one on a phone: each card's price per
    year fits it at every width, so no net price is cut off at the card's edge."""
    three = sent_version(
        version.proposal.license,
        Catalog(),
        [
            {"seats": 12, "renew_as_is": True},
            {
                "tier": "business",
                "seats": 16,
                "discount_percent": Decimal(20),
                "discount_reason": REASON,
            },
            {
                "tier": "business",
                "seats": 15,
                "term_cycles": 3,
                "billing": "per_cycle",
                "discount_percent": Decimal(20),
                "discount_reason": REASON,
            },
        ],
        valid_until=version.valid_until,
    )
    login(owner)
    page.goto(
        f"{live_server.url}/app/{three.proposal.organization.slug}/proposals/{three.proposal.pk}/"
    )
    for width in (1280, 1024, 800, 640, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for position in (1, 2, 3):
            region = page.get_by_role("region", name=f"Price per year, option {position}")
            scroll, client = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
            assert scroll <= client, f"option {position}'s prices are cut off at {width}px"
