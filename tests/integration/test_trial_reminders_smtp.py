"""Issue 19's "Done when", tried as a new user would with the test clock and the real
parts: Northwind pays for Team (annual billing, 5 seats, for 2026) and its owner
starts a 14-day Business trial on 14 March 2026 from the site; its software's validation
says Business at once and reports what it uses through the licensing API. The clock then
moves a day at a time (`manage.py clock advance`): the jobs queue the emails, a real
Celery worker (through the broker) delivers them to a real SMTP server on loopback. The
reminders arrive on 21 March (7 days before the end) and 27 March (its last day), each
once, HTML and text, with the usage summary and the two choices; on 28 March the trial is
reverted with one "trial ended" email, the license is back on Team at its old price (no
invoice, the subscription untouched), and the dashboard lists what exceeds Team,
read-only."""

import io
import time
from datetime import date, timedelta
from email import message_from_bytes

import pytest
from django.core.management import call_command

from billing.models import Invoice, Subscription
from licensing.models import LicenseStatus, Trial, TrialStatus
from portal import clock
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed

pytestmark = pytest.mark.integration

START = date(2026, 3, 14)
WEEK_BEFORE = date(2026, 3, 21)
LAST_DAY = date(2026, 3, 27)
REVERTED = date(2026, 3, 28)


@pytest.fixture
def test_clock(settings, transactional_db):
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


def _all_sent(timeout: float = 120.0) -> None:
    """Waits until the worker has sent every email queued so far (each marks its row)."""
    deadline = time.monotonic() + timeout
    while OutboundEmail.objects.filter(sent_at__isnull=True).exists():
        if time.monotonic() > deadline:
            waiting = list(
                OutboundEmail.objects.filter(sent_at__isnull=True).values("to", "subject")
            )
            raise AssertionError(f"The worker did not send within {timeout}s: {waiting}")
        time.sleep(0.2)


def _parts(envelope) -> dict[str, str]:
    message = message_from_bytes(envelope.content)
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    }
    return {"subject": str(message["Subject"]), **parts}


def _trial_emails(smtp_server, start: int) -> list[dict]:
    """The trial emails the SMTP server received since message number `start`."""
    received = [_parts(envelope) for envelope in smtp_server.messages[start:]]
    return [message for message in received if "trial" in message["subject"]]


def test_a_team_customers_business_trial_reminds_then_reverts_over_real_smtp(
    celery_worker_process, smtp_server, test_clock, now, client, api, owner, organization, catalog
):
    team = subscribed(
        organization,
        catalog,
        seats=5,
        cycle="annual",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )
    key = team.issued_key
    subscription = Subscription.objects.get(license=team)
    price, periods = (
        subscription.cycle_price,
        list(
            subscription.periods.values_list("pk", "ends_on", "net_amount", "unit_amount", "seats")
        ),
    )
    client.force_login(owner)

    started = client.post(f"/app/{organization.slug}/trials/start/business/")
    assert started.status_code == 302, started.content
    trial = Trial.objects.get(organization=organization)
    assert (trial.tier.slug, trial.status) == ("business", TrialStatus.RUNNING)
    assert clock.today() == START
    answer = api("licenses/validate", {"key": key}).json()
    assert (answer["valid"], answer["license"]["tier"]) == (True, "business")
    assert answer["trial"]["tier"]["slug"] == "business"
    # Its software reports what it used: webhooks (Business only), and more API calls
    # than Team allows in a month.
    used = api(
        "licenses/feature-use",
        {"key": key, "records": [{"feature": "webhooks", "count": 12, "idempotency_key": "w1"}]},
    )
    assert used.status_code == 200, used.content
    metered = api(
        "licenses/usage",
        {
            "key": key,
            "records": [{"metric": "api-calls", "quantity": 150_000, "idempotency_key": "c1"}],
        },
    )
    assert metered.status_code == 200, metered.content
    _all_sent()

    arrived: dict[date, list[dict]] = {}
    day = START
    while day < REVERTED:
        day += timedelta(days=1)
        seen = len(smtp_server.messages)
        call_command("clock", "advance", "--to", day.isoformat(), stdout=io.StringIO())
        assert clock.today() == day
        _all_sent()
        if emails := _trial_emails(smtp_server, seen):
            arrived[day] = emails

    assert {day: [m["subject"] for m in emails] for day, emails in arrived.items()} == {
        WEEK_BEFORE: ["Your Business trial ends in 7 days (Northwind)"],
        LAST_DAY: ["Your Business trial ends today (Northwind)"],
        REVERTED: ["Your Business trial has ended (Northwind)"],
    }
    trial_page = f"/app/{organization.slug}/trials/{trial.pk}/"
    checkout = f"/app/{organization.slug}/checkout/?tier=business"
    for day in (WEEK_BEFORE, LAST_DAY):
        [reminder] = arrived[day]
        text, html = reminder["text/plain"], reminder["text/html"]
        assert "Webhooks: used 12 times." in text  # the usage summary
        assert "Audit log export: not used yet." in text  # the features never used too
        assert "API calls a month: 150,000 calls; limit 1,000,000 calls" in text
        assert "Keep Business: buy it, the trial days free" in text  # the two choices
        assert checkout in text and trial_page in text
        assert "End the trial now and go back to Team" in text
        assert "Then you are back on Team, at the price you pay now" in text
        assert "<strong>Webhooks</strong>: used 12 times." in html
        assert "150,000 calls of 1,000,000 calls" in html
        assert ">Keep Business</a>" in html and ">End the trial now</a>" in html
        assert "?tier=business" in html and trial_page in html
    [ended] = arrived[REVERTED]
    assert "You are back on Team, at the price you paid before" in ended["text/plain"]
    assert "ended at the end of 27 March 2026" in ended["text/plain"]
    # What exceeds Team is kept read-only, and the one choice left is to buy Business.
    assert "Kept read-only on Team" in ended["text/plain"]
    assert (
        "API calls a month: 150,000 calls this period, 100,000 calls on Team"
        in (ended["text/plain"])
    )
    assert "Webhooks: used 12 times." not in ended["text/plain"]  # no trial summary now
    assert "Keep Business" not in ended["text/html"] and ">Buy Business</a>" in ended["text/html"]
    assert all(envelope.rcpt_tos == [owner.email] for envelope in smtp_server.messages)

    # Back on Team at its old price: nothing billed for the trial, the subscription as it was.
    trial.refresh_from_db()
    team.refresh_from_db()
    subscription.refresh_from_db()
    assert trial.status == TrialStatus.REVERTED
    assert (team.version.tier.slug, team.seats, team.status) == ("team", 5, LicenseStatus.ACTIVE)
    assert subscription.cycle_price == price
    assert (
        list(
            subscription.periods.values_list("pk", "ends_on", "net_amount", "unit_amount", "seats")
        )
        == periods
    )
    assert not Invoice.objects.filter(organization=organization).exists()
    answer = api("licenses/validate", {"key": key}).json()
    assert (answer["valid"], answer["license"]["tier"], answer["trial"]) == (True, "team", None)
    assert "webhooks" not in answer["entitlements"]["features"]

    # The dashboard keeps what exceeds Team, read-only.
    dashboard = client.get(f"/app/{organization.slug}/").content.decode()
    assert "Your Business trial has ended; nothing made during it was deleted." in dashboard
    assert "What is beyond your Team plan is kept, read-only" in dashboard
    assert "API calls a month" in dashboard and "150,000 calls this period" in dashboard
    assert "No longer included:" in dashboard and "Webhooks" in dashboard
