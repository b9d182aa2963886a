"""Converting a trial through the checkout (billing.trials.conversion): a paying customer's
upgrade to the trial tier, prorated from today with the trial days free; a purchase on a
trial license, which keeps its key; a change to another tier leaves the trial running,
and a trial that ended or reverted is never touched. "Now" is 14 March 2026 09:30 UTC."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing.checkout import services
from billing.checkout.quote import QuoteRefused
from billing.checkout.services import (
    StalePreview,
    Target,
    checkout_confirm,
    checkout_preview,
    checkout_start,
)
from billing.invoices.kinds import LineKind
from billing.models import (
    CheckoutStatus,
    Invoice,
    PeriodReason,
    ScheduledChange,
    Subscription,
    SubscriptionEvent,
    SubscriptionEventKind,
)
from billing.money import Money
from billing.trials import conversion
from licensing.licenses.services import Actor
from licensing.models import (
    EventKind,
    License,
    LicenseEvent,
    LicenseStatus,
    Tier,
    TrialStatus,
)
from licensing.trials.services import trial_revert, trial_start
from portal import clock
from tests.helpers.checkout import confirm, preview, subscribed
from tests.helpers.licenses import SYSTEM
from tests.helpers.trials import running_trial

TODAY = date(2026, 3, 14)


def usd(amount) -> Money:
    return Money(Decimal(amount), "USD")


def trial_license(organization, catalog, tier="business", *, days_in=5):
    """A trial license (status trialing, no subscription, no renewal, 5 seats) whose
    trial licensing.trials started `days_in` days ago for an organization without one."""
    started = trial_start(
        organization=organization,
        tier=Tier.objects.get(slug=tier),
        actor=SYSTEM,
        at=clock.now() - timedelta(days=days_in),
    )
    trial = started.trial
    return License.objects.get(pk=trial.license_id), trial


def converted_events(license) -> int:
    return LicenseEvent.objects.filter(license=license, kind=EventKind.TRIAL_CONVERTED).count()


def ledger(license) -> list[str]:
    return list(
        SubscriptionEvent.objects.filter(license=license)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


@pytest.fixture
def paying(organization, catalog, now):
    """Team, 12 seats a month for March, trying Business since 9 March."""
    license = subscribed(organization, catalog, seats=12)
    trial = running_trial(license, "business", starts_at=now - timedelta(days=5))
    return license, trial


# --- A paying customer ------------------------------------------------------------------


def test_a_paying_customer_converts_by_an_upgrade_prorated_from_today(
    organization, catalog, owner, paying, now
):
    license, trial = paying
    before = ledger(license)
    shown, checkout = confirm(
        organization, license, owner, tier="business", seats=12, cycle="monthly"
    )

    assert shown.trial == trial
    assert shown.trial_message == (
        "Your Business trial becomes your plan from today; the trial days were free."
    )
    # Prorated from today as any upgrade: 18 of 31 days (14-31 March) of Team credited,
    # of Business charged; nothing for the five trial days before today.
    lines = list(checkout.invoice.lines.order_by("pk"))
    assert [(line.kind, line.amount) for line in lines] == [
        (LineKind.PRORATION_CREDIT, Decimal("-132.39")),  # 228 x 18/31
        (LineKind.PRORATION_CHARGE, Decimal("271.74")),  # 468 x 18/31
    ]
    assert {(line.period_start, line.period_end) for line in lines} == {(TODAY, date(2026, 3, 31))}
    assert checkout.invoice.money("subtotal") == usd("139.35")
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED and trial.ended_at == now
    license.refresh_from_db()
    assert license.version == catalog.version("business")
    assert license.seats == 12 and license.status == LicenseStatus.ACTIVE
    assert (license.term_start, license.term_end) == (date(2026, 3, 1), date(2026, 3, 31))
    # The trial's entry in the license ledger; in the commercial one, the upgrade (caused
    # by the checkout) with its MRR movement, and the conversion (by the trial), none.
    assert converted_events(license) == 1
    assert ledger(license)[len(before) :] == [
        SubscriptionEventKind.UPGRADED,
        SubscriptionEventKind.TRIAL_CONVERTED,
    ]
    upgraded, converted = SubscriptionEvent.objects.filter(license=license).order_by("-pk")[:2][
        ::-1
    ]
    assert upgraded.checkout == checkout and upgraded.trial is None
    assert converted.trial == trial and converted.checkout is None
    assert (converted.mrr_before, converted.mrr_after) == (46800, 46800)
    assert (upgraded.mrr_before, upgraded.mrr_after) == (22800, 46800)
    assert converted.after["trial"]["status"] == TrialStatus.CONVERTED
    assert converted.after["trial"]["tier"] == "business"
    assert checkout.status == CheckoutStatus.CONFIRMED


def test_the_trials_version_is_the_one_bought(organization, catalog, owner, paying):
    license, trial = paying
    shown = preview(organization, license, owner, tier="business", seats=12, cycle="monthly")
    assert shown.version == trial.version


def test_an_upgrade_with_fewer_seats_later_still_converts_now(organization, catalog, owner, paying):
    license, trial = paying
    # Business is sold from 10 seats: 10 of them wait for the term's end, the tier is now.
    shown, checkout = confirm(
        organization, license, owner, tier="business", seats=10, cycle="monthly"
    )
    assert shown.quote.now.tier == "business" and shown.quote.later.seats == 10
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    assert checkout.scheduled_change.seats == 10


@pytest.mark.parametrize(
    ("target", "scheduled"),
    [
        ({"tier": "starter", "seats": 3, "cycle": "monthly"}, True),  # a downgrade
        ({"tier": "team", "seats": 14, "cycle": "monthly"}, False),  # more seats
    ],
    ids=["downgrade", "seats"],
)
def test_a_change_below_the_trials_tier_leaves_the_trial_running(
    organization, catalog, owner, paying, target, scheduled
):
    license, trial = paying
    shown, checkout = confirm(organization, license, owner, **target)

    assert shown.trial is None and shown.trial_message == ""
    assert checkout.status == CheckoutStatus.CONFIRMED
    assert (checkout.scheduled_change is not None) == scheduled
    trial.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING and trial.ended_at is None
    assert converted_events(license) == 0


def converted_reason(license) -> str:
    return LicenseEvent.objects.get(license=license, kind=EventKind.TRIAL_CONVERTED).reason


def test_an_upgrade_past_the_trials_tier_closes_it_as_converted(
    organization, catalog, owner, paying, now
):
    license, trial = paying
    shown, checkout = confirm(
        organization, license, owner, tier="enterprise", seats=25, cycle="monthly"
    )

    assert shown.trial == trial
    assert shown.trial_message == (
        "Your Business trial ends today: you buy Enterprise; the trial days were free."
    )
    assert checkout.status == CheckoutStatus.CONFIRMED
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED and trial.ended_at == now
    assert converted_reason(license) == "Trial of Business closed: Enterprise bought."
    license.refresh_from_db()
    assert license.version == catalog.version("enterprise") and license.seats == 25
    assert converted_events(license) == 1


def test_the_conversion_of_the_trials_own_tier_keeps_its_reason(
    organization, catalog, owner, paying
):
    license, _ = paying
    confirm(organization, license, owner, tier="business", seats=12, cycle="monthly")
    assert converted_reason(license) == "Trial of Business converted: the tier was bought."


@pytest.mark.parametrize("closed", [TrialStatus.ENDED, TrialStatus.REVERTED])
def test_a_closed_trial_is_not_touched_by_an_upgrade_to_its_tier(
    organization, catalog, owner, paying, now, closed
):
    license, trial = paying
    trial.status, trial.ended_at = closed, now - timedelta(days=1)
    trial.save()

    shown, checkout = confirm(
        organization, license, owner, tier="business", seats=12, cycle="monthly"
    )

    assert shown.trial is None
    assert checkout.invoice is not None  # an ordinary upgrade
    trial.refresh_from_db()
    assert trial.status == closed and trial.ended_at == now - timedelta(days=1)
    assert converted_events(license) == 0


def test_a_trial_closed_between_preview_and_confirm_makes_the_preview_stale(
    organization, catalog, owner, paying, now
):
    license, trial = paying
    shown = preview(organization, license, owner, tier="business", seats=12, cycle="monthly")
    trial.status, trial.ended_at = TrialStatus.ENDED, now
    trial.save()

    with pytest.raises(StalePreview) as refused:
        checkout_confirm(
            checkout=shown.checkout,
            target=shown.target,
            digest=shown.digest,
            actor=Actor.of(owner, "owner"),
        )

    assert refused.value.preview.trial is None
    assert not Invoice.objects.exists()
    license.refresh_from_db()
    assert license.version == catalog.version("team")
    assert converted_events(license) == 0


def test_confirming_a_conversion_twice_converts_once(organization, catalog, owner, paying):
    license, trial = paying
    shown, checkout = confirm(
        organization, license, owner, tier="business", seats=12, cycle="monthly"
    )
    again = checkout_confirm(
        checkout=shown.checkout,
        target=shown.target,
        digest=shown.digest,
        actor=Actor.of(owner, "owner"),
    )
    assert again.invoice_id == checkout.invoice_id
    assert Invoice.objects.count() == 1
    assert converted_events(license) == 1
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED


# --- A trial license --------------------------------------------------------------------


def test_a_trial_license_converts_by_a_purchase_on_it_keeping_its_key(
    organization, catalog, owner, now
):
    license, trial = trial_license(organization, catalog)
    key_hash, key_prefix = license.key_hash, license.key_prefix

    shown, checkout = confirm(
        organization, license, owner, tier="business", seats=10, cycle="monthly", currency="USD"
    )

    assert shown.buys_trial_license and shown.quote.is_purchase
    assert shown.trial_message == (
        "Your Business trial becomes your plan from today; the trial days were free. "
        "Your license key stays the same."
    )
    assert checkout.status == CheckoutStatus.CONFIRMED
    assert checkout.license_id == license.pk
    assert not checkout.issued_key  # no key shown: the software keeps its own
    license.refresh_from_db()
    assert (license.key_hash, license.key_prefix) == (key_hash, key_prefix)
    assert license.status == LicenseStatus.ACTIVE
    # The term starts on the day of conversion: the trial days were free.
    assert (license.term_start, license.term_end) == (TODAY, date(2026, 4, 13))
    assert license.version == trial.version and license.seats == 10  # from the trial's 5
    # It renews now, as the preview said (a trial license does not).
    assert license.auto_renew and not license.ends_with_term
    assert shown.quote.renews_on == date(2026, 4, 14)
    subscription = Subscription.objects.get(license=license)
    assert (subscription.currency_id, subscription.cycle) == ("USD", "monthly")
    assert subscription.unit_amount == Decimal("39.00")
    assert list(subscription.periods.values_list("starts_on", "ends_on", "reason")) == [
        (TODAY, date(2026, 4, 13), PeriodReason.PURCHASE)
    ]
    # The first term, billed whole.
    invoice = checkout.invoice
    assert invoice.license_id == license.pk
    lines = list(invoice.lines.all())
    assert [(line.kind, line.amount, line.period_start, line.period_end) for line in lines] == [
        (LineKind.RECURRING, Decimal("390.00"), TODAY, date(2026, 4, 13))
    ]
    assert invoice.money("subtotal") == usd("390.00")
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED and trial.ended_at == now
    assert organization.licenses.count() == 1


def test_a_trial_license_purchase_is_one_change_of_the_license(organization, catalog, owner):
    """The purchase and the trial's closing: one license ledger entry and one new license
    file; in the commercial ledger, the purchase (the checkout's) and the conversion
    (the trial's, from no MRR to the purchase's)."""
    license, trial = trial_license(organization, catalog)
    entries, files = license.events.count(), license.files.count()

    _, checkout = confirm(
        organization, license, owner, tier="business", seats=10, cycle="monthly", currency="USD"
    )

    assert list(license.events.order_by("pk").values_list("kind", flat=True))[entries:] == [
        EventKind.TRIAL_CONVERTED
    ]
    entry = license.events.latest("pk")
    assert entry.before["license"]["status"] == LicenseStatus.TRIALING
    assert entry.after["license"] | {"term_end": None} == {
        "status": LicenseStatus.ACTIVE,
        "seats": 10,
        "tier": "business",
        "version": trial.version.number,
        "term_start": TODAY.isoformat(),
        "term_end": None,
        "auto_renew": True,
    }
    assert license.files.count() == files + 1
    assert ledger(license) == [
        SubscriptionEventKind.TRIAL_STARTED,
        SubscriptionEventKind.PURCHASED,
        SubscriptionEventKind.TRIAL_CONVERTED,
    ]
    started, purchased, converted = SubscriptionEvent.objects.filter(license=license).order_by("pk")
    # Started on a trial license: no subscription, no currency, no MRR.
    assert started.subscription is None and started.currency is None
    assert (started.mrr_before, started.mrr_after) == (0, 0)
    assert purchased.checkout == checkout and converted.trial == trial
    assert converted.subscription == purchased.subscription
    assert (converted.mrr_before, converted.mrr_after) == (purchased.mrr_after,) * 2
    assert purchased.mrr_after > 0


def test_a_trial_license_may_buy_another_tier_and_cycle(organization, catalog, owner, now):
    license, trial = trial_license(organization, catalog)

    shown, checkout = confirm(
        organization, license, owner, tier="team", seats=5, cycle="annual", currency="EUR"
    )

    assert shown.trial_message == (
        "Your Business trial ends today: you buy Team on its license, and what the trial "
        "gives that Team does not is kept, read-only; the trial days were free. Your "
        "license key stays the same."
    )
    # What Business gives that Team does not, as a downgrade lists it.
    lost = set(shown.continuity.features_lost)
    assert lost and lost == business_only_features(catalog)
    license.refresh_from_db()
    assert license.version == catalog.version("team") and license.seats == 5
    assert (license.term_start, license.term_end) == (TODAY, date(2027, 3, 13))
    assert license.status == LicenseStatus.ACTIVE
    assert Subscription.objects.get(license=license).currency_id == "EUR"
    assert checkout.invoice.money("subtotal") == Money(Decimal("900.00"), "EUR")
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    assert converted_events(license) == 1
    assert converted_reason(license) == "Trial of Business closed: Team bought on its license."


def business_only_features(catalog) -> set[str]:
    business = catalog.version("business")
    team = catalog.version("team")
    return {
        grant.feature.name
        for grant in business.feature_rows.select_related("feature")
        if not team.feature_rows.filter(feature=grant.feature).exists()
    }


@pytest.mark.parametrize("tier", ["business", "enterprise"])
def test_a_trial_license_bought_at_or_above_its_tier_lists_nothing_lost(
    organization, catalog, owner, tier
):
    license, _ = trial_license(organization, catalog)
    shown = preview(
        organization, license, owner, tier=tier, seats=25, cycle="monthly", currency="USD"
    )
    assert shown.trial is not None and shown.continuity is None


def test_a_trial_license_purchase_refuses_bad_input_and_writes_nothing(
    organization, catalog, owner
):
    license, trial = trial_license(organization, catalog)
    for target, field in [
        ({"tier": "business", "seats": 3, "cycle": "monthly", "currency": "USD"}, "seats"),
        ({"tier": "business", "seats": 10, "cycle": "weekly", "currency": "USD"}, "cycle"),
        ({"tier": "business", "seats": 10, "cycle": "monthly", "currency": "XYZ"}, "currency"),
        ({"tier": "platinum", "seats": 10, "cycle": "monthly", "currency": "USD"}, "tier"),
    ]:
        with pytest.raises(QuoteRefused) as refused:
            preview(organization, license, owner, **target)
        assert field in refused.value.errors
    license.refresh_from_db()
    trial.refresh_from_db()
    assert license.status == LicenseStatus.TRIALING and trial.status == TrialStatus.RUNNING
    assert not Subscription.objects.exists() and not Invoice.objects.exists()


def test_two_checkouts_of_a_trial_license_buy_it_once(organization, catalog, owner):
    license, trial = trial_license(organization, catalog)
    first = preview(
        organization, license, owner, tier="business", seats=10, cycle="monthly", currency="USD"
    )
    second = preview(
        organization, license, owner, tier="business", seats=12, cycle="monthly", currency="USD"
    )
    actor = Actor.of(owner, "owner")
    checkout_confirm(checkout=first.checkout, target=first.target, digest=first.digest, actor=actor)

    with pytest.raises(StalePreview) as refused:
        checkout_confirm(
            checkout=second.checkout, target=second.target, digest=second.digest, actor=actor
        )

    # The second tab now sees a change of the plan bought, not a second purchase.
    assert refused.value.preview.trial is None and not refused.value.preview.buys_trial_license
    assert Subscription.objects.count() == 1 and Invoice.objects.count() == 1
    assert converted_events(license) == 1
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    assert not ScheduledChange.objects.exists()


def test_a_trial_license_buys_more_seats_than_the_trial_tier_allows(organization, catalog, owner):
    # Team allows 15 seats; Business, bought from a Team trial, 50: the seats are checked
    # against what is bought, not against the trial lent until now.
    license, trial = trial_license(organization, catalog, "team")

    confirm(
        organization, license, owner, tier="business", seats=20, cycle="monthly", currency="USD"
    )

    license.refresh_from_db()
    assert license.version == catalog.version("business") and license.seats == 20
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED


def test_a_trial_past_its_end_bought_before_the_late_job_is_converted_not_reverted(
    organization, catalog, owner, now
):
    # The trial ended at midnight; the closing job has not run. Buying it converts it,
    # and the job then finds it closed: the license bought does not expire.
    license, trial = trial_license(organization, catalog, days_in=14)
    assert trial.ends_at <= now

    confirm(
        organization, license, owner, tier="business", seats=10, cycle="monthly", currency="USD"
    )

    assert trial_revert(trial=trial, at=now) is False
    trial.refresh_from_db()
    license.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    assert license.status == LicenseStatus.ACTIVE and license.term_start == TODAY


# --- Which change converts (billing.trials.conversion.converts) ------------------------


@pytest.mark.parametrize(
    ("tier_now", "above", "tier_before", "converts"),
    [
        ("business", 0, "team", True),  # to the trial's tier
        ("enterprise", 1, "team", True),  # above it
        ("starter", -2, "team", False),  # below it
        ("team", -1, "team", False),  # the same tier: seats, cycle
        ("team", -1, None, True),  # a purchase on a trial license, below
        ("business", 0, None, True),  # ... at
        ("business", 0, "business", False),  # no move of tier
        ("mid", 0, "team", True),  # another tier of the trial's rank: at it
        ("low", -1, "starter", False),  # a move, one rank below the trial's
    ],
)
def test_converts_at_or_above_the_trials_tier(
    organization, catalog, paying, tier_now, above, tier_before, converts
):
    """`above`: the tier bought's Tier.order less the trial's (Business)."""
    _, trial = paying
    rank_now = trial.tier.order + above
    assert (
        conversion.converts(trial, tier_now=tier_now, rank_now=rank_now, tier_before=tier_before)
        is converts
    )


@pytest.mark.parametrize("status", [TrialStatus.ENDED, TrialStatus.REVERTED, TrialStatus.CONVERTED])
def test_a_closed_trial_never_converts(organization, catalog, paying, status):
    _, trial = paying
    trial.status = status
    assert not conversion.converts(trial, tier_now="enterprise", rank_now=9, tier_before="team")
    assert not conversion.converts(None, tier_now="business", rank_now=3, tier_before=None)


# --- A checkout opened before a trial license was issued -------------------------------


@pytest.mark.parametrize("tier", ["team", "business", "starter"])
def test_a_checkout_opened_before_a_trial_started_is_refused_by_product(
    organization, catalog, owner, tier
):
    checkout = checkout_start(organization=organization, license=None, user=owner)
    license, trial = trial_license(organization, catalog, days_in=0)
    target = Target(tier=tier, seats=10, cycle="monthly", currency="USD")

    with pytest.raises(StalePreview) as refused:
        checkout_preview(checkout=checkout, target=target)
    assert refused.value.license == license
    assert refused.value.preview is None
    assert "started a Business trial since this checkout was opened" in refused.value.message
    assert "one_open_license_per_product" not in refused.value.message

    with pytest.raises(StalePreview):
        checkout_confirm(
            checkout=checkout, target=target, digest="x" * 64, actor=Actor.of(owner, "owner")
        )
    assert organization.licenses.count() == 1
    assert not Invoice.objects.exists() and not Subscription.objects.exists()
    trial.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING


def test_a_checkout_opened_before_a_purchase_is_refused_with_the_license(
    organization, catalog, owner
):
    checkout = checkout_start(organization=organization, license=None, user=owner)
    license = subscribed(organization, catalog, seats=12)
    with pytest.raises(StalePreview) as refused:
        checkout_preview(checkout=checkout, target=Target(tier="starter", seats=3, cycle="monthly"))
    assert refused.value.license == license
    assert refused.value.message == (
        "Your organization has a license of this product since this checkout was opened: "
        "change that license instead."
    )


def test_a_trial_license_issued_after_the_confirmations_check_is_refused_the_same(
    organization, catalog, owner, monkeypatch
):
    """The race the preview's check cannot see: a trial license issued between it and
    the purchase's license. The database refuses the second license; the customer is
    told what the preview would have said, never a constraint's name."""
    target = Target(tier="team", seats=5, cycle="monthly", currency="USD")
    checkout = checkout_start(organization=organization, license=None, user=owner)
    shown = checkout_preview(checkout=checkout, target=target)
    license, _ = trial_license(organization, catalog, days_in=0)
    real = services._refuse_a_second_license
    calls = []

    def late(organization, tier_slug):  # the confirmation's check runs before the trial
        calls.append(tier_slug)
        if len(calls) > 1:
            real(organization, tier_slug)

    monkeypatch.setattr(services, "_refuse_a_second_license", late)

    with pytest.raises(StalePreview) as refused:
        checkout_confirm(
            checkout=checkout, target=target, digest=shown.digest, actor=Actor.of(owner, "owner")
        )

    assert len(calls) == 2
    assert refused.value.license == license
    assert "one_open_license_per_product" not in refused.value.message
    assert organization.licenses.count() == 1
    assert not Invoice.objects.exists() and not Subscription.objects.exists()
