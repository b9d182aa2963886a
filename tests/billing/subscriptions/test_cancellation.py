"""Cancel at the term's end and resume before it, through the services: renewal off (and
back on), a change scheduled for the end canceled with it, both ledgers saying who and
why, an email to the billing recipients, and refusals that write nothing. "Now" is
14 March 2026; the term runs through 31 March."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from billing.checkout.quote import QuoteRefused
from billing.checkout.scheduled import scheduled_change_apply
from billing.models import (
    ScheduledChange,
    ScheduledChangeStatus,
    SubscriptionEvent,
    SubscriptionEventKind,
)
from billing.subscriptions.cancellation import (
    cancellation_terms,
    subscription_cancel,
    subscription_resume,
)
from billing.subscriptions.selectors import canceled_by_customer
from billing.subscriptions.services import subscription_set_auto_renew
from licensing.licenses.services import Actor, license_latest_file, license_suspend
from licensing.models import EventKind, LicenseEvent
from portal.models import OutboundEmail
from tests.helpers.checkout import confirm, preview, subscribed
from tests.helpers.licenses import SYSTEM


@pytest.fixture
def team(organization, catalog):
    return subscribed(organization, catalog, seats=5)


@pytest.fixture
def actor(owner):
    return Actor.of(owner, "owner")


def test_canceling_ends_renewal_and_is_on_record_with_the_reason_and_who(
    team, actor, owner, billing_admin, now
):
    subscription_cancel(
        subscription=team.subscription,
        actor=actor,
        reason="too_expensive",
        details="Budget cut for Q2.",
    )
    team.refresh_from_db()
    assert team.auto_renew is False and team.grace_until is None
    event = SubscriptionEvent.objects.get(kind=SubscriptionEventKind.AUTO_RENEW_OFF)
    assert event.actor == owner and event.effective_at == now
    assert event.operation.action == "subscription_cancel"
    assert event.reason == (
        f"Canceled at the end of the term by {owner.email} (owner). "
        "Reason: It costs too much: Budget cut for Q2."
    )
    assert event.operation.reason == event.reason
    license_event = LicenseEvent.objects.filter(kind=EventKind.AUTO_RENEW).get()
    assert license_event.reason == event.reason and license_event.actor == owner
    # The signed file says it now: no grace past the term.
    assert '"grace_until":null' in license_latest_file(team).body


def test_canceling_emails_every_billing_recipient_who_when_and_how_to_resume(
    team, actor, owner, billing_admin, teammate
):
    subscription_cancel(subscription=team.subscription, actor=actor, reason="")
    emails = OutboundEmail.objects.order_by("to")
    assert sorted(e.to for e in emails) == sorted([owner.email, billing_admin.email])
    email = emails[0]
    assert email.subject == "Northwind's Team subscription ends on 31 March 2026"
    assert f"{owner.email} canceled Northwind's Team subscription on 14 March 2026, 09:30 UTC" in (
        email.body_text
    )
    assert "stops validating at 1 April 2026, 00:00 UTC" in email.body_text
    assert "No further invoice is issued. Invoices still open remain due." in email.body_text
    # The data period the cancel page states (CANCELED_DATA_RETENTION_DAYS, 90).
    assert "Your data is kept for 90 days after the end, until 29 June 2026, to read" in (
        email.body_text
    )
    assert "until 29 June 2026, to read but not to use" in email.body_html
    assert "Resume the subscription from your dashboard until 31 March 2026" in email.body_text
    assert "/app/northwind/" in email.body_text and "Resume from your dashboard" in email.body_html
    assert "Reason given" not in email.body_text


def test_a_change_scheduled_for_the_end_is_canceled_with_it(downgraded, owner):
    license = downgraded.license
    assert license.auto_renew is True
    before = set(OutboundEmail.objects.values_list("pk", flat=True))
    subscription_cancel(
        subscription=license.subscription, actor=Actor.of(owner, "owner"), reason="switching"
    )
    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.CANCELED
    assert downgraded.close_reason.startswith(
        "The subscription was canceled at the end of the term"
    )
    # One decision, one message: the cancellation's email names the change called off.
    [email] = OutboundEmail.objects.exclude(pk__in=before)
    assert downgraded.summary in email.body_text


def test_resuming_renews_as_before(team, actor, owner, billing_admin, api_for):
    subscription_cancel(subscription=team.subscription, actor=actor, reason="pause")
    resumer = Actor.of(billing_admin, "billing admin")
    subscription_resume(subscription=team.subscription, actor=resumer)
    team.refresh_from_db()
    assert team.auto_renew is True
    assert team.grace_until == date(2026, 4, 7)  # the renewal grace is back
    kinds = list(SubscriptionEvent.objects.order_by("pk").values_list("kind", "operation__action"))
    assert kinds[-2:] == [
        ("auto_renew_off", "subscription_cancel"),
        ("auto_renew_on", "subscription_resume"),
    ]
    resumed = SubscriptionEvent.objects.order_by("-pk").first()
    assert resumed.actor == billing_admin
    assert (
        resumed.reason
        == f"Resumed before the end of the term by {billing_admin.email} (billing admin)."
    )
    email = OutboundEmail.objects.filter(subject__contains="renews again").first()
    assert email.subject == "Northwind's Team subscription renews again"
    assert "renews automatically on 1 April 2026, as before" in email.body_text
    assert f"{billing_admin.email} resumed" in email.body_text
    # Its key validates through the grace after the term, as a renewing license does.
    body = api_for(team, datetime(2026, 4, 5, tzinfo=UTC))
    assert (body["valid"], body["grace_until"]) == (True, "2026-04-08T00:00:00+00:00")


def test_a_canceled_licenses_key_stops_at_the_terms_end(team, actor, api_for):
    subscription_cancel(subscription=team.subscription, actor=actor)
    assert api_for(team, datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))["valid"] is True
    body = api_for(team, datetime(2026, 4, 1, tzinfo=UTC))
    assert (body["valid"], body["code"]) == (False, "expired")


def test_the_terms_say_what_happens(team, settings, now):
    settings.CANCELED_DATA_RETENTION_DAYS = 90
    terms = cancellation_terms(license=team, at=now)
    assert terms.ends_on == date(2026, 3, 31)
    assert terms.key_stops_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert terms.grace_until is None and terms.grace_days == 7
    assert terms.data_kept_until == date(2026, 6, 29)
    assert terms.invoices.open_count == 0 and terms.scheduled is None


@pytest.mark.parametrize(
    "setup, call, message",
    [
        ("canceled", "cancel", "already canceled: it ends on 31 March 2026"),
        ("none", "resume", "not canceled: it renews on 1 April 2026"),
        ("suspended", "cancel", "A suspended license has no subscription to cancel"),
        ("ended", "cancel", "The term ended on 31 March 2026"),
        ("canceled-ended", "resume", "The term ended on 31 March 2026"),
        ("none", "bad-reason", "Choose one of the reasons, or none."),
    ],
)
def test_refusals_say_why_and_write_nothing(team, actor, setup, call, message):
    at = None
    if setup.startswith("canceled"):
        subscription_cancel(subscription=team.subscription, actor=actor)
    if setup == "suspended":
        license_suspend(license=team, actor=SYSTEM, reason="Fraud check.")
    if setup.endswith("ended"):
        at = datetime(2026, 4, 1, 9, tzinfo=UTC)
    events, emails = SubscriptionEvent.objects.count(), OutboundEmail.objects.count()
    with pytest.raises(ValidationError, match=message):
        if call == "resume":
            subscription_resume(subscription=team.subscription, actor=actor, at=at)
        else:
            subscription_cancel(
                subscription=team.subscription,
                actor=actor,
                reason="nope" if call == "bad-reason" else "",
                at=at,
            )
    assert (SubscriptionEvent.objects.count(), OutboundEmail.objects.count()) == (events, emails)


@pytest.fixture
def api_for(client, organization, owner):
    """api_for(license, moment): the API's validation answer for the license's key then."""
    import time_machine

    from licensing.api.tokens import api_token_create
    from licensing.licenses import keys
    from licensing.licenses.services import license_rotate_key

    token = api_token_create(organization=organization, name="CI", created_by=owner)

    def validate(license, moment):
        key = license_rotate_key(license=license, actor=SYSTEM, reason="Test key.").key
        license.refresh_from_db()
        assert keys.same_hash(key, license.key_hash)
        with time_machine.travel(moment, tick=False):
            response = client.post(
                "/api/v1/licenses/validate",
                {"key": key},
                content_type="application/json",
                headers={"Authorization": f"Bearer {token.secret}"},
            )
        return response.json()

    return validate


def test_the_emails_escape_what_people_typed_in_html_only(team, actor, organization):
    payload = '<img src=x onerror="alert(1)">Evil'
    organization.name = payload
    organization.save()
    subscription_cancel(
        subscription=team.subscription, actor=actor, reason="other", details=payload
    )
    email = OutboundEmail.objects.first()
    assert payload not in email.body_html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Evil" in email.body_html
    # Plain text is never parsed as markup: it keeps what was typed, unescaped.
    assert f"Reason given: Another reason: {payload}." in email.body_text
    assert "&lt;" not in email.body_text and payload in email.subject


# --- A change of plan while canceled, and a renewal by hand ------------------------------

APRIL_1_MORNING = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)


def _staff_renews_by_hand(license) -> None:
    """What staff do in the subscription admin for a customer renewed by hand."""
    subscription_set_auto_renew(
        subscription=license.subscription,
        auto_renew=False,
        actor=SYSTEM,
        reason="Renewed by hand under the framework agreement.",
    )


def test_a_canceled_subscription_schedules_no_change_for_its_end(organization, catalog, owner, now):
    """The checkout passes the renewal as it is (off once canceled): a downgrade then
    would have carried "auto-renew off" into a change that a Resume left in place."""
    business = subscribed(organization, catalog, "business", seats=12)
    subscription_cancel(subscription=business.subscription, actor=Actor.of(owner, "owner"))
    business.refresh_from_db()
    with pytest.raises(QuoteRefused) as refused:
        preview(
            organization, business, owner, tier="team", seats=8, cycle="monthly", auto_renew=False
        )
    assert "Resume the subscription first to change what it renews to." in str(refused.value)
    assert not ScheduledChange.objects.filter(status=ScheduledChangeStatus.SCHEDULED).exists()
    # A change that takes effect now is still made, and keeps the cancellation.
    confirm(
        organization,
        business,
        owner,
        tier="business",
        seats=14,
        cycle="monthly",
        auto_renew=False,  # as the checkout page passes it: the renewal as it is
    )
    business.refresh_from_db()
    assert (business.seats, business.auto_renew) == (14, False)


def test_resuming_leaves_no_scheduled_change_that_ends_the_subscription(
    downgraded, owner, actor, now
):
    """A downgrade scheduled while canceled, before the checkout refused it (its plan with
    renewal off), keeps its plan after a Resume but no longer ends the subscription."""
    license = downgraded.license
    subscription_cancel(subscription=license.subscription, actor=actor)
    left = ScheduledChange.objects.create(
        license=license,
        effective_on=downgraded.effective_on,
        version=downgraded.version,
        seats=downgraded.seats,
        cycle=downgraded.cycle,
        price=downgraded.price,
        auto_renew=False,
        summary="Move to Team; 8 seats; end at the term's close",
        created_by=owner,
        created_at=now,
    )
    subscription_resume(subscription=license.subscription, actor=actor)
    left.refresh_from_db()
    assert left.status == ScheduledChangeStatus.SCHEDULED
    assert (left.seats, left.auto_renew) == (8, True)
    assert left.summary == "Move to Team; 8 seats"
    assert not ScheduledChange.objects.filter(
        license=license, status=ScheduledChangeStatus.SCHEDULED, auto_renew=False
    ).exists()

    scheduled_change_apply(change=left, at=APRIL_1_MORNING)
    license.refresh_from_db()
    assert (license.version.tier.slug, license.seats) == ("team", 8)
    assert license.auto_renew is True  # "Resume subscription undoes it"


def test_resuming_calls_off_a_change_that_only_ended_the_subscription(
    downgraded, owner, actor, now
):
    license = downgraded.license
    subscription_cancel(subscription=license.subscription, actor=actor)
    left = ScheduledChange.objects.create(
        license=license,
        effective_on=downgraded.effective_on,
        version=license.version,
        seats=license.seats,
        cycle="monthly",
        price=license.subscription.price_source,
        auto_renew=False,
        summary="End at the term's close",
        created_by=owner,
        created_at=now,
    )
    subscription_resume(subscription=license.subscription, actor=actor)
    left.refresh_from_db()
    assert left.status == ScheduledChangeStatus.CANCELED
    assert left.close_reason == "The subscription was resumed: it renews, as it is."


def test_the_record_tells_a_cancellation_from_a_renewal_by_hand(team, actor):
    assert canceled_by_customer(team) is False  # renewing
    subscription_cancel(subscription=team.subscription, actor=actor)
    team.refresh_from_db()
    assert canceled_by_customer(team) is True
    subscription_resume(subscription=team.subscription, actor=actor)
    _staff_renews_by_hand(team)
    team.refresh_from_db()
    # The last time renewal went off, staff did it in the admin: no cancellation.
    assert team.auto_renew is False and canceled_by_customer(team) is False


def test_a_renewal_by_hand_is_neither_resumed_nor_canceled_by_the_customer(
    organization, catalog, owner, team, actor
):
    _staff_renews_by_hand(team)
    team.refresh_from_db()
    events = SubscriptionEvent.objects.count()
    with pytest.raises(ValidationError, match="renewed by hand, as arranged with your account"):
        subscription_resume(subscription=team.subscription, actor=actor)
    with pytest.raises(ValidationError, match="renewed by hand, as arranged with your account"):
        subscription_cancel(subscription=team.subscription, actor=actor)
    team.refresh_from_db()
    assert team.auto_renew is False and SubscriptionEvent.objects.count() == events
    with pytest.raises(QuoteRefused, match="renewed by hand: your account manager will"):
        preview(organization, team, owner, tier="team", seats=3, cycle="monthly", auto_renew=False)
