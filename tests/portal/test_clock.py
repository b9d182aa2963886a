"""The test clock (portal.clock): off, it is the real time and cannot move; on, staff move
the site's date forward and every business job due on the way runs in time order, as
the workers would, with the clock at the moment it was due."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from billing.checkout.tasks import abandon_stale_checkouts
from billing.models import CheckoutStatus, ScheduledChangeStatus
from licensing.licenses.services import license_set_auto_renew
from portal import clock
from portal.schedule import JOBS
from tests.helpers.checkout import preview, subscribed
from tests.helpers.invoices import finalized_invoice, pay_in_full
from tests.helpers.licenses import SYSTEM, issue

APRIL_3 = date(2026, 4, 3)


@pytest.fixture
def test_clock(settings, db):
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


def test_off_it_is_the_real_time_and_does_not_move(db, now, settings):
    settings.TEST_CLOCK = False
    assert clock.now() == timezone.now() == now
    assert clock.today() == now.date()
    with pytest.raises(clock.ClockError, match="The test clock is off"):
        clock.advance(to=APRIL_3, by="test")
    assert clock.now() == now


def test_moving_it_applies_a_scheduled_change_on_its_day(downgraded, test_clock, now):
    runs = clock.advance(to=APRIL_3, by="test")

    assert clock.now() == datetime(2026, 4, 3, 9, 30, tzinfo=UTC)
    assert clock.today() == APRIL_3
    assert [run.due_at for run in runs] == sorted(run.due_at for run in runs)
    # The renewal at the term's end applies the change it bills (billing.renewals),
    # before the scheduled changes' own job would.
    renewed = [run for run in runs if run.job == "run-term-end" and run.result]
    assert [run.due_at for run in renewed] == [datetime(2026, 4, 1, 0, 2, tzinfo=UTC)]
    assert not [run for run in runs if run.job == "apply-due-scheduled-changes" and run.result]
    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.APPLIED
    license = downgraded.license
    license.refresh_from_db()
    assert (license.version.tier.slug, license.seats, license.auto_renew) == ("team", 8, False)
    # The hourly jobs acting on the day's business ran at their first tick of each day,
    # and again after a job did something; the daily jobs once a day.
    term_end = [run.due_at for run in runs if run.job == "run-term-end"]
    assert sorted({tick.date() for tick in term_end}) == [
        date(2026, 3, 14) + timedelta(days=day) for day in range(21)
    ]
    assert len(term_end) <= 2 * 21  # not every hour (20 days of 24)
    assert len([run for run in runs if run.job == "run-dunning"]) == 20
    assert len([run for run in runs if run.job == "send-renewal-reminders"]) == 20


def test_a_job_runs_at_the_tick_it_falls_due(organization, catalog, owner, test_clock, now):
    license = subscribed(organization, catalog, seats=5)
    left = preview(organization, license, owner, tier="team", seats=7, cycle="monthly").checkout

    runs = clock.advance(to=date(2026, 3, 16), by="test")

    abandoned = [run for run in runs if run.job == "abandon-stale-checkouts" and run.result]
    assert [(run.job, run.due_at) for run in abandoned] == [
        ("abandon-stale-checkouts", datetime(2026, 3, 15, 10, 17, tzinfo=UTC))
    ]
    left.refresh_from_db()
    assert left.status == CheckoutStatus.ABANDONED
    assert abandon_stale_checkouts.apply().get() == 0  # a duplicate tick does nothing


@pytest.mark.parametrize(
    ("to", "message"),
    [
        (date(2026, 3, 14), "only moves forward: the site's date is already 14 March 2026"),
        (date(2026, 3, 1), "only moves forward"),
        (date(2029, 4, 1), "at most 1098 days at a time"),
    ],
)
def test_it_refuses_to_go_back_or_too_far(test_clock, now, to, message):
    with pytest.raises(clock.ClockError, match=message):
        clock.advance(to=to, by="test")
    assert clock.now() == now


def test_the_command_moves_it_and_says_what_ran(test_clock, now, capsys):
    call_command("clock", "advance", "--to", "2026-03-15")
    out = capsys.readouterr().out
    assert "2026-03-15 00:05 apply-due-scheduled-changes: 0" in out
    assert out.rstrip().endswith("Test clock on; the site's time is 2026-03-15 09:30 UTC.")
    with pytest.raises(CommandError, match="only moves forward"):
        call_command("clock", "advance", "--to", "2026-03-15")
    with pytest.raises(CommandError, match="Say where to"):
        call_command("clock", "advance")


def test_an_admin_moves_it_from_the_admin(admin_client, test_clock, now):
    page = admin_client.get("/admin/clock/").content.decode()
    assert "14 March 2026, 09:30 UTC" in page and "apply-due-scheduled-changes" in page

    refused = admin_client.post("/admin/clock/", {"to": "2026-03-01"})
    assert refused.status_code == 400 and "only moves forward" in refused.content.decode()
    assert admin_client.post("/admin/clock/", {"to": "not a date"}).status_code == 400

    moved = admin_client.post("/admin/clock/", {"to": "2026-03-20"}, follow=True)
    assert "The site&#x27;s date is now 20 March 2026" in moved.content.decode()
    assert clock.today() == date(2026, 3, 20)


def test_only_admins_see_it_and_only_while_it_is_on(client_for, account_manager, settings, now):
    settings.TEST_CLOCK = True
    assert client_for(account_manager).get("/admin/clock/").status_code == 404
    assert (
        client_for(account_manager).post("/admin/clock/", {"to": "2026-04-01"}).status_code == 404
    )


def test_it_is_a_404_while_off(admin_client, settings):
    settings.TEST_CLOCK = False
    assert admin_client.get("/admin/clock/").status_code == 404


def test_every_page_shows_the_simulated_date(client_for, owner, admin_user, test_clock, now):
    clock.advance(to=date(2026, 5, 2), by="test")
    admin = client_for(admin_user).get("/admin/").content.decode()
    assert "the site's date is 2 May 2026" in admin and "/admin/clock/" in admin
    page = client_for(owner).get("/app/", follow=True).content.decode()
    assert "the site's date is 2 May 2026" in page and "/admin/clock/" not in page


def test_no_banner_in_real_time(client_for, owner, settings):
    settings.TEST_CLOCK = False
    assert "Test clock" not in client_for(owner).get("/app/", follow=True).content.decode()


def test_every_business_job_names_a_task_the_worker_knows():
    from celery import current_app

    for job in JOBS:
        assert job.task in current_app.tasks, job.task


def test_ticks_fall_inside_the_window_in_order():
    hourly = next(job for job in JOBS if job.name == "abandon-stale-checkouts")
    start = datetime(2026, 3, 14, 10, 17, tzinfo=UTC)
    ticks = list(hourly.ticks(start, start + timedelta(hours=3)))
    assert ticks == [start + timedelta(hours=hours) for hours in (1, 2, 3)]


def test_a_fresh_process_finds_every_business_job():
    # A web process or manage.py has not imported every area's tasks module (the worker's
    # autodiscovery has): the clock finds each job by its import path (make run's admin
    # page gave a 500 while it looked in the registry).
    script = (
        "import django; django.setup()\n"
        "from celery import current_app\n"
        "from portal import clock\n"
        "from portal.schedule import JOBS\n"
        "print(sorted(job.task in current_app.tasks for job in JOBS if job.business))\n"
        "print([clock.import_string(job.task).name for job in JOBS if job.business])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    registered, found = result.stdout.splitlines()[-2:]
    business = [job for job in JOBS if job.business]
    assert registered == str([False] * len(business))  # the registry alone would not do
    assert found == str([job.task for job in JOBS if job.business])


def test_a_job_that_fails_stops_the_clock_at_its_tick(test_clock, now, monkeypatch):
    from billing.checkout import tasks

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(tasks.abandon_stale_checkouts, "run", broken)
    message = r"abandon-stale-checkouts failed at 2026-03-14 10:17 UTC \(database gone\)"
    with pytest.raises(clock.ClockError, match=message):
        clock.advance(to=APRIL_3, by="test")
    assert clock.now() == datetime(2026, 3, 14, 10, 17, tzinfo=UTC)


def test_one_move_at_a_time(test_clock, now):
    from django.core.cache import cache

    cache.add(clock.MOVING, "someone else")
    with pytest.raises(clock.ClockError, match="being moved already"):
        clock.advance(to=APRIL_3, by="test")
    assert clock.now() == now
    cache.delete(clock.MOVING)
    clock.advance(to=APRIL_3, by="test")
    assert cache.get(clock.MOVING) is None  # released after the move


def test_the_admin_page_moves_at_most_a_quarter(admin_client, test_clock, now):
    refused = admin_client.post("/admin/clock/", {"to": "2026-07-01"})
    assert refused.status_code == 400
    assert "at most 92 days at a time" in refused.content.decode()
    assert clock.now() == now


# --- Business time follows the clock --------------------------------------------------


def validate(api, issued) -> dict:
    return api("licenses/validate", {"key": issued.key}).json()


def test_a_license_expires_by_the_simulated_date(api, organization, catalog, test_clock, now):
    issued = issue(organization, catalog, term_start=date(2026, 1, 1), term_end=date(2026, 3, 14))
    license_set_auto_renew(
        license=issued.license,
        auto_renew=False,
        actor=SYSTEM,
        reason="Canceled: it ends with its term.",
        ends_with_term=True,
    )
    assert validate(api, issued)["code"] == "valid"  # the last day of its term; now cached

    clock.advance(to=date(2026, 3, 15), by="test")

    assert timezone.now() == now  # the real time has not moved
    assert (validate(api, issued)["valid"], validate(api, issued)["code"]) == (False, "expired")


def test_an_auto_renewing_license_keeps_its_grace_by_the_simulated_date(
    api, client_for, teammate, organization, catalog, test_clock, now
):
    issued = issue(organization, catalog, term_start=date(2026, 1, 1), term_end=date(2026, 3, 14))

    clock.advance(to=date(2026, 3, 21), by="test")  # the grace's last day
    body = validate(api, issued)
    assert (body["code"], body["grace_until"]) == ("valid", "2026-03-22T00:00:00+00:00")
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Renewal due" in page and "21 March 2026" in page

    clock.advance(to=date(2026, 3, 22), by="test")
    assert validate(api, issued)["code"] == "expired"


def test_an_invoice_is_issued_and_paid_on_the_simulated_date(organization, test_clock, now):
    clock.advance(to=date(2026, 4, 2), by="test")
    simulated = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)

    invoice = finalized_invoice(organization)
    assert (invoice.issued_on, invoice.finalized_at) == (date(2026, 4, 2), simulated)
    assert invoice.due_on == date(2026, 4, 2) + timedelta(days=invoice.net_days)
    assert invoice.number.startswith("INV-2026-")

    paid = pay_in_full(invoice)
    assert (paid.status, paid.paid_at) == ("paid", simulated)


@pytest.mark.parametrize(
    ("reminders_did", "term_end_ticks"), [(0, ["00:02"]), (1, ["00:02", "07:02"])]
)
def test_a_quiet_job_looks_again_only_after_a_job_did_something(
    test_clock, now, monkeypatch, reminders_did, term_end_ticks
):
    from billing.renewals import reminder_tasks

    monkeypatch.setattr(reminder_tasks.send_renewal_reminders, "run", lambda: reminders_did)
    runs = clock.advance(to=date(2026, 3, 17), by="test")

    on_the_16th = [
        f"{run.due_at:%H:%M}"
        for run in runs
        if run.job == "run-term-end" and run.due_at.date() == date(2026, 3, 16)
    ]
    assert on_the_16th == term_end_ticks
