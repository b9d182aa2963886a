"""What customers see of dunning: what is overdue and what happens when, on the license
dashboard and the invoices list and page, with Pay links for those who pay; members read
it without amounts or links; outsiders get 404."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from portal import clock
from tests.billing.dunning.conftest import DUE, PAST_DUE, SUSPEND, license_invoice
from tests.billing.dunning.test_timeline import advance, pay


def dashboard(client, user, organization):
    client.force_login(user)
    return client.get(reverse("organization_detail", args=[organization.slug]))


def test_nothing_overdue_no_panel(client, owner, organization, overdue):
    page = dashboard(client, owner, organization).content.decode()
    assert "is overdue" not in page


def test_the_dashboard_says_what_happens_when(client, owner, organization, overdue):
    advance(DUE + timedelta(days=2))
    page = dashboard(client, owner, organization).content.decode()
    assert f"Invoice {overdue.number} ($120.00 to pay) was due on" in page
    assert "becomes past due on" in page and '<time datetime="2026-04-20">20 April 2026' in page
    assert "The license is suspended until the invoice is paid" in page
    assert reverse("invoice_detail", args=[organization.slug, overdue.number]) in page
    assert page.count(">Passed</td>") == 1  # the due date
    assert page.count(">Sent</td>") == 1  # the first reminder
    # Dated as it was sent, which a run may make later than its day: it says which it is.
    assert "Reminder email, the one for 1 day after the due date (dated as sent)" in page


def test_after_suspension_it_says_so(client, owner, organization, overdue):
    advance(DUE + timedelta(days=31))
    page = dashboard(client, owner, organization).content.decode()
    assert "license is suspended: its license checks answer" in page


def test_a_member_reads_it_without_amounts_or_links(client, teammate, organization, overdue):
    advance(PAST_DUE)
    page = dashboard(client, teammate, organization).content.decode()
    assert f"Invoice {overdue.number} was due on" in page
    assert "$120.00" not in page
    assert reverse("invoice_detail", args=[organization.slug, overdue.number]) not in page
    assert "owners and billing admins can pay it" in page


def test_the_invoice_pages_show_it_with_pay_links(client, billing_admin, organization, overdue):
    advance(DUE + timedelta(days=1))
    client.force_login(billing_admin)
    listing = client.get(reverse("invoice_list", args=[organization.slug])).content.decode()
    assert "An invoice is overdue: what happens when" in listing
    detail = client.get(
        reverse("invoice_detail", args=[organization.slug, overdue.number])
    ).content.decode()
    assert "When things happen for invoice" in detail
    assert 'href="#how-to-pay-title"' in detail


def test_paid_it_disappears(client, owner, organization, overdue):
    advance(DUE + timedelta(days=3))
    pay(overdue)
    assert "is overdue" not in dashboard(client, owner, organization).content.decode()


@pytest.mark.parametrize("name", ["organization_detail", "invoice_list"])
def test_outsiders_get_404(client, outsider, organization, overdue, name):
    advance(DUE + timedelta(days=1))
    client.force_login(outsider)
    assert client.get(reverse(name, args=[organization.slug])).status_code == 404
    assert (
        client.get(reverse("invoice_detail", args=[organization.slug, overdue.number])).status_code
        == 404
    )
    assert clock.today() == DUE + timedelta(days=1)


def test_with_two_overdue_invoices_it_says_which_to_pay(client, owner, organization, overdue):
    """The first suspended the license; the second, before its own suspension day, says
    that paying the first lifts it, and its past-due step is not to come: the license is
    already suspended."""
    advance(date(2026, 4, 10))
    second = license_invoice(organization, overdue.license)  # past due 17 May
    advance(SUSPEND)
    page = " ".join(dashboard(client, owner, organization).content.decode().split())
    assert "2 invoices are overdue" in page
    assert "Paying this invoice lifts the suspension at once." in page
    assert (
        f"Paying invoice {overdue.number} lifts the suspension at once; this invoice has not "
        "reached its suspension date." in page
    )
    assert '<time datetime="2026-05-17">17 May 2026</time>' in page
    assert "Already: the license is suspended" in page
    assert second.number in page
