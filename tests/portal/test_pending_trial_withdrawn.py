"""A trial chosen before sign-up (PendingPlan, kind trial) whose tier is no longer offered
by the time the account signs in, or no longer has a trial: signing in (/app/) lands on
the pricing page saying so, the pending plan dropped, and the next visit goes on as
usual instead of back to a 404 for good."""

import pytest
from django.test import Client
from django.urls import reverse

from licensing.models import Tier
from portal.models import PendingPlan, PendingPlanKind


@pytest.mark.parametrize("change", [{"is_public": False}, {"trial_days": None}])
def test_a_pending_trial_no_longer_offered_is_dropped_with_a_message(
    client_for, outsider, catalog, change
):
    PendingPlan.objects.create(
        user=outsider,
        query="tier=business",
        label="a 14-day trial of Business",
        kind=PendingPlanKind.TRIAL,
    )
    Tier.objects.filter(slug="business").update(**change)
    client = client_for(outsider)

    first = client.get(reverse("app_home"), follow=True)

    assert first.status_code == 200
    assert first.redirect_chain[-1][0] == reverse("pricing")
    assert (
        "The plan you chose when signing up (a 14-day trial of Business) is no longer offered."
        in first.content.decode()
    )
    assert not PendingPlan.objects.filter(user=outsider).exists()
    # The next sign-in lands on the account's organization, as anyone's does.
    assert client.get(reverse("app_home")).url == "/app/elsewhere/"


def test_a_tampered_trial_address_is_still_a_404(client_for, outsider, catalog):
    Tier.objects.filter(slug="business").update(is_public=False)

    assert client_for(outsider).get("/pricing/try/business/").status_code == 404
    assert Client().get("/pricing/try/business/").status_code == 404
