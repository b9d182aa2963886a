"""A trial license read through /licenses/entitlements after its trial's end, the
closing job not run yet (late): by the clock alone it is expired, as validate says, and
lends nothing of the trial tier; the same answer as once the job has run."""

from datetime import UTC, datetime

import time_machine

from licensing.licenses.services import Actor
from licensing.models import Tier, Trial
from licensing.trials.services import trial_revert, trial_start

END = datetime(2026, 3, 28, tzinfo=UTC)


def test_entitlements_of_a_trial_license_fall_back_at_the_end_with_a_late_job(
    api, organization, catalog
):
    business = Tier.objects.get(slug="business")
    started = trial_start(organization=organization, tier=business, actor=Actor(label="owner"))
    during = api("licenses/entitlements", {"key": started.key}).json()
    assert during["license"]["status"] == "trialing"
    assert "audit-log" in during["entitlements"]["features"]

    with time_machine.travel(END, tick=False):
        validate = api("licenses/validate", {"key": started.key}).json()
        late = api("licenses/entitlements", {"key": started.key}).json()
        trial_revert(trial=Trial.objects.get(pk=started.trial.pk), at=END)
        closed = api("licenses/entitlements", {"key": started.key}).json()

    assert validate["code"] == "expired"
    assert late["license"]["status"] == closed["license"]["status"] == "expired"
    assert late["entitlements"] == closed["entitlements"]
    assert late["entitlements"]["features"] == []
    assert late["entitlements"]["limits"] == {}


def test_a_trial_on_a_paid_license_falls_back_to_the_plan_with_a_late_job(api, issued, catalog):
    trial_start(
        organization=issued.license.organization,
        tier=Tier.objects.get(slug="business"),
        actor=Actor(label="owner"),
    )
    assert (
        "audit-log"
        in api("licenses/entitlements", {"key": issued.key}).json()["entitlements"]["features"]
    )

    with time_machine.travel(END, tick=False):
        after = api("licenses/entitlements", {"key": issued.key}).json()

    assert after["license"]["status"] == "active"
    assert "audit-log" not in after["entitlements"]["features"]
    assert "license-keys" in after["entitlements"]["features"]


def test_entitlements_names_the_trial_as_validate_does(api, issued, catalog):
    """While a trial is in force the software runs on its tier: /licenses/entitlements
    names it (license.tier, license.version, trial) as /licenses/validate does; once it
    has ended, both name the plan bought and no trial."""
    trial_start(
        organization=issued.license.organization,
        tier=Tier.objects.get(slug="business"),
        actor=Actor(label="owner"),
    )
    validate = api("licenses/validate", {"key": issued.key}).json()
    entitlements = api("licenses/entitlements", {"key": issued.key}).json()

    assert entitlements["license"] == validate["license"]
    assert entitlements["license"]["tier"] == "business"
    assert entitlements["trial"] == validate["trial"]
    assert entitlements["trial"]["tier"] == {"slug": "business", "name": "Business"}
    assert entitlements["trial"]["ends_at"] == END.isoformat()

    with time_machine.travel(END, tick=False):
        validate = api("licenses/validate", {"key": issued.key}).json()
        entitlements = api("licenses/entitlements", {"key": issued.key}).json()

    assert entitlements["license"] == validate["license"]
    assert entitlements["license"]["tier"] == issued.license.version.tier.slug != "business"
    assert entitlements["trial"] is None and validate["trial"] is None
