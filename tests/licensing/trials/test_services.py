"""Starting, extending and closing trials through licensing.trials.services: the start
rules at the service and at the database, a paying customer's license left as it was, a
new organization's trial license, and one ledger entry and one license file per change,
none for closing a trial twice."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from licensing.licenses.services import Actor, license_latest_file, license_suspend
from licensing.models import (
    EventKind,
    License,
    LicenseEvent,
    LicenseFile,
    LicenseStatus,
    Tier,
    Trial,
    TrialStatus,
)
from licensing.trials.services import (
    trial_close_converted,
    trial_end,
    trial_extend,
    trial_revert,
    trial_start,
)
from tests.factories import OrganizationFactory
from tests.helpers.licenses import SYSTEM, issue

END = datetime(2026, 3, 28, tzinfo=UTC)  # started 14 March, for 14 days


@pytest.fixture
def business(catalog):
    return Tier.objects.get(slug="business")


@pytest.fixture
def owner_actor(owner):
    return Actor.of(owner, "owner")


def counts(license):
    return (
        LicenseEvent.objects.filter(license=license).count(),
        LicenseFile.objects.filter(license=license).count(),
    )


def test_a_paying_customer_trials_a_higher_tier_on_its_own_license(
    issued, business, owner, owner_actor, now
):
    license = issued.license
    before = (license.version_id, license.seats, license.status, license.term_end)
    events, files = counts(license)

    started = trial_start(organization=license.organization, tier=business, actor=owner_actor)

    trial = started.trial
    assert started.key is None
    assert (trial.license, trial.tier, trial.status) == (license, business, TrialStatus.RUNNING)
    assert trial.version == business.versions.get(status="published")
    assert (trial.starts_at, trial.ends_at, trial.started_by) == (now, END, owner)
    license.refresh_from_db()
    assert (license.version_id, license.seats, license.status, license.term_end) == before
    assert counts(license) == (events + 1, files + 1)
    event = LicenseEvent.objects.filter(license=license).latest("revision")
    assert event.kind == EventKind.TRIAL_STARTED and event.revision == license.revision
    assert event.before == {}
    assert event.after == {
        "tier": "business",
        "version": trial.version.number,
        "starts_at": now.isoformat(),
        "ends_at": END.isoformat(),
        "status": "running",
    }


def test_a_new_organization_gets_a_trial_license_with_its_key_once(
    organization, business, owner_actor, now
):
    started = trial_start(organization=organization, tier=business, actor=owner_actor)

    license = started.trial.license
    assert started.key and license.key_prefix == started.key[: len(license.key_prefix)]
    assert license.status == LicenseStatus.TRIALING
    assert license.version == started.trial.version
    # Business is sold from 10 seats: the trial license has them (rules.trial_seats), so
    # its purchase bills what was tried; the term is the trial's days, no renewal.
    assert license.seats == 10
    assert (license.term_start, license.term_end) == (date(2026, 3, 14), date(2026, 3, 27))
    assert (license.auto_renew, license.ends_with_term, license.grace_until) == (
        False,
        True,
        None,
    )
    kinds = list(license.events.order_by("revision").values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.TRIAL_STARTED]


def test_a_tier_without_a_trial_is_refused(organization, catalog, owner_actor):
    enterprise = Tier.objects.get(slug="enterprise")
    assert enterprise.trial_days is None
    with pytest.raises(ValidationError, match="Enterprise has no trial"):
        trial_start(organization=organization, tier=enterprise, actor=owner_actor)
    assert not License.objects.filter(organization=organization).exists()


def test_a_tier_is_tried_once_even_after_the_trial_closed(issued, business, owner_actor, now):
    trial = trial_start(organization=issued.license.organization, tier=business, actor=owner_actor)
    trial_end(trial=trial.trial, actor=owner_actor)
    with pytest.raises(ValidationError, match="already tried Business"):
        trial_start(organization=issued.license.organization, tier=business, actor=owner_actor)
    assert Trial.objects.count() == 1


def test_the_database_refuses_a_second_trial_of_a_tier(issued, business):
    license = issued.license
    version = business.versions.get(status="published")
    fields = {"organization": license.organization, "license": license, "tier": business}
    Trial.objects.create(
        **fields,
        version=version,
        starts_at=END,
        ends_at=END + timedelta(days=1),
        status=TrialStatus.REVERTED,
        ended_at=END,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Trial.objects.create(
            **fields, version=version, starts_at=END, ends_at=END + timedelta(days=2)
        )


def test_a_lost_race_is_told_the_rules_reason(issued, business, owner_actor, monkeypatch):
    """Two starts at once: both pass the rule, the one that inserts second hits the
    constraint, and is told what the rule would have said, with nothing written."""
    from licensing.trials import rules, services

    real = rules.start_refusal
    calls = []

    def passes_first_time(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(services.rules, "start_refusal", passes_first_time)
    license = issued.license
    Trial.objects.create(  # the winner's row, committed while the loser checked
        organization=license.organization,
        license=license,
        tier=business,
        version=business.versions.get(status="published"),
        starts_at=END,
        ends_at=END + timedelta(days=1),
        status=TrialStatus.ENDED,
        ended_at=END,
    )
    events = counts(license)
    with pytest.raises(ValidationError, match="already tried Business"):
        trial_start(organization=license.organization, tier=business, actor=owner_actor)
    assert Trial.objects.count() == 1 and counts(license) == events


def test_the_same_or_a_lower_tier_is_refused(organization, catalog, owner_actor):
    issue(organization, catalog, "business")
    team = Tier.objects.get(slug="team")
    with pytest.raises(ValidationError, match="a trial is of a higher tier"):
        trial_start(organization=organization, tier=team, actor=owner_actor)


def test_one_running_trial_per_license(organization, catalog, owner_actor):
    issue(organization, catalog, "starter", seats=3)
    team, business = Tier.objects.get(slug="team"), Tier.objects.get(slug="business")
    team.trial_days = 14
    team.save()
    trial_start(organization=organization, tier=team, actor=owner_actor)
    with pytest.raises(ValidationError, match="already running"):
        trial_start(organization=organization, tier=business, actor=owner_actor)


def test_a_suspended_license_cannot_run_a_trial(issued, business, owner_actor):
    license_suspend(license=issued.license, actor=SYSTEM, reason="Fraud check.")
    with pytest.raises(ValidationError, match="not in use"):
        trial_start(organization=issued.license.organization, tier=business, actor=owner_actor)
    assert not Trial.objects.exists()


# --- Closing -------------------------------------------------------------------------


@pytest.fixture
def started(issued, business, owner_actor):
    return trial_start(organization=issued.license.organization, tier=business, actor=owner_actor)


def test_end_now_is_on_record_once(started, owner_actor, now):
    license = started.trial.license
    events, files = counts(license)

    trial = trial_end(trial=started.trial, actor=owner_actor, reason="Not for us.")
    again = trial_end(trial=started.trial, actor=owner_actor)

    assert (trial.status, trial.ended_at) == (TrialStatus.ENDED, now)
    assert again.status == TrialStatus.ENDED
    assert counts(license) == (events + 1, files + 1)
    event = license.events.latest("revision")
    assert (event.kind, event.reason) == (EventKind.TRIAL_ENDED, "Not for us.")
    assert event.before["status"] == "running" and event.after["status"] == "ended"
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE  # a paying customer's status stays


def test_the_revert_waits_for_the_end_then_happens_once(started):
    license = started.trial.license
    events, files = counts(license)

    assert trial_revert(trial=started.trial, at=END - timedelta(seconds=1)) is False
    assert trial_revert(trial=started.trial, at=END) is True
    assert trial_revert(trial=started.trial, at=END + timedelta(hours=1)) is False

    trial = Trial.objects.get(pk=started.trial.pk)
    assert (trial.status, trial.ended_at) == (TrialStatus.REVERTED, END)
    assert counts(license) == (events + 1, files + 1)
    assert license.events.latest("revision").kind == EventKind.TRIAL_REVERTED


def test_a_trial_license_expires_with_its_trial(organization, business, owner_actor):
    started = trial_start(organization=organization, tier=business, actor=owner_actor)
    trial_revert(trial=started.trial, at=END)
    license = License.objects.get(pk=started.trial.license_id)
    assert license.status == LicenseStatus.EXPIRED
    event = license.events.latest("revision")
    assert event.before["license_status"] == "trialing"
    assert event.after["license_status"] == "expired"


def test_a_trial_license_ended_now_expires_too(organization, business, owner_actor):
    started = trial_start(organization=organization, tier=business, actor=owner_actor)
    trial_end(trial=started.trial, actor=owner_actor)
    assert License.objects.get(pk=started.trial.license_id).status == LicenseStatus.EXPIRED


def test_a_converted_trial_closes_once_and_leaves_the_status_to_the_checkout(
    organization, business, owner_actor, now
):
    started = trial_start(organization=organization, tier=business, actor=owner_actor)
    license = started.trial.license
    events, _files = counts(license)
    with transaction.atomic():
        trial = trial_close_converted(trial=started.trial, at=now, actor=owner_actor)
        trial_close_converted(trial=started.trial, at=now, actor=owner_actor)
    assert (trial.status, trial.ended_at) == (TrialStatus.CONVERTED, now)
    assert counts(license)[0] == events + 1
    assert License.objects.get(pk=license.pk).status == LicenseStatus.TRIALING


@pytest.mark.parametrize(
    ("bought", "trial_license", "reason"),
    [
        (None, False, "Trial of Business converted: the tier was bought."),
        ("business", True, "Trial of Business converted: the tier was bought."),
        ("enterprise", False, "Trial of Business closed: Enterprise bought."),
        ("team", True, "Trial of Business closed: Team bought on its license."),
    ],
)
def test_a_converted_trials_reason_names_what_was_bought(
    request, organization, business, owner_actor, now, bought, trial_license, reason
):
    if not trial_license:
        request.getfixturevalue("issued")  # a paying license: the trial runs on it
    started = trial_start(organization=organization, tier=business, actor=owner_actor)
    assert (started.key is not None) == trial_license
    tier = Tier.objects.get(slug=bought) if bought else None
    trial_close_converted(trial=started.trial, at=now, actor=owner_actor, bought=tier)
    event = LicenseEvent.objects.get(
        license=started.trial.license_id, kind=EventKind.TRIAL_CONVERTED
    )
    assert event.reason == reason


def test_trial_entries_record_the_version_number_as_the_license_ledger_does(
    organization, business, owner_actor
):
    started = trial_start(organization=organization, tier=business, actor=owner_actor)
    license = started.trial.license
    created, trial_started = LicenseEvent.objects.filter(license=license).order_by("revision")
    version = started.trial.version
    assert version.pk != version.number  # the catalog's: the test tells the two apart
    assert created.after["version"] == version.number
    assert trial_started.after["version"] == version.number
    trial_extend(trial=started.trial, days=3, actor=owner_actor, reason="Asked for more.")
    extended = LicenseEvent.objects.get(license=license, kind=EventKind.TRIAL_EXTENDED)
    assert extended.before["version"] == extended.after["version"] == version.number


def test_a_closed_trial_is_not_reverted_nor_converted(started, owner_actor, now):
    trial_end(trial=started.trial, actor=owner_actor)
    events = counts(started.trial.license)
    assert trial_revert(trial=started.trial, at=END) is False
    trial = trial_close_converted(trial=started.trial, at=now, actor=owner_actor)
    assert trial.status == TrialStatus.ENDED
    assert counts(started.trial.license) == events


# --- Extending -----------------------------------------------------------------------


def test_staff_extend_a_running_trial_with_a_reason(started, admin_user):
    license = started.trial.license
    events, files = counts(license)
    trial = trial_extend(
        trial=started.trial, days=7, actor=Actor.of(admin_user, "staff"), reason="Pilot delayed."
    )
    assert trial.ends_at == END + timedelta(days=7)
    assert counts(license) == (events + 1, files + 1)
    event = license.events.latest("revision")
    assert (event.kind, event.reason) == (EventKind.TRIAL_EXTENDED, "Pilot delayed.")
    assert event.before["ends_at"] == END.isoformat()
    assert event.after["ends_at"] == (END + timedelta(days=7)).isoformat()
    assert license_latest_file(license).body  # the new file says the new end


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [
        (7, "  ", "Say why"),
        (0, "Pilot.", "Extend by 1 to 90 days"),
        (91, "Pilot.", "Extend by 1 to 90 days"),
    ],
)
def test_an_extension_needs_a_reason_and_sensible_days(started, days, reason, message):
    events = counts(started.trial.license)
    with pytest.raises(ValidationError, match=message):
        trial_extend(trial=started.trial, days=days, actor=SYSTEM, reason=reason)
    assert counts(started.trial.license) == events
    assert Trial.objects.get(pk=started.trial.pk).ends_at == END


def test_a_closed_trial_is_not_extended(started, owner_actor):
    trial_end(trial=started.trial, actor=owner_actor)
    with pytest.raises(ValidationError, match="closed"):
        trial_extend(trial=started.trial, days=3, actor=SYSTEM, reason="Asked.")


def test_a_trial_licenses_term_follows_its_extension(organization, business, owner_actor):
    started = trial_start(organization=organization, tier=business, actor=owner_actor)
    trial_extend(trial=started.trial, days=3, actor=SYSTEM, reason="Asked.")
    license = License.objects.get(pk=started.trial.license_id)
    assert license.term_end == date(2026, 3, 30)


def test_another_organizations_trial_is_its_own(business, owner_actor, catalog):
    other = OrganizationFactory(name="Contoso", slug="contoso")
    first = trial_start(organization=other, tier=business, actor=owner_actor)
    northwind = OrganizationFactory(name="Fabrikam", slug="fabrikam")
    second = trial_start(organization=northwind, tier=business, actor=owner_actor)
    assert first.trial.license != second.trial.license


def test_seats_bought_during_a_trial_are_the_plans_not_the_trials(started):
    """Team allows 15 seats, Business 50: a trial of Business sells no seats beyond
    Team's."""
    from licensing.licenses.services import license_change_seats

    license = started.trial.license
    with pytest.raises(ValidationError, match="at most 15 seats"):
        license_change_seats(license=license, seats=20, actor=SYSTEM, reason="Growing.")
    assert (
        license_change_seats(license=license, seats=15, actor=SYSTEM, reason="Growing.").seats == 15
    )
