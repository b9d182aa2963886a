"""Trial job tests: Northwind on Team (tests/fixtures licenses.issued), with an owner and
a billing admin, starts a 14-day Business trial on the suite's "now" (14 March 2026
09:30 UTC): its last day is 27 March, it ends at 00:00 UTC on 28 March."""

from datetime import UTC, datetime

import pytest

from licensing.licenses.services import Actor
from licensing.models import Tier
from licensing.trials.services import trial_start
from portal import clock

END = datetime(2026, 3, 28, tzinfo=UTC)


@pytest.fixture
def test_clock(settings, db):
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


@pytest.fixture
def started(issued, owner, billing_admin):
    business = Tier.objects.get(slug="business")
    return trial_start(
        organization=issued.license.organization, tier=business, actor=Actor.of(owner, "owner")
    )
