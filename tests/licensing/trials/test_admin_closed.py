"""The Trial admin's figures as the dashboard's meters say them (thousands separators and
units), and a closed trial: no "Extend…", said closed instead, its extend page telling
so (GET) and refusing (POST) without a form."""

from datetime import UTC, datetime

import pytest

from licensing.licenses.services import Actor
from licensing.models import Tier, Trial
from licensing.trials.services import trial_end, trial_start

LIST = "/admin/licensing/trial/"
END = datetime(2026, 3, 28, tzinfo=UTC)


@pytest.fixture
def ours(issued, catalog, now):
    business = Tier.objects.get(slug="business")
    return trial_start(
        organization=issued.license.organization, tier=business, actor=Actor(label="owner")
    ).trial


def test_limits_read_as_the_dashboards_meters(admin_client, ours):
    body = admin_client.get(f"{LIST}{ours.pk}/change/").content.decode()
    assert "API calls a month: 0 of 1,000,000 calls</div><div>Storage: 0 of 250 GB" in body
    assert "0 of 1000000" not in body and "0 of 250<" not in body
    assert "Extend…" in body and "it cannot be extended" not in body


def test_a_closed_trial_is_said_closed_and_not_offered_the_form(admin_client, ours):
    trial_end(trial=ours, actor=Actor(label="owner"))
    page = admin_client.get(f"{LIST}{ours.pk}/change/").content.decode()
    assert "Extend…" not in page
    assert (
        "This trial is closed (ended by the customer on 14 March 2026): it cannot be extended."
        in page
    )

    extend = admin_client.get(f"{LIST}{ours.pk}/extend/")
    body = extend.content.decode()
    assert extend.status_code == 200
    assert (
        "This trial is closed (ended by the customer on 14 March 2026): it cannot be extended."
        in body
    )
    assert 'name="days"' not in body and "Extend the trial" not in body

    refused = admin_client.post(f"{LIST}{ours.pk}/extend/", {"days": "7", "reason": "Asked."})
    assert refused.status_code == 409
    assert "it cannot be extended" in refused.content.decode()
    assert Trial.objects.get(pk=ours.pk).ends_at == END
