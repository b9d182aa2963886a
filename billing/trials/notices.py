"""Trial emails, each sent exactly once through the Notice table (billing.models.notices):
a reminder per lead before the end ("trial:<id>", period = the trial's last day, lead =
days before the end), and one "trial ended" when the job reverts it (lead 0). The notice
row is the claim, written in the transaction that queues the emails (HTML and text) to
the organization's owners, billing admins and billing addresses, so a retried or
duplicated run sends nothing twice. A closed trial (converted, ended by the customer,
reverted) is reminded of no more.

A reminder tells the trial's summary (licensing.trials.selectors: days left, the trial
tier's extra features used and how often, usage against its limits) and the two choices:
convert (the checkout of the trial tier) and end now (the trial's page). The "ended"
email tells what the organization is back on and what of theirs stays read-only (the
downgrade continuity rule, licensing.licenses.downgrade, against the plan they returned
to; a trial license: it expired, nothing deleted), and offers to buy the tier.

A license suspended (unpaid) is sent no reminder, as renewal reminders are not: its
trial is not in force while it is suspended, and the dunning emails say what to do. Nor
is a license expired by the clock (past its term and grace, as the licensing API
answers), whether or not the job that closes it has run. Whether a trial is reminded of
is decided by the clock (the trial in force at the run's moment, the license's status
at it), never by a stored status a late job has not updated yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from billing.emails.notices import absolute
from billing.emails.services import billing_recipients, send_billing_email
from billing.locks import lock_license
from billing.models import Notice, NoticeKind
from licensing.licenses.continuity import entitlements_on
from licensing.licenses.downgrade import ContinuityCheck, Usage, find_excesses
from licensing.licenses.entitlements import license_entitlements
from licensing.licenses.services import license_status_at
from licensing.models import USABLE_STATUSES, LicenseStatus, Trial, TrialStatus
from licensing.trials import rules
from licensing.trials.selectors import TrialSummary, trial_summary
from licensing.trials.services import trial_revert
from licensing.usage.services import license_meters

logger = logging.getLogger(__name__)


def subject_of(trial: Trial) -> str:
    return f"trial:{trial.pk}"


def trial_page_url(trial: Trial) -> str:
    """The trial's page (portal.views.trials), where "End now" is."""
    return absolute(reverse("trial_detail", args=[trial.organization.slug, trial.pk]))


def end_now_url(trial: Trial) -> str:
    """The page that ends the trial now (portal.views.trials.trial_end), with its one
    confirmation."""
    return absolute(reverse("trial_end", args=[trial.organization.slug, trial.pk]))


def convert_url(trial: Trial) -> str:
    """The checkout of the trial's tier, from the plan underneath (or on the trial license)."""
    checkout = reverse("checkout_new", args=[trial.organization.slug])
    return absolute(f"{checkout}?tier={trial.tier.slug}")


def _plan(trial: Trial) -> str | None:
    """The plan a paying customer returns to; None for a trial license (its plan is the
    trial itself)."""
    license = trial.license
    return license.version.tier.name if license.version.tier_id != trial.tier_id else None


def _context(trial: Trial, summary: TrialSummary, *, lead: int | None) -> dict:
    """A reminder's: the summary and the two choices, the button keeping the tier."""
    return {
        "trial": trial,
        "tier": trial.tier.name,
        "product": trial.license.product.name,
        "plan": _plan(trial),
        "summary": summary,
        "lead": lead,
        "last_day": summary.last_day,
        "convert_url": convert_url(trial),
        "end_url": end_now_url(trial),
        "action_url": convert_url(trial),
        "action_label": f"Keep {trial.tier.name}",
    }


def left_read_only(trial: Trial, at: datetime) -> ContinuityCheck | None:
    """What of a paying customer's exceeds the plan they returned to at `at`, kept
    read-only (the dashboard's after-trial panel says the same); None for a trial
    license, which expired whole."""
    license = trial.license
    if _plan(trial) is None:
        return None
    during = entitlements_on(license=license, version=trial.version, at=at)
    return find_excesses(
        current=during,
        target=license_entitlements(license=license, at=at),
        seats=license.seats,
        active_machines=license.machines.active().count(),
        usage=[
            Usage(meter.grant.metric, meter.state.used)
            for meter in license_meters(license=license, at=at, entitlements=during)
        ],
    )


def _ended_context(trial: Trial, summary: TrialSummary, *, at: datetime) -> dict:
    """The "ended" email's: what they are back on, what stays read-only, and the button
    buying the tier. A license that may not be used (usable_trial's rule) is still on hold
    after the trial: `held` names its status, so the email never says all runs as before."""
    status = license_status_at(trial.license, at)
    return {
        "held": None if status in USABLE_STATUSES else LicenseStatus(status).label.lower(),
        "trial": trial,
        "tier": trial.tier.name,
        "product": trial.license.product.name,
        "plan": _plan(trial),
        "check": left_read_only(trial, at),
        "last_day": summary.last_day,
        "convert_url": convert_url(trial),
        "end_url": trial_page_url(trial),
        "action_url": convert_url(trial),
        "action_label": f"Buy {trial.tier.name}",
    }


def _trial(trial_id: int) -> Trial:
    return Trial.objects.select_related(
        "organization", "tier", "license__product", "license__version__tier"
    ).get(pk=trial_id)


def _notice(trial: Trial, *, kind: str, lead: int, today: date, recipients: int) -> Notice:
    return Notice(
        kind=kind,
        subject=subject_of(trial),
        period=rules.last_day(trial.ends_at),
        lead=lead,
        license=trial.license,
        sent_on=today,
        recipients=recipients,
    )


def _send(trial: Trial, *, kind: str, template: str, lead: int, today: date, at: datetime) -> int:
    """Claim the notice and queue its emails, in a savepoint: a notice claimed already
    raises IntegrityError and takes its emails with it. The number of emails."""
    recipients = billing_recipients(trial.organization)
    summary = trial_summary(trial, at)
    with transaction.atomic():
        _notice(trial, kind=kind, lead=lead, today=today, recipients=len(recipients)).save()
        return len(
            send_billing_email(
                template,
                organization=trial.organization,
                context=(
                    _context(trial, summary, lead=lead)
                    if lead
                    else _ended_context(trial, summary, at=at)
                ),
                recipients=recipients,
            )
        )


# --- The end ------------------------------------------------------------------------


def trials_past_end(at: datetime) -> list[int]:
    """The running trials whose end is at or before `at`, the earliest first."""
    return list(
        Trial.objects.filter(status=TrialStatus.RUNNING, ends_at__lte=at)
        .order_by("ends_at", "pk")
        .values_list("pk", flat=True)
    )


def next_trial_end(moment: datetime) -> datetime | None:
    """quiet_until of the closing job (portal.schedule): the next running trial's end;
    None when no trial runs (nothing to do until one starts)."""
    return Trial.objects.filter(status=TrialStatus.RUNNING).aggregate(end=Min("ends_at"))["end"]


def trial_revert_and_tell(*, trial_id: int, at: datetime) -> bool:
    """Revert one trial past its end, and tell its organization once, in one transaction
    (the license, then the trial locked: licensing.trials.services). False when another
    run reverted it first, or it closed, or it was extended meanwhile: nothing written."""
    with transaction.atomic():
        trial = _trial(trial_id)
        if not trial_revert(trial=trial, at=at):
            return False
        trial.refresh_from_db()
        _send(
            trial,
            kind=NoticeKind.TRIAL_ENDED,
            template="trial_ended",
            lead=0,
            today=timezone.localdate(at),
            at=at,
        )
    return True


# --- Reminders ----------------------------------------------------------------------


def trials_to_remind(today: date, at: datetime) -> list[int]:
    """Trials in force at `at` on a license stored usable (not suspended) with at most the
    largest lead left: the candidates, each judged by the clock under its lock
    (trial_remind). A license stored unusable is unusable by the clock too."""
    start = datetime.combine(today, time(), tzinfo=UTC)
    largest = max(rules.DEFAULT_LEADS)
    return list(
        Trial.objects.filter(
            status=TrialStatus.RUNNING,
            license__status__in=USABLE_STATUSES,
            starts_at__lte=at,
            ends_at__gt=at,
            ends_at__lte=start + timedelta(days=largest + 1),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass
class ReminderCounts:
    sent: int = 0
    emails: int = 0
    nothing_due: int = 0
    already_sent: int = 0


def trial_remind(*, trial_id: int, today: date, at: datetime) -> str:
    """The one reminder due today for a trial, if any: "sent", "nothing_due" or
    "already_sent". The trial's row is read under its lock (after its license's), so a
    trial converted or ended meanwhile, or a license suspended meanwhile, is not reminded
    of; nor, by the clock at `at`, a trial past its end or a license past its term and
    grace whose closing jobs have not run yet."""
    with transaction.atomic():
        license_id = Trial.objects.values_list("license_id", flat=True).get(pk=trial_id)
        lock_license(license_id)
        Trial.objects.select_for_update(of=("self",)).filter(pk=trial_id).exists()
        trial = _trial(trial_id)
        if not trial.in_force(at) or license_status_at(trial.license, at) not in USABLE_STATUSES:
            return "nothing_due"
        sent = set(
            Notice.objects.filter(
                kind=NoticeKind.TRIAL_REMINDER,
                subject=subject_of(trial),
                period=rules.last_day(trial.ends_at),
            ).values_list("lead", flat=True)
        )
        lead = rules.reminder_lead(
            days_left=rules.days_left(ends_at=trial.ends_at, today=today),
            leads=rules.reminder_leads(
                rules.length_days(
                    starts_on=timezone.localdate(trial.starts_at), ends_at=trial.ends_at
                )
            ),
            sent=sent,
        )
        if lead is None:
            return "nothing_due"
        try:
            _send(
                trial,
                kind=NoticeKind.TRIAL_REMINDER,
                template="trial_reminder",
                lead=lead,
                today=today,
                at=at,
            )
        except IntegrityError:
            return "already_sent"
    return "sent"


def trial_reminders_send(*, today: date, at: datetime) -> ReminderCounts:
    counts = ReminderCounts()
    for trial_id in trials_to_remind(today, at):
        outcome = trial_remind(trial_id=trial_id, today=today, at=at)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts
