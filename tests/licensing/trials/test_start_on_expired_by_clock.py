"""A license past its term and renewal grace is expired by the clock, as the licensing API
answers, whether or not the job that closes it has run (it is still stored "active"). A
trial of a higher tier may not start on it: the one trial of the tier would be used up on
a license that validates as expired. The start page says why, as for a suspended one, and
offers no trial. "Now" is 14 March 2026."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from licensing.licenses.services import Actor
from licensing.models import LicenseStatus, Tier, Trial
from licensing.trials.services import trial_start
from tests.helpers.licenses import issue

START = "/app/northwind/trials/start/business/"


@pytest.fixture
def lapsed(organization, catalog, now):
    """Team for 2025, renewal grace long over, the closing job not run: stored active."""
    license = issue(
        organization, catalog, term_start=date(2025, 1, 1), term_end=date(2025, 12, 31)
    ).license
    assert license.status == LicenseStatus.ACTIVE
    return license


def test_a_trial_does_not_start_on_a_license_expired_by_the_clock(organization, lapsed):
    with pytest.raises(ValidationError, match="not in use"):
        trial_start(
            organization=organization,
            tier=Tier.objects.get(slug="business"),
            actor=Actor(label="owner"),
        )
    assert not Trial.objects.exists()


def test_the_start_page_refuses_it_and_offers_no_trial(client_for, owner, lapsed):
    client = client_for(owner)
    page = client.get(START)
    assert page.status_code == 409
    assert "not in use" in page.content.decode()
    assert client.post(START).status_code == 409
    assert not Trial.objects.exists()
