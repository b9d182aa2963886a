"""Notices in the admin (billing.admin.notices): listed by kind, what each is about (an
invoice's number or a license, not the "invoice:34" claim key), period, lead
and day sent, filtered by kind, read-only; an account manager reads only the notices of
the organizations assigned to them, whether a notice hangs on a license or an invoice."""

from datetime import date

import pytest
from django.contrib.auth.models import Group

from billing.models import Notice, NoticeKind
from portal.models import ACCOUNT_MANAGERS_GROUP
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers.checkout import subscribed
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db

LIST = "/admin/billing/notice/"


def notice(kind, subject, **links):
    return Notice.objects.create(
        kind=kind,
        subject=subject,
        period=date(2026, 4, 1),
        lead=7,
        sent_on=date(2026, 3, 25),
        **links,
    )


def about(notice) -> str:
    """How the list names what a notice is about: the invoice's number or the license."""
    return f"Invoice {notice.invoice.number}" if notice.invoice else str(notice.license)


@pytest.fixture
def ours(organization, catalog):
    license = subscribed(organization, catalog, "team")
    return notice(NoticeKind.RENEWAL_REMINDER, f"license:{license.pk}", license=license)


@pytest.fixture
def theirs(catalog):
    license = subscribed(OrganizationFactory(name="Globex", slug="globex"), catalog, "team")
    return notice(NoticeKind.PRICE_INCREASE, f"license:{license.pk}", license=license)


@pytest.fixture
def overdue(organization):
    invoice = finalized_invoice(organization)
    return notice(NoticeKind.DUNNING_REMINDER, f"invoice:{invoice.pk}", invoice=invoice)


def test_admins_list_every_notice_and_filter_by_kind(admin_client, ours, theirs):
    page = admin_client.get(LIST).content.decode()
    assert about(ours) in page and about(theirs) in page
    assert ours.subject not in page  # the claim key is not for people
    assert "Renewal reminder" in page and "Price increase notice" in page
    filtered = admin_client.get(LIST, {"kind__exact": "price_increase"}).content.decode()
    assert about(theirs) in filtered and about(ours) not in filtered


def test_nothing_to_add_change_or_delete(admin_client, ours):
    assert admin_client.get(f"{LIST}add/").status_code == 403
    page = admin_client.get(f"{LIST}{ours.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(f"{LIST}{ours.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Notice.objects.filter(pk=ours.pk).exists()


def test_an_account_manager_reads_only_their_customers_notices(
    client_for, account_manager, ours, theirs, overdue
):
    client = client_for(account_manager)
    page = client.get(LIST).content.decode()
    assert about(ours) in page
    assert about(overdue) in page  # through its invoice: no license on it
    assert about(theirs) not in page
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code == 404
    assert client.get(f"{LIST}{ours.pk}/change/").status_code == 200


def test_a_manager_of_other_customers_sees_none_of_them(client_for, ours, overdue):
    other = UserFactory(is_staff=True)
    other.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    OrganizationFactory(account_manager=other)
    page = client_for(other).get(LIST).content.decode()
    assert about(ours) not in page and about(overdue) not in page
