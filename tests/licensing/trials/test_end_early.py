"""A trial license's trial closed before its end (the customer's "End now"): the license
expires that day, its term ends that day (never before it started), it is readable for
the retention from then, and the ledger entry says so. Reverted at its end, the term
stays as it was; a paying customer's license keeps its term."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from licensing.licenses.services import Actor
from licensing.models import EventKind, License, LicenseStatus, Tier
from licensing.trials.services import trial_end, trial_revert, trial_start

END = datetime(2026, 3, 28, tzinfo=UTC)  # started 14 March (the suite's now), 14 days


@pytest.fixture
def business(catalog):
    return Tier.objects.get(slug="business")


def start(organization, business, owner):
    return trial_start(organization=organization, tier=business, actor=Actor.of(owner, "owner"))


def test_ended_early_the_term_ends_that_day_on_record(organization, business, owner, now):
    started = start(organization, business, owner)
    with time_machine.travel(datetime(2026, 3, 19, 16, tzinfo=UTC), tick=False):
        trial_end(trial=started.trial, actor=Actor.of(owner, "owner"))

    license = License.objects.get(pk=started.trial.license_id)
    assert (license.status, license.term_start, license.term_end) == (
        LicenseStatus.EXPIRED,
        date(2026, 3, 14),
        date(2026, 3, 19),
    )
    event = license.events.latest("revision")
    assert event.kind == EventKind.TRIAL_ENDED
    assert (event.before["term_end"], event.after["term_end"]) == ("2026-03-27", "2026-03-19")
    assert (event.before["license_status"], event.after["license_status"]) == (
        "trialing",
        "expired",
    )
    assert event.after["ended_at"] == "2026-03-19T16:00:00+00:00"


def test_ended_on_its_first_day_the_term_is_that_day(organization, business, owner, now):
    started = start(organization, business, owner)
    trial_end(trial=started.trial, actor=Actor.of(owner, "owner"))
    license = License.objects.get(pk=started.trial.license_id)
    assert (license.term_start, license.term_end) == (date(2026, 3, 14), date(2026, 3, 14))


def test_reverted_at_its_end_the_term_stays(organization, business, owner, now):
    started = start(organization, business, owner)
    trial_revert(trial=started.trial, at=END + timedelta(hours=2))
    license = License.objects.get(pk=started.trial.license_id)
    assert (license.status, license.term_end) == (LicenseStatus.EXPIRED, date(2026, 3, 27))
    event = license.events.latest("revision")
    assert event.before["term_end"] == event.after["term_end"] == "2026-03-27"


def test_a_paying_customers_term_is_left_alone(issued, business, owner, now):
    license = issued.license
    term = (license.term_start, license.term_end)
    started = start(license.organization, business, owner)
    trial_end(trial=started.trial, actor=Actor.of(owner, "owner"))
    license.refresh_from_db()
    assert (license.status, (license.term_start, license.term_end)) == (LicenseStatus.ACTIVE, term)
    assert "term_end" not in license.events.latest("revision").after


def test_the_dashboard_tells_the_day_it_ended(organization, business, owner, client_for, now):
    started = start(organization, business, owner)
    client = client_for(owner)
    with time_machine.travel(datetime(2026, 3, 19, 16, tzinfo=UTC), tick=False):
        response = client.post(
            reverse("trial_end", args=[organization.slug, started.trial.pk]), {"reason": ""}
        )
        assert response.status_code == 302
        page = client.get(reverse("organization_detail", args=[organization.slug]))
    html = page.content.decode()
    assert 'Expired on</dt><dd><time datetime="2026-03-19">19 March 2026' in html
    assert '14 Mar 2026</time> \u2013 <time datetime="2026-03-19">19 Mar 2026' in html
    assert 'Readable until</dt><dd><time datetime="2026-06-17">17 June 2026' in html
    assert "27 March 2026" not in html and "25 June 2026" not in html
