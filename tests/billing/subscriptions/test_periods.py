"""Billing periods as the services write them (a purchase, a change in the middle of a
period, a change of cycle, a free extension by staff), the lines that link to them, the
tiling check and its command, the demo, and the periods on the customer's dashboard.
"Now" is 14 March 2026; `subscribed` licenses run for March with its period."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from billing.checkout.scheduled import scheduled_change_apply
from billing.demo import build_invoices, build_subscriptions
from billing.models import InvoiceLine, PeriodReason, Subscription, SubscriptionPeriod
from billing.renewals.services import subscription_renew
from billing.subscriptions.periods import Span
from billing.subscriptions.selectors import period_problems
from billing.subscriptions.services import subscription_extend, subscription_period_add
from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from licensing.licenses.services import license_renew
from portal import demo
from portal.models import Role
from tests.factories import MembershipFactory
from tests.helpers.checkout import confirm, preview, subscribed
from tests.helpers.licenses import SYSTEM, issue

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/licensing/license/"


def periods(license) -> list[tuple]:
    return [
        (period.starts_on, period.ends_on, period.reason, period.seats, period.net_amount)
        for period in SubscriptionPeriod.objects.filter(subscription__license=license)
    ]


def lines(invoice) -> list[tuple]:
    return [
        (line.kind, line.period.starts_on if line.period else None, line.amount)
        for line in invoice.lines.select_related("period")
    ]


def test_a_purchase_records_its_period_with_the_invoice(catalog, owner, organization):
    _, checkout = confirm(
        organization, None, owner, tier="team", seats=5, cycle="monthly", currency="USD"
    )
    license = checkout.license
    assert periods(license) == [
        (date(2026, 3, 14), date(2026, 4, 13), "purchase", 5, Decimal("95.00"))
    ]
    period = SubscriptionPeriod.objects.get(subscription__license=license)
    assert period.invoice == checkout.invoice and period.index == 0
    assert license.subscription.billing_anchor == date(2026, 3, 14)
    (line,) = checkout.invoice.lines.all()
    assert (line.kind, line.period, line.subscription) == ("recurring", period, period.subscription)
    assert line.list_unit_price == Decimal("19.00")
    assert period_problems() == []


def test_a_change_mid_period_splits_it_and_the_periods_still_tile(catalog, owner, organization):
    license = subscribed(organization, catalog, seats=5)
    _, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    assert periods(license) == [
        (date(2026, 3, 1), date(2026, 3, 13), "purchase", 5, Decimal("95.00")),
        (date(2026, 3, 14), date(2026, 3, 31), "change", 8, Decimal("88.26")),
    ]
    # The credit gives back the unused part of the period it credits; the charge bills
    # the change period.
    assert lines(checkout.invoice) == [
        ("proration_credit", date(2026, 3, 1), Decimal("-55.16")),
        ("proration_charge", date(2026, 3, 14), Decimal("88.26")),
    ]
    assert period_problems() == []


def test_more_seats_at_no_cost_still_record_a_period_with_the_new_seats(
    catalog, owner, organization
):
    license = subscribed(organization, catalog, "starter", seats=1)  # flat $29
    _, checkout = confirm(organization, license, owner, tier="starter", seats=3, cycle="monthly")
    assert checkout.invoice is None
    assert [(start, seats, net) for start, _, _, seats, net in periods(license)] == [
        (date(2026, 3, 1), 1, Decimal("29.00")),
        (date(2026, 3, 14), 3, Decimal("0.00")),
    ]
    assert period_problems() == []


def test_a_change_of_cycle_ends_the_period_and_starts_a_new_term(catalog, owner, organization):
    license = subscribed(organization, catalog, seats=5)
    _, checkout = confirm(organization, license, owner, tier="team", seats=5, cycle="annual")
    assert periods(license) == [
        (date(2026, 3, 1), date(2026, 3, 13), "purchase", 5, Decimal("95.00")),
        (date(2026, 3, 14), date(2027, 3, 13), "change", 5, Decimal("950.00")),
    ]
    license.refresh_from_db()
    assert license.subscription.billing_anchor == date(2026, 3, 14)
    assert (license.term_start, license.term_end) == (date(2026, 3, 14), date(2027, 3, 13))
    assert lines(checkout.invoice) == [
        ("proration_credit", date(2026, 3, 1), Decimal("-55.16")),
        ("recurring", date(2026, 3, 14), Decimal("950.00")),
    ]
    assert period_problems() == []


def test_a_change_of_cycle_on_a_periods_first_day_reuses_its_row(catalog, owner, organization):
    license = subscribed(organization, catalog, seats=5)
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False):
        confirm(organization, license, owner, tier="team", seats=5, cycle="annual")
    assert periods(license) == [
        (date(2026, 3, 1), date(2027, 2, 28), "change", 5, Decimal("950.00")),
    ]
    assert period_problems() == []


def test_more_seats_on_a_billed_periods_first_day_keep_its_record(
    catalog, owner, organization, client_for
):
    """April, billed by the renewal's invoice (5 seats, $95.00), gets 3 seats more on 1
    April: the period is kept as that invoice billed it, marked replaced and credited in
    full by the change's invoice, beside a change period for April at 8 seats. The split
    merged them: the billed period took 8 seats and the change's charge, and kept only
    the renewal's invoice."""
    license = subscribed(organization, catalog, seats=5)
    renewed = subscription_renew(
        subscription=license.subscription,
        today=date(2026, 4, 1),
        at=datetime(2026, 4, 1, 0, 2, tzinfo=UTC),
    ).invoice
    license.refresh_from_db()
    with time_machine.travel(datetime(2026, 4, 1, 9, tzinfo=UTC), tick=False):
        _, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
        page = client_for(owner).get(f"/app/{organization.slug}/").content.decode()

    april = SubscriptionPeriod.objects.filter(
        subscription__license=license, starts_on=date(2026, 4, 1)
    ).order_by("pk")
    assert [
        (p.ends_on, p.reason, p.seats, p.net_amount, p.invoice_id, p.replaced) for p in april
    ] == [
        (date(2026, 4, 30), "renewal", 5, Decimal("95.00"), renewed.pk, True),
        (date(2026, 4, 30), "change", 8, Decimal("152.00"), checkout.invoice.pk, False),
    ]
    assert lines(checkout.invoice) == [
        ("proration_credit", date(2026, 4, 1), Decimal("-95.00")),
        ("proration_charge", date(2026, 4, 1), Decimal("152.00")),
    ]
    credit, charge = checkout.invoice.lines.order_by("pk")
    assert (credit.period, charge.period) == (april[0], april[1])
    assert [line.period for line in renewed.lines.all()] == [april[0]]
    assert period_problems() == []
    assert "replaced on its first day by a change, credited in full" in page


def extend(admin_client, license, term_end, reason):
    return admin_client.post(
        f"{CHANGELIST}{license.pk}/operate/renew/",
        {"confirm": "yes", "term_end": term_end, "reason": reason},
    )


def test_the_admins_extension_is_a_free_period_with_its_reason(catalog, organization, admin_client):
    license = subscribed(organization, catalog, seats=5)
    answer = extend(admin_client, license, "2026-04-10", "Outage in March: ten days on us.")
    assert answer.status_code == 302
    license.refresh_from_db()
    assert license.term_end == date(2026, 4, 10)
    assert periods(license)[-1] == (
        date(2026, 4, 1),
        date(2026, 4, 10),
        "extension",
        5,
        Decimal("0.00"),
    )
    assert SubscriptionPeriod.objects.get(reason="extension").note == (
        "Outage in March: ten days on us."
    )
    assert period_problems() == []
    page = admin_client.get(f"/admin/billing/subscription/{license.subscription.pk}/change/")
    assert "Outage in March: ten days on us." in page.content.decode()
    # Staff's reason is theirs: the customer's periods say only that the days were free.
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    admin_client.force_login(owner)
    dashboard = admin_client.get(f"/app/{organization.slug}/").content.decode()
    assert "Extension" in dashboard and "Free" in dashboard
    assert "Outage in March" not in dashboard


def test_an_extension_without_a_subscription_moves_the_term_only(
    catalog, organization, admin_client
):
    license = issue(organization, catalog, "team").license
    assert extend(admin_client, license, "2027-12-31", "Contract renewed.").status_code == 302
    license.refresh_from_db()
    assert license.term_end == date(2027, 12, 31)
    assert not SubscriptionPeriod.objects.exists()


def test_after_an_extension_a_change_is_prorated_over_the_paid_month(
    catalog, owner, organization, admin_client
):
    """Before periods, the extension stretched the term to 41 days and the upgrade was
    prorated over them: credit 95 x 28/41 and charge 152 x 28/41 instead of x 18/31."""
    license = subscribed(organization, catalog, seats=5)
    assert extend(admin_client, license, "2026-04-10", "Ten days on us.").status_code == 302
    license.refresh_from_db()
    shown, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    assert [line.amount.amount for line in shown.quote.lines] == [
        Decimal("-55.16"),
        Decimal("88.26"),
    ]
    assert checkout.invoice.amount_due == Decimal("33.10")
    assert [(start, end, reason) for start, end, reason, _, _ in periods(license)] == [
        (date(2026, 3, 1), date(2026, 3, 13), "purchase"),
        (date(2026, 3, 14), date(2026, 3, 31), "change"),
        (date(2026, 4, 1), date(2026, 4, 10), "extension"),
    ]
    assert period_problems() == []


def test_the_check_names_a_term_longer_than_its_periods(catalog, organization, capsys):
    license = subscribed(organization, catalog, seats=5)
    # What the demo did: a term a day longer than the span its invoice billed, moved
    # without a period (only licensing's service, as the admin did before).
    license_renew(license=license, term_end=date(2026, 4, 1), actor=SYSTEM, reason="Test.")
    with pytest.raises(SystemExit) as exit:
        call_command("check_periods")
    assert exit.value.code == 1
    assert capsys.readouterr().err == (
        f"Subscription {license.subscription.pk} (Northwind): the last period ends on "
        "2026-03-31, the term on 2026-04-01.\n"
    )


def test_the_check_names_an_invoiced_span_that_is_no_period(catalog, owner, organization):
    _, checkout = confirm(
        organization, None, owner, tier="team", seats=5, cycle="monthly", currency="USD"
    )
    # A period moved from under its invoice line (only possible by hand).
    SubscriptionPeriod.objects.update(starts_on=date(2026, 3, 15))
    subscription = Subscription.objects.get()
    assert period_problems() == [
        f"Subscription {subscription.pk} (Northwind): no period starts on the term's first "
        "day, 2026-03-14.",
        f"Subscription {subscription.pk} (Northwind): {checkout.invoice.number} bills "
        "2026-03-14 to 2026-04-13, but its period starts on 2026-03-15.",
    ]


def test_the_check_passes_quietly_when_all_is_well(catalog, organization, capsys):
    subscribed(organization, catalog, seats=5)
    call_command("check_periods")
    assert "tile its term" in capsys.readouterr().out


def test_the_demo_terms_are_exactly_their_periods(client):
    demo.build_people()
    build_catalog()
    build_licenses()
    build_subscriptions()
    build_invoices()
    assert period_problems() == []
    for subscription in Subscription.objects.select_related("license"):
        own = list(subscription.periods.all())
        assert own[-1].ends_on == subscription.license.term_end
        assert own[0].starts_on == subscription.billing_anchor
        assert all(period.invoice is not None for period in own)
    assert not InvoiceLine.objects.filter(kind="recurring", period__isnull=True).exists()


def test_a_subscription_started_on_31_january_shows_its_periods(
    catalog, organization, owner, teammate, client_for
):
    license = subscribed(
        organization,
        catalog,
        seats=5,
        term_start=date(2026, 1, 31),
        term_end=date(2026, 2, 27),
    )
    subscription = license.subscription
    for start, end in [
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 29)),
    ]:
        subscription_period_add(
            subscription=subscription,
            span=Span(start, end),
            reason=PeriodReason.RENEWAL,
            amount=subscription.cycle_price.rounded(),
        )
    amounts = '<th scope="col" class="num">Invoiced</th>'
    page = client_for(owner).get(f"/app/{organization.slug}/").content.decode()
    for day in ["27 Feb 2026", "30 Mar 2026", "29 Apr 2026"]:
        assert day in page
    assert amounts in page and "Renewal" in page
    assert "A period shortened by a change" not in page  # no change among them
    # A member sees the dates but no amounts or invoices, as the invoice pages refuse them.
    page = client_for(teammate).get(f"/app/{organization.slug}/").content.decode()
    assert "29 Apr 2026" in page and "Billing periods" in page
    assert amounts not in page


def test_a_period_shortened_by_a_change_says_its_credit_is_on_the_changes_invoice(
    catalog, organization, owner, client_for, now
):
    """Seats added on 14 March: the March row keeps the $ its invoice billed and the
    change's row its charge; read as a sum they overstated March, so the table says
    the unused days are credited on the change's invoice."""
    from tests.helpers.checkout import confirm

    license = subscribed(organization, catalog, seats=5)
    confirm(organization, license, owner, tier="team", seats=8, cycle="monthly", auto_renew=True)
    page = client_for(owner).get(f"/app/{organization.slug}/").content.decode()
    assert "Change" in page
    assert page.count("A period shortened by a change keeps what its own invoice billed") == 1


def test_two_extensions_follow_each_other_and_a_refused_one_writes_nothing(catalog, organization):
    license = subscribed(organization, catalog, seats=5)
    for end in [date(2026, 4, 10), date(2026, 4, 20)]:
        subscription_extend(
            subscription=license.subscription, term_end=end, actor=SYSTEM, reason="On us."
        )
    with pytest.raises(ValidationError, match="extends the term"):
        subscription_extend(
            subscription=license.subscription,
            term_end=date(2026, 4, 15),
            actor=SYSTEM,
            reason="Shorter?",
        )
    assert [(start, end, reason) for start, end, reason, _, _ in periods(license)] == [
        (date(2026, 3, 1), date(2026, 3, 31), "purchase"),
        (date(2026, 4, 1), date(2026, 4, 10), "extension"),
        (date(2026, 4, 11), date(2026, 4, 20), "extension"),
    ]
    license.refresh_from_db()
    assert license.term_end == date(2026, 4, 20)
    assert period_problems() == []


def test_a_scheduled_change_applied_inside_an_extension_records_its_terms(
    catalog, organization, owner
):
    license = subscribed(organization, catalog, "business", seats=12)
    _, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    subscription_extend(
        subscription=license.subscription,
        term_end=date(2026, 4, 10),
        actor=SYSTEM,
        reason="On us.",
    )
    with time_machine.travel(datetime(2026, 4, 1, 6, tzinfo=UTC), tick=False):
        scheduled_change_apply(change=checkout.scheduled_change)
    rows = [
        (period.starts_on, period.reason, period.seats, period.unit_amount, period.net_amount)
        for period in SubscriptionPeriod.objects.filter(subscription__license=license)
    ]
    assert rows == [
        (date(2026, 3, 1), "purchase", 12, Decimal("39.00"), Decimal("468.00")),
        (date(2026, 4, 1), "extension", 8, Decimal("19.00"), Decimal("0.00")),
    ]
    assert period_problems() == []


def test_an_extension_of_a_subscribed_license_has_the_same_limit(
    catalog, organization, admin_client
):
    license = subscribed(organization, catalog, seats=5)
    answer = extend(admin_client, license, "9999-12-31", "Forever.")
    assert answer.status_code == 200
    assert "at most 5 years" in answer.content.decode()
    assert len(periods(license)) == 1


def test_a_move_to_annual_says_the_free_days_end_before_it_is_confirmed(
    catalog, organization, admin_client
):
    license = subscribed(organization, catalog, seats=5)
    extend(admin_client, license, "2026-04-10", "Outage in March: ten days on us.")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    license.refresh_from_db()
    shown = preview(organization, license, owner, tier="team", seats=5, cycle="annual")
    assert shown.notes == [
        "The days added to your term free of charge, 1 April 2026 to 10 April 2026, end with "
        "this change: your new annual term starts today and is paid for in full."
    ]
    same_cycle = preview(organization, license, owner, tier="team", seats=6, cycle="monthly")
    assert same_cycle.notes == []
    admin_client.force_login(owner)
    page = admin_client.get(
        f"/app/{organization.slug}/checkout/{shown.checkout.token}/",
        {"tier": "team", "seats": 5, "cycle": "annual", "submitted": 1, "auto_renew": "on"},
    )
    assert "free of charge, 1 April 2026 to 10 April 2026" in page.content.decode()


def test_days_added_free_take_the_seats_bought_later_in_the_paid_part(
    catalog, organization, admin_client
):
    license = subscribed(organization, catalog, seats=5)
    extend(admin_client, license, "2026-04-10", "Outage in March: ten days on us.")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    license.refresh_from_db()
    confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    extension = SubscriptionPeriod.objects.get(reason="extension")
    assert (extension.seats, extension.net_amount) == (8, Decimal("0.00"))
    assert period_problems() == []
