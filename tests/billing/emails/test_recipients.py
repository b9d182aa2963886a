"""Who receives an organization's billing mail."""

import pytest

from billing.details.services import billing_details_update
from billing.emails.services import billing_recipients
from portal.models import Role
from tests.factories.portal import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_owners_and_billing_admins_each_once_never_members_or_the_inactive():
    organization = OrganizationFactory()
    for role, email in [
        (Role.OWNER, "b@x.test"),
        (Role.BILLING, "a@x.test"),
        (Role.MEMBER, "m@x.test"),
    ]:
        MembershipFactory(organization=organization, role=role, user=UserFactory(email=email))
    MembershipFactory(
        organization=organization,
        role=Role.OWNER,
        user=UserFactory(email="gone@x.test", is_active=False),
    )
    MembershipFactory(role=Role.OWNER, user=UserFactory(email="elsewhere@x.test"))

    assert billing_recipients(organization) == ["a@x.test", "b@x.test"]


def test_the_billing_addresses_of_the_billing_details_receive_it_too_each_once(organization, owner):
    billing_details_update(
        organization=organization,
        actor=owner,
        legal_name="Example Ltd",
        address_line1="1 Main Street",
        city="Dublin",
        country="IE",
        billing_emails=["ap@example.test", owner.email.upper(), "AP@example.test"],
    )

    assert billing_recipients(organization) == [owner.email, "ap@example.test"]
