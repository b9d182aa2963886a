"""Row locks only mean something on a real database: on PostgreSQL two owners demoting
each other at the same moment must leave the organization with an owner."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from portal import services
from portal.models import Membership, Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.services import REAL_SERVICES_REQUIRED

pytestmark = pytest.mark.integration


def test_the_suite_runs_on_postgresql_in_ci(db):
    if REAL_SERVICES_REQUIRED:
        assert connection.vendor == "postgresql"


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REAL_SERVICES_REQUIRED,
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner():
    organization = OrganizationFactory()
    first = MembershipFactory(organization=organization, role=Role.OWNER)
    second = MembershipFactory(organization=organization, role=Role.OWNER)
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(membership):
        barrier.wait()
        try:
            services.membership_change_role(membership=membership, role=Role.MEMBER)
            outcomes.append("demoted")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(m,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["demoted", "refused"]
    assert Membership.objects.filter(organization=organization, role=Role.OWNER).count() == 1
