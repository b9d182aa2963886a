"""What customers see of dunning: what is overdue and what happens when, on the license
dashboard and the invoices list and page, with Pay links for those who pay; members read
it without amounts or links; outsiders get 404. One overdue invoice is told with its own
timeline; several are listed once each, with one timeline of what happens next."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from licensing.licenses.services import license_suspend
from licensing.models import HoldSource, LicenseHold, LicenseStatus
from portal import clock
from tests.billing.dunning.conftest import DUE, PAST_DUE, SUSPEND, license_invoice
from tests.billing.dunning.test_timeline import advance, license_status, pay
from tests.helpers.licenses import SYSTEM


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
    """The first suspended the license; the second, before its own suspension day, is
    what comes once paying the first lifts it: its past-due step is not to come before,
    the license is already suspended."""
    advance(date(2026, 4, 10))
    second = license_invoice(organization, overdue.license)  # past due 17 May
    advance(SUSPEND)
    panel = overdue_panel(dashboard(client, owner, organization))
    assert "2 invoices are overdue" in panel
    assert (
        f"Paying invoice {overdue.number} lifts the suspension at once. Then, unless invoice "
        f"{second.number} is paid, the license becomes past due on "
        '<time datetime="2026-05-17">17 May 2026</time>.' in panel
    )
    timeline = table(panel, "What happens next")
    assert rows(timeline) == 2  # past due, then suspended again: the second's dates
    assert "Once the suspension is lifted, the" in timeline
    assert '<time datetime="2026-06-09">9 Jun 2026</time>' in timeline
    assert second.number in timeline and overdue.number not in timeline


def overdue_panel(response) -> str:
    """The overdue panel's HTML, whitespace collapsed."""
    page = " ".join(response.content.decode().split())
    start = page.index('<section class="section card stack overdue-panel"')
    return page[start : page.index("</section>", start)]


def table(panel: str, caption: str) -> str:
    """The table of the panel with that caption, from its caption to its end."""
    start = panel.index(f">{caption}")
    return panel[start : panel.index("</table>", start)]


def rows(table_html: str) -> int:
    body = table_html[table_html.index("<tbody>") : table_html.index("</tbody>")]
    return body.count("<tr")


@pytest.fixture
def three_overdue(organization, overdue, settings):
    """Three invoices of the license, all overdue on 28 April: the first (due 13 April)
    made it past due on 20 April; the third, finalized while suspension came 10 days
    after the due date, is the first to suspend it, on 7 May, before the first's 13 May
    and the second's 20 May."""
    advance(date(2026, 3, 21))
    second = license_invoice(organization, overdue.license)  # due 20 April
    settings.DUNNING_SUSPEND_DAYS = 10
    advance(date(2026, 3, 28))
    third = license_invoice(organization, overdue.license, amount=Decimal("45.50"))
    assert (third.due_on, third.suspend_on) == (date(2026, 4, 27), date(2026, 5, 7))
    advance(date(2026, 4, 28))
    return [overdue, second, third]


def test_three_overdue_invoices_are_listed_once_with_one_timeline(
    client, owner, organization, three_overdue
):
    first, second, third = three_overdue
    panel = overdue_panel(dashboard(client, owner, organization))
    assert "3 invoices are overdue: what happens when" in panel
    # Two tables: the list and one timeline, not a timeline per invoice.
    assert panel.count("<table") == 2
    assert "When things happen for invoice" not in panel

    listed = table(panel, "Overdue invoices")
    assert rows(listed) == 3
    for invoice, amount, days in (
        (first, "$120.00", "15 days"),
        (second, "$120.00", "8 days"),
        (third, "$45.50", "1 day"),
    ):
        url = reverse("invoice_detail", args=[organization.slug, invoice.number])
        row = listed[listed.index(f'<a href="{url}">{invoice.number}</a>') :]
        row = row[: row.index("</tr>")]
        assert listed.count(f">{invoice.number}</a>") == 1
        assert f">{amount}</td>" in row and f">{days}</td>" in row
        assert f'href="{url}">Pay now' in row
    assert 'Still to pay in all</th><td class="num">$285.50</td>' in panel

    # What happens next for the license as a whole: it is past due (by the first), and
    # the earliest suspension across the three is the third's, 7 May.
    assert (
        "license is past due; it still works. Unless invoice "
        f"{third.number} is paid, it is suspended on "
        '<time datetime="2026-05-07">7 May 2026</time>.' in panel
    )
    timeline = table(panel, "What happens next")
    assert rows(timeline) == 1
    assert '<time datetime="2026-05-07">7 May 2026</time>' in timeline
    assert f">{third.number}</a>" in timeline
    for later in ("2026-05-13", "2026-05-20"):
        assert later not in panel

    # The billing pages' list shows the same panel.
    listing = client.get(reverse("invoice_list", args=[organization.slug]))
    assert overdue_panel(listing) == panel

    # And it is what happens: past due still on the 6th, suspended on the 7th.
    advance(date(2026, 5, 6))
    assert license_status(first) == LicenseStatus.PAST_DUE
    advance(date(2026, 5, 7))
    assert license_status(first) == LicenseStatus.SUSPENDED


def test_a_member_reads_the_three_without_amounts_or_links(
    client, teammate, organization, three_overdue
):
    panel = overdue_panel(dashboard(client, teammate, organization))
    listed = table(panel, "Overdue invoices")
    assert rows(listed) == 3
    for invoice in three_overdue:
        assert listed.count(invoice.number) == 1
        assert reverse("invoice_detail", args=[organization.slug, invoice.number]) not in panel
    assert "$" not in panel and "Pay now" not in panel and "Still to pay" not in panel
    assert '<time datetime="2026-05-07">7 May 2026</time>' in table(panel, "What happens next")
    assert "owners and billing admins can pay them" in panel


def test_one_overdue_invoice_has_its_own_timeline_and_one_pay_link(
    client, owner, organization, overdue
):
    advance(PAST_DUE + timedelta(days=1))
    panel = overdue_panel(dashboard(client, owner, organization))
    assert "An invoice is overdue: what happens when" in panel
    assert f"Invoice {overdue.number} ($120.00 to pay) was due on" in panel
    assert "8 days ago" in panel
    assert (
        "license is past due; it still works. Unless it is paid, it is suspended on "
        '<time datetime="2026-05-13">13 May 2026</time>.' in panel
    )
    assert panel.count("<table") == 1
    assert f"When things happen for invoice {overdue.number}" in panel
    url = reverse("invoice_detail", args=[organization.slug, overdue.number])
    assert panel.count(f'href="{url}"') == 1
    assert f">Pay invoice {overdue.number}</a>" in panel


def staff_suspend(license) -> None:
    license_suspend(license=license, actor=SYSTEM, reason="Internal: audit of seat sharing.")


@pytest.mark.parametrize("staff_first", [True, False], ids=["staff-first", "dunning-first"])
def test_a_staff_hold_is_not_said_to_be_lifted_by_paying(
    client, owner, organization, overdue, staff_first
):
    """Dunning and staff both hold the license: paying settles the invoice, but staff's
    hold stays (test_timeline: an admin's suspension stays after the payment), so the
    panel never promises the suspension ends, and staff's reason is not shown."""
    if staff_first:
        advance(SUSPEND - timedelta(days=1))
        staff_suspend(overdue.license)
        advance(SUSPEND)
    else:
        advance(SUSPEND)
        staff_suspend(overdue.license)
    held = set(
        LicenseHold.objects.filter(license=overdue.license, lifted_at__isnull=True).values_list(
            "source", flat=True
        )
    )
    assert held == {HoldSource.ADMIN, HoldSource.DUNNING}
    client.force_login(owner)
    for response in (
        dashboard(client, owner, organization),
        client.get(reverse("invoice_list", args=[organization.slug])),
        client.get(reverse("invoice_detail", args=[organization.slug, overdue.number])),
    ):
        panel = overdue_panel(response)
        assert "lifts the suspension" not in panel
        assert (
            "Your vendor's staff have also suspended it, and a payment does not lift their "
            "hold: paying this invoice settles what is overdue, but the license stays "
            "suspended until they lift their hold." in panel
        )
        assert "seat sharing" not in panel

    pay(overdue)
    assert license_status(overdue) == LicenseStatus.SUSPENDED


def test_with_two_overdue_invoices_a_staff_hold_dates_nothing_after_paying(
    client, owner, organization, overdue
):
    """The second invoice's dates after the lifting (test above: 17 May, 9 June) are not
    told while staff hold the license: paying the first leaves it suspended."""
    advance(date(2026, 4, 10))
    second = license_invoice(organization, overdue.license)
    advance(SUSPEND)
    staff_suspend(overdue.license)
    panel = overdue_panel(dashboard(client, owner, organization))
    assert "2 invoices are overdue" in panel
    assert (
        f"paying invoice {overdue.number} settles what is overdue, but the license stays "
        "suspended until they lift their hold." in panel
    )
    assert "lifts the suspension" not in panel
    assert "What happens next" not in panel and "17 May 2026" not in panel
    assert second.number in panel


def test_two_invoices_reaching_the_suspension_the_same_day_are_both_named(
    client, owner, teammate, organization, overdue
):
    """Both finalized the same day, so past due on 20 April and suspended on 13 May
    together: paying one avoids neither, so the panel names both, as dunning then
    suspends the license because of both."""
    second = license_invoice(organization, overdue.license, amount=Decimal("45.50"))
    assert (second.past_due_on, second.suspend_on) == (PAST_DUE, SUSPEND)
    both = f"invoice {overdue.number} and invoice {second.number} are paid"
    advance(DUE + timedelta(days=1))
    panel = overdue_panel(dashboard(client, owner, organization))
    assert (
        f"Unless {both}, the Tierwise Licensing license becomes past due on "
        '<time datetime="2026-04-20">20 April 2026</time> (it still works then).' in panel
    )

    advance(PAST_DUE + timedelta(days=1))
    panel = overdue_panel(dashboard(client, owner, organization))
    assert (
        f"license is past due; it still works. Unless {both}, it is suspended on "
        '<time datetime="2026-05-13">13 May 2026</time>.' in panel
    )
    timeline = table(panel, "What happens next")
    assert rows(timeline) == 1
    links = [
        f'<a href="{reverse("invoice_detail", args=[organization.slug, invoice.number])}">'
        f"{invoice.number}</a>"
        for invoice in (overdue, second)
    ]
    assert f"<span>Invoice {links[0]} and invoice {links[1]}</span>" in timeline
    member = table(overdue_panel(dashboard(client, teammate, organization)), "What happens next")
    assert f"<span>Invoice {overdue.number} and invoice {second.number}</span>" in member

    # And it is what happens: both hold the suspension, and the panel says so.
    advance(SUSPEND)
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    panel = overdue_panel(dashboard(client, owner, organization))
    assert (
        f"Paying invoice {overdue.number} and invoice {second.number} lifts the suspension "
        "at once: each has reached its suspension date." in panel
    )


def license_card(response, license) -> str:
    """The dashboard's card of the license, whitespace collapsed."""
    page = " ".join(response.content.decode().split())
    start = page.index(f'aria-labelledby="license-{license.pk}-title"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def held_by_two(organization, catalog, test_clock):
    """A license on a plan for 2026 with two invoices finalized the same day, so both
    reach their suspension day, 13 May, together: dunning suspends it because of both."""
    from tests.helpers.checkout import subscribed

    license = subscribed(
        organization,
        catalog,
        cycle="annual",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )
    invoices = [license_invoice(organization, license) for _ in range(2)]
    advance(SUSPEND)
    assert license_status(invoices[0]) == LicenseStatus.SUSPENDED
    return license, invoices


def test_the_card_names_each_invoice_that_holds_the_suspension(
    client, owner, organization, held_by_two
):
    license, (first, second) = held_by_two
    card = license_card(dashboard(client, owner, organization), license)
    assert f"because invoice {first.number} and invoice {second.number} are overdue." in card
    assert (
        f"Paying invoice {first.number} and invoice {second.number} lifts it: each has "
        "reached its suspension date." in card
    )
    assert f"unless invoice {first.number} and invoice {second.number} are paid by then" in card
    assert "the overdue invoice" not in card and "an invoice is overdue" not in card


def test_the_card_does_not_promise_paying_lifts_a_staff_hold(
    client, owner, organization, held_by_two
):
    """Staff hold it too: paying lifts only dunning's hold (the overdue panel says so),
    so the card says the license stays suspended, and never staff's reason."""
    license, (first, second) = held_by_two
    staff_suspend(license)
    card = license_card(dashboard(client, owner, organization), license)
    assert (
        f"Paying invoice {first.number} and invoice {second.number} lifts this hold, but not "
        "the one your vendor's staff placed: a payment does not lift their hold, so the "
        "license stays suspended until they lift it." in card
    )
    assert (
        f"unless invoice {first.number} and invoice {second.number} are paid and your "
        "vendor's staff lift their hold by then" in card
    )
    assert "lifts it: each" not in card and "seat sharing" not in card


def test_the_invoice_timeline_does_not_promise_paying_lifts_a_staff_hold(
    client, owner, organization, overdue
):
    advance(SUSPEND)
    staff_suspend(overdue.license)
    client.force_login(owner)
    response = client.get(reverse("invoice_detail", args=[organization.slug, overdue.number]))
    timeline = table(overdue_panel(response), f"When things happen for invoice {overdue.number}")
    assert "until the invoice is paid" not in timeline
    assert (
        "The license is suspended; your vendor's staff hold it suspended too, and paying the "
        "invoice does not lift their hold" in timeline
    )


def test_a_step_whose_day_passed_while_suspended_waits_for_the_lifting(
    client, owner, organization, overdue
):
    """The second invoice's past-due day passes while the first holds the license
    suspended: its step comes at the first daily run after the lifting, not "at the next
    daily run" (which does run, and leaves it, the license being suspended already)."""
    advance(date(2026, 4, 10))
    second = license_invoice(organization, overdue.license)  # past due 17 May
    advance(date(2026, 5, 20))
    timeline = table(overdue_panel(dashboard(client, owner, organization)), "What happens next")
    assert "At the first daily run after the lifting (its date, " in timeline
    assert '<time datetime="2026-05-17">17 May 2026</time>' in timeline
    assert "At the next daily run" not in timeline
    assert second.number in timeline
