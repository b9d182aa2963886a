"""Renewal reminders as the daily job sends them (billing.renewals.reminder_tasks): each
once per lead time and renewal date, across runs, duplicates and a lost race; the
backfill when the lead times change; monthly terms; nothing once the renewal happened; a
price rise told 90 days ahead with both prices; only owners, billing admins and billing
addresses receive them; the amount is next_renewal's, to the cent.
"Now" is 14 March 2026 (tests/conftest.py); each test travels to the day it needs."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import IntegrityError

from billing.models import BillingDetails, Notice, NoticeKind
from billing.renewals import notices
from billing.renewals.reminder_tasks import send_renewal_reminder_batch, send_renewal_reminders
from billing.renewals.selectors import next_renewal
from licensing.licenses.services import license_renew, license_set_auto_renew
from licensing.models import TierVersion
from licensing.usage.services import UsageReport, usage_record_batch
from portal import clock
from portal.models import OutboundEmail
from tests.factories import OrganizationFactory
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import SYSTEM

pytestmark = pytest.mark.django_db


def on(day: date):
    """Travel to `day` at 07:00 UTC, the day's reminder run."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 7, tzinfo=UTC), tick=False)


def run(day: date) -> int:
    with on(day):
        return send_renewal_reminders.apply(throw=True).get()


def reminders(license) -> list[tuple]:
    return sorted(
        Notice.objects.filter(license=license).values_list("kind", "period", "lead", "sent_on")
    )


def emails(subject_part: str = "") -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(subject__contains=subject_part).order_by("pk"))


@pytest.fixture(autouse=True)
def _simulated(settings):
    # The job runs its batches in-process, as on the test clock.
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


@pytest.fixture
def people(organization, owner, billing_admin, teammate):
    BillingDetails.objects.create(
        organization=organization,
        legal_name="Northwind Ltd",
        country="US",
        billing_emails=["ap@northwind.example"],
    )
    return {"owner": owner, "billing": billing_admin, "member": teammate}


@pytest.fixture
def annual(organization, catalog):
    """Team, annual, renewing on 1 July 2026 (90 days before: 2 April)."""
    return subscribed(
        organization,
        catalog,
        "team",
        cycle="annual",
        term_start=date(2025, 7, 1),
        term_end=date(2026, 6, 30),
    )


@pytest.fixture
def monthly(organization, catalog):
    """Team, monthly, March 2026: renews on 1 April (7 days before: 25 March)."""
    return subscribed(organization, catalog, "team")


def test_each_annual_reminder_is_sent_once_across_runs_and_duplicates(annual, people):
    days = [
        date(2026, 3, 31),  # 92 days left: nothing yet
        date(2026, 4, 2),  # 90: the 90-day reminder
        date(2026, 4, 2),  # the same day again (a duplicated tick)
        date(2026, 4, 3),
        date(2026, 6, 1),  # 30
        date(2026, 6, 1),
        date(2026, 6, 24),  # 7
        date(2026, 6, 25),
        date(2026, 6, 30),  # the day before: all three sent, nothing more
    ]
    for day in days:
        run(day)
    assert reminders(annual) == [
        ("renewal_reminder", date(2026, 7, 1), 7, date(2026, 6, 24)),
        ("renewal_reminder", date(2026, 7, 1), 30, date(2026, 6, 1)),
        ("renewal_reminder", date(2026, 7, 1), 90, date(2026, 4, 2)),
    ]
    # Three reminders, each to the owner, the billing admin and the billing address.
    assert len(emails("renews on 1 July 2026")) == 3 * 3


def test_a_batch_delivered_twice_sends_nothing_more(annual, people):
    ids = [annual.pk]
    first = send_renewal_reminder_batch.apply(args=[ids, "2026-04-02"], throw=True).get()
    again = send_renewal_reminder_batch.apply(args=[ids, "2026-04-02"], throw=True).get()
    assert (first["sent"], first["emails"]) == (1, 3)
    assert (again["sent"], again["nothing_due"]) == (0, 1)
    assert len(emails()) == 3


def test_a_run_that_lost_the_race_rolls_back_its_emails_and_goes_on(
    annual, people, catalog, monkeypatch
):
    """Two workers read "nothing sent yet" at once: the second one's Notice insert
    fails on the unique key, its emails roll back with it, and the batch goes on."""
    other = subscribed(
        OrganizationFactory(name="Contoso", slug="contoso"),
        catalog,
        "starter",
        seats=3,
        cycle="annual",
        term_start=date(2025, 7, 1),
        term_end=date(2026, 6, 30),
    )
    with on(date(2026, 4, 2)):
        notices.reminders_send(license_ids=[annual.pk], today=clock.today())
        monkeypatch.setattr(notices, "_sent", lambda ids: {})  # the stale read
        counts = notices.reminders_send(license_ids=[annual.pk, other.pk], today=clock.today())
    assert (counts.already_sent, counts.sent) == (1, 1)
    assert Notice.objects.filter(license=annual).count() == 1
    assert len(emails("Northwind")) == 3  # the first run's only (Contoso has nobody to tell)
    assert Notice.objects.filter(license=other, lead=90).exists()


def test_the_notice_key_is_the_claim(annual):
    Notice.objects.create(
        kind=NoticeKind.RENEWAL_REMINDER,
        subject=f"license:{annual.pk}",
        period=date(2026, 7, 1),
        lead=90,
        sent_on=date(2026, 4, 2),
    )
    with pytest.raises(IntegrityError):
        Notice.objects.create(
            kind=NoticeKind.RENEWAL_REMINDER,
            subject=f"license:{annual.pk}",
            period=date(2026, 7, 1),
            lead=90,
            sent_on=date(2026, 4, 3),
        )


def test_moving_the_window_from_5_to_15_days_still_reminds_a_license_8_days_out(
    monthly, people, settings
):
    settings.RENEWAL_REMINDER_DAYS = {"annual": [90, 30, 7], "monthly": [5]}
    run(date(2026, 3, 24))  # 8 days left: outside 5
    assert reminders(monthly) == []
    settings.RENEWAL_REMINDER_DAYS = {"annual": [90, 30, 7], "monthly": [15]}
    run(date(2026, 3, 24))
    assert reminders(monthly) == [("renewal_reminder", date(2026, 4, 1), 15, date(2026, 3, 24))]
    run(date(2026, 3, 25))
    assert len(reminders(monthly)) == 1


def test_a_monthly_license_is_reminded_7_days_ahead(monthly, people):
    run(date(2026, 3, 24))
    assert reminders(monthly) == []
    run(date(2026, 3, 25))
    run(date(2026, 3, 26))
    assert reminders(monthly) == [("renewal_reminder", date(2026, 4, 1), 7, date(2026, 3, 25))]


def test_no_reminder_once_the_renewal_has_happened(monthly, people):
    run(date(2026, 3, 25))
    with on(date(2026, 4, 1)):
        license_renew(license=monthly, term_end=date(2026, 4, 30), actor=SYSTEM, reason="Renewed.")
    run(date(2026, 4, 1))
    run(date(2026, 4, 2))
    # The next term's reminder comes on its own day, for its own renewal date.
    assert reminders(monthly) == [("renewal_reminder", date(2026, 4, 1), 7, date(2026, 3, 25))]
    run(date(2026, 4, 24))
    assert reminders(monthly)[-1] == ("renewal_reminder", date(2026, 5, 1), 7, date(2026, 4, 24))


def test_no_reminder_on_or_after_the_renewal_day(monthly, people):
    run(date(2026, 4, 1))  # the term ended; the renewal has not run yet
    run(date(2026, 4, 2))
    assert reminders(monthly) == []


def test_the_amount_is_what_the_renewal_bills_and_the_date_is_utc(annual, people):
    run(date(2026, 4, 2))
    renewal = next_renewal(annual.subscription)
    (message, *_) = emails()
    assert "renews automatically on 1 July 2026 (a UTC date), in 90 days" in message.body_text
    assert f"Total: {renewal.total.format()}" in message.body_text
    assert renewal.total.format() in message.body_html
    assert "Usage is counted per calendar month in UTC" in message.body_text
    assert f"#renewal-{annual.pk}" in message.body_text


def test_members_never_receive_a_reminder(monthly, people):
    run(date(2026, 3, 25))
    to = sorted(message.to for message in emails())
    assert to == sorted([people["owner"].email, people["billing"].email, "ap@northwind.example"])
    assert people["member"].email not in to


@pytest.fixture
def grandfathered(organization, catalog):
    """Team v1 (retired, flat $790 a year; its notice date is 13 May 2026) whose lock
    ends with its term; its successor, Team v2, costs $190 a seat: 5 seats, $950 from
    1 July."""
    assert TierVersion.objects.get(pk=catalog.version("team", 1).pk).successor.number == 2
    return subscribed(
        organization,
        catalog,
        "team",
        number=1,
        cycle="annual",
        term_start=date(2025, 7, 1),
        term_end=date(2026, 6, 30),
    )


def test_a_price_rise_is_told_90_days_ahead_with_both_prices(grandfathered, people):
    renewal = next_renewal(grandfathered.subscription)
    assert renewal.rises and renewal.moves_to_successor
    run(date(2026, 4, 1))  # 91 days ahead: not yet
    assert reminders(grandfathered) == []
    run(date(2026, 4, 2))
    assert reminders(grandfathered) == [
        ("price_increase", date(2026, 7, 1), 0, date(2026, 4, 2)),
        ("renewal_reminder", date(2026, 7, 1), 90, date(2026, 4, 2)),
    ]
    (message, *_) = emails()
    assert message.subject.startswith("Price change:")
    assert "This term: $790.00" in message.body_text
    assert "Next term: $950.00" in message.body_text
    assert "retired and its price lock ends on 30 June 2026" in message.body_text
    assert "$790.00" in message.body_html and "$950.00" in message.body_html
    # Told once: the 30-day reminder shows the prices again, without a second notice.
    run(date(2026, 6, 1))
    assert Notice.objects.filter(kind=NoticeKind.PRICE_INCREASE).count() == 1


def test_a_monthly_price_rise_is_told_at_the_first_reminder(organization, catalog, people):
    # Team v1's notice date is 13 May 2026: the lock ends with the May term.
    license = subscribed(
        organization,
        catalog,
        "team",
        number=1,
        term_start=date(2026, 5, 1),
        term_end=date(2026, 5, 31),
    )
    run(date(2026, 5, 24))
    assert reminders(license) == []
    run(date(2026, 5, 25))
    assert [kind for kind, *_ in reminders(license)] == ["price_increase", "renewal_reminder"]
    assert "This term: $79.00" in emails()[0].body_text


def test_a_license_renewed_by_hand_is_told_its_grace_with_a_renew_link(
    monthly, people, organization, settings
):
    settings.RENEWAL_GRACE_DAYS = 7
    license_set_auto_renew(license=monthly, auto_renew=False, actor=SYSTEM, reason="By hand.")
    clock.advance(to=date(2026, 3, 25), by="test")  # the 7-day reminder, on the test clock
    (message, *_) = emails("ends on 31 March 2026")
    assert message.subject.startswith(
        "Your Tierwise Licensing license ends on 31 March 2026: renew"
    )
    assert (
        "it keeps working until 7 April 2026, 7 grace days after its term, and then stops"
        in message.body_text
    )
    assert "<strong>7 April 2026</strong>, 7 grace days after its term," in message.body_html
    # The Renew link carries what renews: tier, seats, cycle and currency.
    query = "tier=team&seats=5&cycle=monthly&currency=USD&renew=on"
    assert f"/app/{organization.slug}/checkout/?{query}" in message.body_text
    assert f"/checkout/?{query.replace('&', '&amp;')}" in message.body_html
    assert ">Renew</a>" in message.body_html
    assert "canceled" not in message.body_text


def test_a_canceled_subscription_is_told_it_ends_with_its_term_without_grace(
    monthly, people, organization, settings
):
    from billing.subscriptions.cancellation import subscription_cancel
    from licensing.licenses.services import Actor

    settings.RENEWAL_GRACE_DAYS = 7
    subscription_cancel(
        subscription=monthly.subscription, actor=Actor.of(people["owner"], "owner"), reason=""
    )
    clock.advance(to=date(2026, 3, 25), by="test")
    (message, *_) = emails("canceled and ends on 31 March 2026")
    assert message.subject.startswith(
        "Your Tierwise Licensing subscription is canceled and ends on 31 March 2026: resume it"
    )
    for body in (message.body_text, message.body_html):
        assert "7 April" not in body and "keeps working until" not in body
        assert "with no grace days" in body
        assert "/checkout/" not in body  # no checkout: Resume keeps a canceled one
    assert "It ends with its term on 31 March 2026 (a UTC date)" in message.body_text
    assert "<strong>31 March 2026</strong> (a UTC date)" in message.body_html
    assert ">Resume subscription</a>" in message.body_html
    assert f"/app/{organization.slug}/#renewal-{monthly.pk}" in message.body_text
    # As the cancel page says: nothing works after the term, the day the reminder named.
    clock.advance(to=date(2026, 4, 1), by="test")
    monthly.refresh_from_db()
    assert monthly.status == "expired"


def test_usage_lines_name_the_metric_unit(monthly, people):
    with on(date(2026, 3, 10)):
        usage_record_batch(license=monthly, reports=[UsageReport("storage", 38, "s1")])
    run(date(2026, 3, 25))
    (message, *_) = emails()
    line = next(x for x in message.body_text.splitlines() if x.startswith("- Storage:"))
    assert line.count(" GB") == 3, line
    assert "38 GB this month, 38 GB in the highest month of this term; limit " in line
    assert "38 GB</td>" in message.body_html


def test_a_recommendation_only_where_the_need_is_sustained(monthly, people):
    # Over Team's 100,000 API calls in January and February (two of the last three months).
    for month in (1, 2):
        with on(date(2026, month, 10)):
            usage_record_batch(
                license=monthly,
                reports=[UsageReport("api-calls", 120_000, f"m{month}")],
            )
    run(date(2026, 3, 25))
    (message, *_) = emails()
    assert "Our recommendation" in message.body_text
    assert "over your limit in 2 of the last 3 complete months" in message.body_text


def test_no_recommendation_for_a_single_spike(monthly, people):
    with on(date(2026, 2, 10)):
        usage_record_batch(license=monthly, reports=[UsageReport("api-calls", 900_000, "spike")])
    run(date(2026, 3, 25))
    (message, *_) = emails()
    assert "Our recommendation" not in message.body_text
    assert "recommendation" not in message.body_html.lower()


def test_the_clock_moving_sends_the_reminder_on_its_day(monthly, people):
    runs = clock.advance(to=date(2026, 3, 26), by="test")
    reminder_runs = [r for r in runs if r.job == "send-renewal-reminders"]
    assert [r.due_at.date() for r in reminder_runs] == [date(2026, 3, d) for d in range(15, 27)]
    assert reminders(monthly) == [("renewal_reminder", date(2026, 4, 1), 7, date(2026, 3, 25))]


def test_a_kept_grandfathered_price_says_how_long_its_lock_holds(organization, catalog, people):
    # Team v1 for March: its lock holds to the version's notice date, 13 May 2026, so
    # the 1 April renewal keeps $79; a license on a current version is told no lock date.
    license = subscribed(organization, catalog, "team", number=1)
    run(date(2026, 3, 25))
    (message, *_) = emails()
    assert "Your price is locked until 13 May 2026." in message.body_text
    assert "Total: $79.00" in message.body_text
    assert "THE PRICE CHANGES" not in message.body_text
    assert reminders(license)[0][:3] == ("renewal_reminder", date(2026, 4, 1), 7)


def test_a_current_version_names_no_lock_that_ends_before_the_renewal(monthly, people):
    run(date(2026, 3, 25))
    assert "locked until" not in emails()[0].body_text
