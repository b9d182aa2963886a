"""What is overdue and what happens when, in a real browser: the overdue panel on the
license dashboard (one overdue invoice, and three listed with one timeline) and on the
invoice's page, at desktop and phone widths, with no serious accessibility problems and
nothing scrolling sideways."""

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.dunning.services import dunning_run
from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.money import Money
from licensing.demo.catalog import build_catalog
from licensing.licenses.services import Actor, license_create
from licensing.models import TierVersion
from portal import clock

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DUNNING_SCREENSHOTS", "")


def overdue_license_invoices(organization, *days_ago: int) -> list:
    """Invoices of the organization's license, each issued that many days ago at net
    30, the first 45 by default: 15 days overdue, so past due, and suspended in 15
    days."""
    build_catalog()
    license = license_create(
        organization=organization,
        version=TierVersion.objects.get(tier__slug="team", number=1),
        seats=4,
        term_start=date(2026, 1, 1),
        term_end=date(2030, 12, 31),
        actor=Actor(label="test"),
        reason="Browser test.",
    ).license
    found = []
    for days in days_ago or (45,):
        invoice = invoices.invoice_create_draft(
            organization=organization, currency="USD", license=license
        )
        invoices.invoice_add_line(
            invoice=invoice,
            kind=LineKind.ONE_OFF,
            description="Team plan, 4 seats",
            unit_price=Money(Decimal("480.00"), "USD"),
        )
        found.append(
            invoices.invoice_finalize(invoice=invoice, at=clock.now() - timedelta(days=days))
        )
    dunning_run()
    license.refresh_from_db()
    assert license.status == "past_due"
    return found


def overdue_license_invoice(organization):
    return overdue_license_invoices(organization)[0]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_overdue_panel_reads_well(page, live_server, login, axe, owner, width):
    organization = owner.memberships.get().organization
    invoice = overdue_license_invoice(organization)
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/app/{organization.slug}/")
    panel = page.get_by_role("region", name="An invoice is overdue: what happens when")
    expect(panel).to_be_visible()
    timeline = page.get_by_role("table", name=f"When things happen for invoice {invoice.number}")
    suspension = timeline.get_by_text("The license is suspended until the invoice is paid")
    expect(suspension).to_be_visible()
    expect(panel.get_by_role("link", name=f"Pay invoice {invoice.number}")).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/dashboard-{width}.png", full_page=True)
    axe(f"dashboard with an overdue invoice at {width}px")
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")

    panel.get_by_role("link", name=f"Pay invoice {invoice.number}").click()
    heading = page.get_by_role("heading", name=f"Invoice {invoice.number}", exact=True)
    expect(heading).to_be_visible()
    expect(page.get_by_role("link", name="Bank transfer details")).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/invoice-{width}.png", full_page=True)
    axe(f"overdue invoice page at {width}px")
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_three_overdue_invoices_read_well(page, live_server, login, axe, owner, width):
    """Listed once each, with one timeline: the first invoice's suspension is next."""
    organization = owner.memberships.get().organization
    found = overdue_license_invoices(organization, 45, 40, 35)
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/app/{organization.slug}/")
    panel = page.get_by_role("region", name="3 invoices are overdue: what happens when")
    expect(panel).to_be_visible()
    listed = panel.get_by_role("table", name="Overdue invoices")
    for invoice in found:
        expect(
            listed.get_by_role("link", name=f"Pay now for invoice {invoice.number}")
        ).to_be_visible()
    timeline = panel.get_by_role("table", name="What happens next unless they are paid")
    expect(timeline.get_by_role("row")).to_have_count(2)  # its header and one date
    expect(timeline.get_by_role("link", name=found[0].number)).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/dashboard-three-{width}.png", full_page=True)
    axe(f"dashboard with three overdue invoices at {width}px")
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
