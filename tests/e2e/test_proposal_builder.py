"""The proposal builder in a real browser: Maya, an account manager, builds a proposal
with three options (one 20 % off, so it needs approval) and submits it; an admin
approves it from the approvals page; Maya sends it from the builder, after a
confirmation naming who receives it, and finds it on the account's page. axe finds
nothing serious at desktop and phone widths, and nothing scrolls sideways.
Screenshots land in /tmp/shots/proposals/."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import ProposalEvent, ProposalStatus
from billing.subscriptions.periods import term_end_for
from licensing.demo.catalog import build_catalog
from portal.models import ACCOUNT_MANAGERS_GROUP, ADMINS_GROUP
from tests.factories import PASSWORD, UserFactory
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import Catalog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/proposals")
WIDTHS = (1280, 390)


@pytest.fixture
def review(page, axe):
    SHOTS.mkdir(parents=True, exist_ok=True)

    def check(label: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(SHOTS / f"{label}-{width}.png"), full_page=True)
            axe(f"{label} at {width}px")
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{label} scrolls sideways at {width}px"
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    return check


@pytest.fixture
def maya(transactional_db, organization):
    user = UserFactory(email="maya@tierwise.test", first_name="Maya", is_staff=True)
    user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    organization.account_manager = user
    organization.save()
    return user


@pytest.fixture
def admin(transactional_db):
    user = UserFactory(email="ada@tierwise.test", first_name="Ada", is_staff=True)
    user.groups.add(Group.objects.get(name=ADMINS_GROUP))
    return user


@pytest.fixture
def license(transactional_db, organization):
    build_catalog()
    start = timezone.localdate() - timedelta(days=60)
    return subscribed(
        organization,
        Catalog(),
        "team",
        seats=5,
        cycle="annual",
        term_start=start,
        term_end=term_end_for(start, cycle="annual"),
    )


def label(text: str) -> re.Pattern:
    """A field's label, with or without the required marker."""
    return re.compile(rf"^{re.escape(text)}\W*$")


def add_option(
    page,
    *,
    tier=None,
    seats=None,
    term=None,
    invoiced=None,
    discount=None,
    reason=None,
    renew=False,
):
    form = page.locator(".proposal-add")
    if tier:
        form.get_by_label(label("Tier")).select_option(label=tier)
    if seats:
        form.get_by_label(label("Seats")).fill(seats)
    if term:
        form.get_by_label(label("Term")).select_option(label=term)
    if invoiced:
        form.get_by_label(label("Invoiced")).select_option(label=invoiced)
    if discount:
        form.get_by_label("Discount (%)").fill(discount)
    if reason:
        form.get_by_label("Reason for the discount").fill(reason)
    if renew:
        form.get_by_label(re.compile("^Renew as is")).check()
    form.get_by_role("button", name="Add option").click()


def test_maya_builds_three_options_an_admin_approves_and_maya_sends_it(
    page, live_server, login, maya, admin, license, organization, owner, review
):
    login(maya)
    page.goto(f"{live_server.url}/manage/proposals/organizations/{organization.slug}/")
    review("organization")
    page.get_by_role("button", name=re.compile("^New proposal")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^P-\d{4}-0001 v1$"))
    number = page.get_by_role("heading", level=1).inner_text().split()[0]
    review("builder-empty")

    add_option(page, renew=True)
    expect(page.get_by_role("heading", name=re.compile("^Option 1: Team v2"))).to_be_visible()
    add_option(
        page,
        tier="Business v1",
        seats="12",
        term="3 years",
        discount="20",
        reason="Three-year commitment",
    )
    # What went wrong is said beside the field, and nothing is written.
    add_option(page, tier="Enterprise v1", seats="3", term="2 years", invoiced="Each year")
    expect(page.get_by_text("Enterprise is sold from 25 seats.")).to_be_visible()
    review("builder-error")
    add_option(page, tier="Enterprise v1", seats="25", term="2 years", invoiced="Each year")

    option2 = page.get_by_role("article").filter(has_text="Option 2: Business")
    path = option2.get_by_role("table")
    expect(path.locator("tbody tr")).to_have_count(4)  # three years and the total
    expect(path.locator("tbody tr").last).to_contain_text("$11,232.00")  # 12 x $390 x 3, 20 % off
    expect(page.get_by_role("article")).to_have_count(3)
    review("builder-three-options")

    page.get_by_role("textbox", name="Cover note").fill(
        "Dear Olivia, three ways forward for Northwind."
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Submitted for approval.")).to_be_visible()
    expect(page.locator(".page-lede .badge")).to_have_text("Awaiting approval")
    page.get_by_role("link", name="Proposals", exact=True).click()
    expect(page.get_by_role("link", name=f"{number} v1")).to_be_visible()
    review("list")

    page.context.clear_cookies()
    login(admin)
    page.goto(f"{live_server.url}/manage/proposals/approvals/")
    review("approvals")
    page.get_by_role("link", name=f"{number} v1").click()
    review("builder-awaiting")
    page.get_by_role("textbox", name="Comment").fill("20% for three years is fine.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"{number} approved.")).to_be_visible()

    page.goto(f"{live_server.url}/manage/proposals/{number}/")
    expect(page.locator(".page-lede .badge")).to_have_text("Approved, ready to send")
    review("builder-approved")
    approved = ProposalEvent.objects.get(kind="approved")
    assert (approved.actor, approved.comment) == (admin, "20% for three years is fine.")
    version = approved.proposal_version
    assert version.status == ProposalStatus.APPROVED
    assert [
        (o.tier_version.tier.slug, o.seats, o.term_cycles, o.billing, o.discount_percent)
        for o in version.options.order_by("position")
    ] == [
        ("team", 5, 1, "upfront", 0),
        ("business", 12, 3, "upfront", 20),
        ("enterprise", 25, 2, "per_cycle", 0),
    ]

    page.context.clear_cookies()
    login(maya)
    page.goto(f"{live_server.url}/manage/proposals/{number}/")
    send = page.locator(".proposal-send")
    expect(send.get_by_role("heading")).to_have_text(f"Send {number} v1 to the customer")
    expect(send.get_by_role("listitem")).to_have_text([owner.email])
    send.get_by_role("button", name="Send to the customer").click()
    expect(page.get_by_text(f"{number} v1 sent to the customer.")).to_be_visible()
    expect(page.locator(".page-lede .badge")).to_have_text("Sent")
    sent = page.locator("section[aria-labelledby=sent-title]")
    expect(sent.get_by_role("row").nth(1)).to_contain_text(f"{number} v1")
    expect(sent.get_by_role("link", name=f"Download {number} v1")).to_be_visible()
    review("builder-sent")
    version.refresh_from_db()
    assert version.status == ProposalStatus.SENT and version.sent_by == maya
    assert ProposalEvent.objects.filter(kind="sent", proposal_version=version).exists()

    page.goto(f"{live_server.url}/manage/")
    expect(page.get_by_role("link", name=f"Open proposal for {organization.name}")).to_be_visible()
    review("book")
    page.get_by_role("link", name=organization.name, exact=True).click()
    proposals = page.locator("section[aria-labelledby=proposals-title]")
    expect(proposals.get_by_role("link", name=f"{number} v1")).to_be_visible()
    review("account")


def test_the_builder_works_without_javascript(
    page_without_javascript, live_server, maya, license, organization
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(maya.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{live_server.url}/manage/proposals/organizations/{organization.slug}/")
    page.get_by_role("button", name=re.compile("^New proposal")).click()
    add_option(page, tier="Business v1", seats="12", term="2 years", discount="20")
    expect(page.get_by_text("Say why the discount is given.")).to_be_visible()
    add_option(
        page,
        tier="Business v1",
        seats="12",
        term="2 years",
        discount="20",
        reason="Two-year commitment",
    )
    expect(page.get_by_role("heading", name=re.compile("^Option 1: Business v1"))).to_be_visible()
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator(".page-lede .badge")).to_have_text("Awaiting approval")


def test_a_long_calculator_link_in_the_history_keeps_the_table_readable(
    page, live_server, login, maya, license, organization
):
    """The ROI inputs are one long query string: the history wraps it inside its own
    column rather than squeezing "who" to a letter a line or cutting the change off."""
    login(maya)
    page.goto(f"{live_server.url}/manage/proposals/organizations/{organization.slug}/")
    page.get_by_role("button", name=re.compile("^New proposal")).click()
    add_option(page, renew=True)
    page.get_by_label("The customer's numbers from the calculator").check()
    page.get_by_label("Calculator link").fill(
        f"{live_server.url}/roi/?product=tierwise-licensing&team_size=12&currency=USD"
        "&hourly_cost=80&cycle=annual&hours_starter=0.1&errors_starter=1&hours_team=0.25"
        "&errors_team=2&hours_business=0.5&errors_business=5&hours_enterprise=0.6"
        "&errors_enterprise=6&cost_per_error=500&implementation_cost=1000&horizon_years=3"
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("ROI inputs")).to_be_visible()
    history = page.locator("section[aria-labelledby=history-title] .table-wrap")
    scroll, client = history.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll <= client, "the history is cut off at its right edge"
    who = history.locator("tbody td[data-label=Who]").first
    assert who.evaluate("e => e.getBoundingClientRect().width") >= 120


# Per column of the side-by-side table (the row headings left out), the text-align of
# its heading and of each of its cells.
COLUMN_ALIGNMENTS = """table => [...table.rows].map(
  (row) => [...row.cells].slice(1).map((cell) => getComputedStyle(cell).textAlign)
)"""


def test_the_side_by_side_columns_keep_one_alignment(
    page, live_server, login, maya, license, organization
):
    """ "Net a year" and "Net over the term" were right-aligned under left-aligned
    headings, beside left-aligned rows: each plan's column now keeps one edge."""
    login(maya)
    page.goto(f"{live_server.url}/manage/proposals/organizations/{organization.slug}/")
    page.get_by_role("button", name=re.compile("^New proposal")).click()
    add_option(page, renew=True)
    add_option(page, tier="Business v1", seats="12", term="2 years")
    expect(page.get_by_role("heading", name=re.compile("^Option 2: Business v1"))).to_be_visible()

    rows = page.locator("table.proposal-compare").evaluate(COLUMN_ALIGNMENTS)
    columns = list(zip(*rows, strict=True))
    assert len(columns) == 3  # the current plan and two options
    for column in columns:
        assert set(column) == {"right"}, column
