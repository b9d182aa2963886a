"""The book of accounts (/manage/), its CSV and an account's page, on the demo built at
the frozen now: Maya manages Northwind Analytics (sustained need, seat growth, renewal
and price lock within 90 days, an overdue invoice) and Acme Robotics (a Business trial
with features used, on a legacy version); Globex Health, Umbrella Labs, Initech and
Vandelay Industries have no manager. Built once for the module and rolled back after its
last test."""

import csv
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import transaction

from billing.accounts.selectors import book_organizations, book_rows
from billing.accounts.signals import Signal
from billing.demo import (
    build_book,
    build_checkouts,
    build_invoices,
    build_proposals,
    build_subscriptions,
)
from billing.money import Money
from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from licensing.demo.trials import build_trials
from portal import demo
from portal.models import ADMINS_GROUP, Organization, User
from tests.conftest import FROZEN_NOW
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_book(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        time_machine.travel(FROZEN_NOW, tick=False),
        transaction.atomic(),
    ):
        demo.build_people()
        build_catalog()
        build_licenses()
        build_subscriptions()
        build_invoices()
        build_checkouts()
        build_trials()
        build_book()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def maya(demo_book) -> User:
    return User.objects.get(email="maya@tierwise.test")


@pytest.fixture
def ada(demo_book) -> User:
    return User.objects.get(email="admin@tierwise.test")


def org(slug: str) -> Organization:
    return Organization.objects.get(slug=slug)


def names(response) -> list[str]:
    return [row.organization.name for row in response.context["rows"]]


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# The signals, from the demo's own subscriptions, usage, invoices and trials.


def test_the_demo_book_shows_each_signal_from_real_data(maya):
    rows = {row.organization.slug: row for row in book_rows(
        book_organizations(manager_id=maya.pk), at=FROZEN_NOW
    )}  # fmt: skip
    northwind, acme = rows["northwind-analytics"], rows["acme-robotics"]
    assert set(rows) == {"northwind-analytics", "acme-robotics"}
    assert [found.signal for found in northwind.signals] == [
        Signal.SUSTAINED_NEED,
        Signal.SEAT_GROWTH,
        Signal.RENEWAL_SOON,
        Signal.PRICE_LOCK_ENDING,
        Signal.OVERDUE,
    ]
    assert [found.signal for found in acme.signals] == [Signal.TRIAL_FEATURES]
    whys = {found.signal: found.why for found in northwind.signals}
    assert (
        whys[Signal.SUSTAINED_NEED] == "API calls a month over the limit in 2 of the last 3 months"
    )
    assert whys[Signal.SEAT_GROWTH] == "11 of 12 seats in use"
    assert whys[Signal.RENEWAL_SOON] == "renews in 18 days"  # its monthly term ends 31 March
    assert whys[Signal.PRICE_LOCK_ENDING] == "price locked until 31 Mar 2026"
    # $19 a seat a month, 12 seats, over a year; the workshop's $1,200 with 23% VAT
    # overdue, less the credit note's $46.74 it took as the oldest open invoice.
    assert northwind.arr == [Money(Decimal("2736.00"), "USD")]
    assert northwind.invoices.overdue_count == 1
    assert northwind.invoices.overdue_amounts == [Money(Decimal("1429.26"), "USD")]
    assert northwind.invoices.open_count == 2
    assert northwind.days_to_go == 18
    [plan] = acme.plans
    assert plan.is_legacy and plan.arr == Money(Decimal("730.00"), "EUR")
    [trial] = acme.trials
    assert trial.trial.tier.name == "Business" and trial.features_used


def test_an_accepted_discount_comes_off_the_arr(client_for, ada):
    build_proposals()  # Vandelay accepts Business for a year at 10 % off, 16 seats
    rows = client_for(ada).get("/manage/").context["rows"]
    [vandelay] = [row for row in rows if row.organization.slug == "vandelay-industries"]
    assert vandelay.arr == [Money(Decimal("5616.00"), "USD")]  # $390 x 16 = $6,240, less 10 %


def test_the_demo_builds_the_book_once(maya):
    build_book()
    rows = book_rows(book_organizations(manager_id=maya.pk), at=FROZEN_NOW)
    assert [row.invoices.overdue_count for row in rows] == [0, 1]


# The book page: who sees what.


def test_maya_sees_her_two_accounts_with_totals_per_currency(client_for, maya):
    response = client_for(maya).get("/manage/")
    assert response.status_code == 200
    assert names(response) == ["Acme Robotics", "Northwind Analytics"]
    assert response.context["arr_totals"] == [
        Money(Decimal("730.00"), "EUR"),
        Money(Decimal("2736.00"), "USD"),
    ]
    page = response.content.decode()
    assert "Globex" not in page
    assert "Legacy" in page and "Risk: Overdue invoice" in page
    assert f'href="/manage/accounts/{org("northwind-analytics").pk}/"' in page
    assert 'class="table-wrap" tabindex="0" role="region"' in page
    # Each meter with its unit, as on the customer's dashboard ("38 of 50", of what?).
    assert re.search(r"Storage: [\d,]+ of [\d,]+ GB \(\d+%\)", page), page


def test_a_manager_cannot_read_another_managers_book(client_for, maya):
    other = org("globex-health")
    response = client_for(maya).get("/manage/", {"manager": other.pk})
    assert names(response) == ["Acme Robotics", "Northwind Analytics"]


def test_the_admin_sees_every_account_and_filters_by_manager(client_for, ada, maya):
    client = client_for(ada)
    assert names(client.get("/manage/")) == [
        "Acme Robotics",
        "Globex Health",
        "Initech",
        "Northwind Analytics",
        "Umbrella Labs",
        "Vandelay Industries",
    ]
    mayas = client.get("/manage/", {"manager": maya.pk})
    assert names(mayas) == ["Acme Robotics", "Northwind Analytics"]
    assert names(client.get("/manage/", {"manager": "none"})) == [
        "Globex Health",
        "Initech",
        "Umbrella Labs",
        "Vandelay Industries",
    ]
    assert "Maya Patel" in client.get("/manage/").content.decode()


@pytest.mark.parametrize(
    "signal, expected",
    [
        ("overdue", ["Northwind Analytics"]),
        ("trial_features", ["Acme Robotics"]),
        ("sustained_need", ["Northwind Analytics"]),
        ("", ["Acme Robotics", "Northwind Analytics"]),
    ],
)
def test_it_filters_by_signal(client_for, maya, signal, expected):
    response = client_for(maya).get("/manage/", {"signal": signal})
    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["Acme Robotics", "Northwind Analytics"]),
        ("-name", ["Northwind Analytics", "Acme Robotics"]),
        ("days", ["Northwind Analytics", "Acme Robotics"]),  # 18 days, then 14 months
        ("-renewal", ["Acme Robotics", "Northwind Analytics"]),
        ("-overdue", ["Northwind Analytics", "Acme Robotics"]),
        ("arr", ["Acme Robotics", "Northwind Analytics"]),  # by currency: EUR, USD
    ],
)
def test_it_sorts(client_for, maya, sort, expected):
    response = client_for(maya).get("/manage/", {"sort": sort})
    assert names(response) == expected


def test_the_sort_links_keep_the_filter_and_turn_the_order(client_for, maya):
    response = client_for(maya).get("/manage/", {"signal": "overdue", "sort": "days"})
    links = response.context["sorting"]
    assert links["days"] == {"href": "?signal=overdue&sort=-days", "aria_sort": "ascending"}
    assert links["name"]["href"] == "?signal=overdue&sort=name"
    assert links["name"]["aria_sort"] == "none"


def test_accounts_without_a_plan_sort_last_either_way(client_for, ada):
    client = client_for(ada)
    for sort in ("days", "-days"):
        assert names(client.get("/manage/", {"sort": sort}))[-1] == "Initech"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"sort": "bogus"}, "Select a valid choice. bogus is not one of the available choices."),
        ({"signal": "vip"}, "Select a valid choice. vip is not one of the available choices."),
    ],
)
def test_bad_parameters_get_a_400_with_a_message(client_for, maya, params, message):
    response = client_for(maya).get("/manage/", params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert names(response) == ["Acme Robotics", "Northwind Analytics"]  # unfiltered
    csv_response = client_for(maya).get("/manage/accounts.csv", params)
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()


def test_a_bad_manager_gets_a_400_for_the_admin(client_for, ada):
    response = client_for(ada).get("/manage/", {"manager": "abc"})
    assert response.status_code == 400


# The CSV export.


def test_the_csv_has_the_rows_and_figures_of_the_page(client_for, maya):
    response = client_for(maya).get("/manage/accounts.csv", {"sort": "-name"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="accounts.csv"'
    northwind, acme = csv_rows(response)
    assert northwind == {
        "Organization": "Northwind Analytics",
        "Account manager": "maya@tierwise.test",
        "Plans": "Team v2",
        "Legacy": "no",
        "Seats bought": "12",
        "Seats used": "11",
        "ARR": "2736.00 USD",
        "Renews on": "2026-04-01",
        "Days to go": "18",
        "Price locked until": "2026-03-31",
        "Open invoices": "2",
        "Open amount": northwind["Open amount"],
        "Overdue invoices": "1",
        "Overdue amount": "1429.26 USD",
        "Trials running": "",
        "Signals": "Sustained need; Seat growth; Renewal within 90 days; Price lock ending; "
        "Overdue invoice",
    }
    assert northwind["Open amount"].endswith(" USD")
    assert acme["Legacy"] == "yes" and acme["ARR"] == "730.00 EUR"
    assert acme["Trials running"] == "Business" and acme["Signals"] == "Trial features used"


def test_the_csv_applies_the_same_filters(client_for, maya):
    response = client_for(maya).get("/manage/accounts.csv", {"signal": "trial_features"})
    assert [row["Organization"] for row in csv_rows(response)] == ["Acme Robotics"]


def test_the_csv_never_hands_a_spreadsheet_a_formula(client_for, ada):
    OrganizationFactory(name="=HYPERLINK(1)", slug="formula")
    rows = csv_rows(client_for(ada).get("/manage/accounts.csv"))
    assert "'=HYPERLINK(1)" in [row["Organization"] for row in rows]


# The account page.


def test_the_account_page_shows_ledger_invoices_usage_and_trials(client_for, maya):
    northwind = org("northwind-analytics")
    response = client_for(maya).get(f"/manage/accounts/{northwind.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Commercial ledger" in page and "Purchased" in page
    assert "INV-2026-" in page and "Overdue" in page
    assert "/admin/billing/invoice/" in page
    assert "<svg" in page  # the dashboard's usage charts
    assert "Sustained need" in page
    acme = client_for(maya).get(f"/manage/accounts/{org('acme-robotics').pk}/")
    assert "Business" in acme.content.decode() and "Legacy" in acme.content.decode()


def test_a_manager_gets_404_on_an_account_not_theirs(client_for, maya):
    assert client_for(maya).get(f"/manage/accounts/{org('globex-health').pk}/").status_code == 404
    assert client_for(maya).get("/manage/accounts/999999/").status_code == 404


def test_the_admin_reads_any_account(client_for, ada):
    response = client_for(ada).get(f"/manage/accounts/{org('globex-health').pk}/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "email", ["olivia@northwind.test", "mia@northwind.test", "gina@globex.test"]
)
def test_customers_get_403_as_on_the_book(client_for, demo_book, email):
    client = client_for(User.objects.get(email=email))
    assert client.get("/manage/").status_code == 403
    assert client.get("/manage/accounts.csv").status_code == 403
    assert client.get(f"/manage/accounts/{org('northwind-analytics').pk}/").status_code == 403


def test_staff_who_are_neither_admin_nor_manager_get_403(client_for, demo_book):
    clerk = MembershipFactory().user
    clerk.is_staff = True
    clerk.save()
    client = client_for(clerk)
    assert client.get(f"/manage/accounts/{org('northwind-analytics').pk}/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, demo_book):
    response = client.get(f"/manage/accounts/{org('northwind-analytics').pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# Landing and the admin's "View on site".


def test_maya_lands_on_her_book(client_for, maya):
    response = client_for(maya).get("/app/")
    assert response.status_code == 302 and response["Location"] == "/manage/"


def test_view_on_site_opens_the_account_page(client_for, ada, maya):
    northwind = org("northwind-analytics")
    change = client_for(ada).get(f"/admin/portal/organization/{northwind.pk}/change/")
    assert f'href="/manage/accounts/{northwind.pk}/"' in change.content.decode()
    assert client_for(maya).get(f"/manage/accounts/{northwind.pk}/").status_code == 200


def test_an_admin_by_group_alone_reads_the_whole_book(client_for, demo_book):
    """Admins are superusers or the Admins group: either sees every account."""
    clerk = UserFactory(is_staff=True)
    clerk.groups.add(Group.objects.get(name=ADMINS_GROUP))
    client = client_for(User.objects.get(pk=clerk.pk))
    response = client.get("/manage/")
    assert response.status_code == 200
    assert "Globex Health" in names(response)
    assert 'href="/manage/"' in response.content.decode()  # the nav's Accounts link
    assert client.get(f"/manage/accounts/{org('globex-health').pk}/").status_code == 200


def test_maya_sees_view_on_site_in_the_admin_and_it_opens(client_for, maya):
    northwind = org("northwind-analytics")
    client = client_for(maya)
    change = client.get(f"/admin/portal/organization/{northwind.pk}/change/")
    assert change.status_code == 200
    assert f'href="/manage/accounts/{northwind.pk}/"' in change.content.decode()
    assert client.get(f"/manage/accounts/{northwind.pk}/").status_code == 200
