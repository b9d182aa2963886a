"""Every job that runs on a schedule, in one list: Celery beat's schedule is made from it
(portal/celery.py), and the test clock (portal.clock) runs the ones that follow business
time when it is moved forward. Tasks are named, not imported: the core names jobs of the
areas above it the way a ForeignKey names a model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.schedules import crontab


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    minutes: tuple[int, ...]  # past each hour in `hours`
    hours: tuple[int, ...] = tuple(range(24))  # UTC
    expires: timedelta = timedelta(minutes=4)
    # Follows business time: the test clock runs it for every tick it moves past.
    # Sweeps that only recover lost hand-overs (a broker down) do not.
    business: bool = False
    # For the test clock: the import path of a function (moment) -> datetime | None
    # saying when, at the earliest, the job next has something to do if nothing else
    # changes (None: not until something does). The clock skips its ticks before then
    # unless a job in between did something (portal.clock). Blank: every tick runs.
    quiet_until: str = ""

    @property
    def crontab(self) -> crontab:
        return crontab(minute=",".join(map(str, self.minutes)), hour=",".join(map(str, self.hours)))

    def ticks(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """The moments the job is due in (after, until], in order (UTC)."""
        day = after.replace(hour=0, minute=0, second=0, microsecond=0)
        while day <= until:
            for hour in self.hours:
                for minute in self.minutes:
                    tick = day.replace(hour=hour, minute=minute)
                    if after < tick <= until:
                        yield tick
            day += timedelta(days=1)


def next_day(moment: datetime) -> datetime:
    """quiet_until of a job that acts on what is due by the business date: once it has
    run, a later tick the same day finds nothing new."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _every(step: int) -> tuple[int, ...]:
    return tuple(range(0, 60, step))


JOBS = [
    # Renews the subscriptions whose term ended (and ends those that do not renew once
    # their grace is over), before the scheduled changes' job: a change due on the
    # renewal day is applied by the renewal that bills it (billing.renewals).
    Job(
        "run-term-end",
        "billing.renewals.tasks.run_term_end",
        (2,),
        expires=timedelta(minutes=50),
        business=True,
        quiet_until="portal.schedule.next_day",
    ),
    # Picks up emails whose first send was lost (broker down, worker killed mid-task).
    Job("resend-stalled-emails", "portal.tasks.resend_stalled_emails", _every(5)),
    # Renders invoice PDFs whose first hand-over was lost (the first download would too).
    Job(
        "render-stalled-invoice-pdfs",
        "billing.tasks.render_stalled_invoice_pdfs",
        _every(5),
    ),
    # Delivers sent proposal versions whose PDF and email were never handed over.
    Job(
        "deliver-stalled-proposals",
        "billing.proposals.tasks.deliver_stalled_proposals",
        _every(5),
    ),
    # Records checkouts left open for a day as abandoned.
    Job(
        "abandon-stale-checkouts",
        "billing.checkout.tasks.abandon_stale_checkouts",
        (17,),
        expires=timedelta(minutes=50),
        business=True,
        quiet_until="billing.checkout.services.checkouts_next_stale",
    ),
    # Applies scheduled changes (a downgrade, fewer seats…) on their day.
    Job(
        "apply-due-scheduled-changes",
        "billing.checkout.tasks.apply_due_scheduled_changes",
        (5,),
        expires=timedelta(minutes=50),
        business=True,
        quiet_until="portal.schedule.next_day",
    ),
    # Dunning: reminders for overdue invoices, past due, suspension (billing.dunning).
    Job(
        "run-dunning",
        "billing.dunning.tasks.run_dunning",
        (35,),
        hours=(6,),
        expires=timedelta(minutes=50),
        business=True,
    ),
    # Reverts every trial past its end, with its one email (billing.trials). Its grants
    # ended at ends_at already (the resolver): a late run changes nothing the customer's
    # software sees. Quiet until the next running trial's end.
    Job(
        "end-trials",
        "billing.trials.tasks.end_trials",
        (10,),
        expires=timedelta(minutes=50),
        business=True,
        quiet_until="billing.trials.notices.next_trial_end",
    ),
    # Trial reminders due today (a week and a day before the end), each once per lead.
    Job(
        "send-trial-reminders",
        "billing.trials.tasks.send_trial_reminders",
        (45,),
        hours=(6,),
        expires=timedelta(hours=6),
        business=True,
    ),
    # Renewal reminders (and price-rise notices) due today, each once per lead time.
    Job(
        "send-renewal-reminders",
        "billing.renewals.reminder_tasks.send_renewal_reminders",
        (25,),
        hours=(6,),
        expires=timedelta(hours=6),
        business=True,
    ),
]


def beat_schedule() -> dict:
    return {
        job.name: {
            "task": job.task,
            "schedule": job.crontab,
            "options": {"expires": int(job.expires.total_seconds())},
        }
        for job in JOBS
    }
