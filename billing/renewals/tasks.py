"""The term-end job: every hour (portal/schedule.py, and on the test clock), find the
subscriptions whose term has ended and hand them to the workers in batches.

`run_term_end` records a RenewalRun, finds the subscriptions due (an ended term that
renews by itself; one that does not, to end it once its grace is over) and queues
`renew_batch` tasks of BATCH_SIZE ids. Each renews each subscription in its own
transaction (billing.renewals.services), counts it on the run with F() updates and, when
one raises, records a RenewalFailure and carries on; a failed subscription is still due,
so the next run retries it. Everything is idempotent: a retried batch, a duplicated tick
or two workers at once renew each period once (the renewal's claim is its period row),
and only count the repeats as skipped.

On the test clock (`manage.py clock advance`) the job runs eagerly, and so do its
batches, one after another in the clock's process.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import stripe
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Max, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.cards import offsession
from billing.models import Invoice, RenewalRun, RenewalRunStatus, Subscription
from billing.models.subscriptions import Billing
from billing.renewals import batch, services
from billing.renewals.selectors import ISSUE_ORDER
from licensing.models.licenses import USABLE_STATUSES, LicenseStatus
from portal import clock
from portal.claims import retry_countdown
from portal.unavailable import SERVICE_ERRORS

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# Renewed together in one transaction (billing.renewals.batch): a worker killed half-way
# loses at most these, to be renewed again.
AT_ONCE = 50
# A license more than this many terms behind (the job did not run for a long while) is
# renewed one term per run, not all at once.
MAX_CATCH_UP = 12


def due_ids(today) -> list[int]:
    """The subscriptions the term-end job acts on today: a usable license whose term
    ended, to renew it, or (auto-renew off, or suspended) to end it once its last usable
    day has passed (licensing.licenses.grace; the service decides again under its lock); and a
    term billed per cycle whose next cycle has begun."""
    grace = timedelta(days=max(settings.RENEWAL_GRACE_DAYS, 0))
    open_statuses = (*USABLE_STATUSES, LicenseStatus.SUSPENDED)
    ended = Subscription.objects.filter(
        license__status__in=open_statuses, license__term_end__lt=today
    ).filter(
        # Not one still in its grace that the term-end job would only skip every hour.
        # A suspended one is never renewed, but ends once its last usable day has passed
        # (services.lapsed): never left behind.
        Q(license__auto_renew=True, license__status__in=USABLE_STATUSES)
        | Q(license__ends_with_term=True)
        | Q(license__term_end__lt=today - grace)
    )
    # A term billed per cycle whose next cycle has begun unbilled (few: multi-year deals).
    cycles = (
        Subscription.objects.filter(
            billing=Billing.PER_CYCLE,
            license__status__in=USABLE_STATUSES,
            license__term_end__gte=today,
        )
        .annotate(billed_to=Max("periods__ends_on", filter=Q(periods__replaced=False)))
        .filter(billed_to__lt=today)
        .filter(billed_to__lt=F("license__term_end"))
    )
    # In the order the invoices are issued, which the renewal panel and the reminders
    # follow to tell what the credit balance will pay of each (billing.renewals.summary).
    ids = list(ended.order_by(*ISSUE_ORDER).values_list("pk", flat=True))
    return ids + list(cycles.order_by(*ISSUE_ORDER).values_list("pk", flat=True))


@shared_task(bind=True, acks_late=True)
def run_term_end(self) -> int | None:
    """Start a renewal run for today's business day; returns its id (None: nothing was
    due, and no run is recorded, so the history shows the hours that did something)."""
    _end_unreported(timezone.now())
    today = clock.today()
    ids = due_ids(today)
    if not ids:
        return None
    batches = [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]
    run = RenewalRun.objects.create(
        business_day=today, due=len(ids), batches=len(batches), started_at=timezone.now()
    )
    if self.request.is_eager:
        for batch in batches:
            renew_batch.apply(args=[run.pk, batch], throw=True)
        return run.pk
    transaction.on_commit(lambda: _hand_out(run.pk, batches))
    return run.pk


def _hand_out(run_id: int, batches: list[list[int]]) -> None:
    for ids in batches:
        try:
            renew_batch.delay(run_id, ids)
        except SERVICE_ERRORS as exc:  # the next hourly run finds them due again
            logger.warning("Renewal run %s: a batch waits for the next run: %r", run_id, exc)
            # The run no longer waits for it: it ends once the queued batches report.
            RenewalRun.objects.filter(pk=run_id).update(
                batches=F("batches") - 1, not_queued=F("not_queued") + len(ids)
            )
            _finish(run_id)


def unreported_after() -> timedelta:
    """How long a run's batches may take to report: a batch a killed worker held comes
    back after the broker's visibility timeout and then runs within its time limit."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    return timedelta(seconds=visibility + settings.CELERY_TASK_TIME_LIMIT)


def _end_unreported(now) -> None:
    """End the runs still waiting for batches that should have reported long ago (a
    message lost, a batch that crashed outside its renewals): staff see them as ended
    with subscriptions left, never as running for ever. What those batches would have
    renewed is still due, and this run finds it. The wait counts from the run's last
    report (its start before the first): a large run whose batches still report, one
    after another, for longer than that is still working, not ended."""
    RenewalRun.objects.alias(last_heard=Coalesce("reported_at", "started_at")).filter(
        status=RenewalRunStatus.RUNNING, last_heard__lt=now - unreported_after()
    ).update(status=_ended(default=RenewalRunStatus.INCOMPLETE), finished_at=now)


@shared_task(bind=True, acks_late=True)
def renew_batch(self, run_id: int, subscription_ids: list[int]) -> dict:
    """Renew (or end) each subscription, each in its own transaction, and count it on
    the run. Safe to run again: what was done is skipped."""
    run = RenewalRun.objects.filter(pk=run_id).first()
    today = run.business_day if run is not None else clock.today()
    counts = {"renewed": 0, "expired": 0, "skipped": 0, "failed": 0}
    for start in range(0, len(subscription_ids), AT_ONCE):
        chunk = subscription_ids[start : start + AT_ONCE]
        try:
            done = batch.subscriptions_renew(chunk, today=today)
        except Exception as exc:  # each on its own then, where a failure is recorded
            logger.warning("Renewing subscriptions %s… together failed: %r", chunk[0], exc)
            done = batch.Renewed(rest=list(chunk))
        for subscription_id, result in done.results.items():
            outcome = services.Outcome.RENEWED.value
            if result.invoice.license.term_end < today:  # more terms behind: caught up
                later = renew_one(
                    subscription_id, today=today, run_id=run_id, terms=MAX_CATCH_UP - 1
                )
                # A catch-up that failed (or ended the license) is counted so.
                outcome = outcome if later == services.Outcome.SKIPPED else later
            counts[outcome] += 1
        for subscription_id in done.rest:
            counts[renew_one(subscription_id, today=today, run_id=run_id)] += 1
    RenewalRun.objects.filter(pk=run_id).update(
        batches_done=F("batches_done") + 1,
        reported_at=timezone.now(),
        **{name: F(name) + n for name, n in counts.items()},
    )
    _finish(run_id)
    return counts


def renew_one(
    subscription_id: int, *, today, run_id: int | None = None, terms: int = MAX_CATCH_UP
) -> str:
    """Renew one subscription as often as it is behind (at most `terms` terms: a run
    renews at most MAX_CATCH_UP, the batch's included); its outcome for the run's
    counts: renewed, expired, skipped or failed."""
    outcome = services.Outcome.SKIPPED.value
    for _ in range(terms):
        subscription = (
            Subscription.objects.select_related("license__organization")
            .filter(pk=subscription_id)
            .first()
        )
        if subscription is None:
            return outcome
        try:
            result = services.subscription_term_end(subscription=subscription, today=today)
        except Exception as exc:  # recorded, retried by the next run, shown to staff
            logger.warning("Renewal of subscription %s failed: %r", subscription_id, exc)
            services.renewal_failure_record(
                subscription_id=subscription_id, error=exc, run_id=run_id
            )
            return "failed"
        if result.outcome == services.Outcome.SKIPPED:
            return outcome
        outcome = result.outcome.value
        if result.outcome == services.Outcome.EXPIRED:
            return outcome
    return outcome


def _finish(run_id: int) -> None:
    """Close the run once every batch is done (a batch run twice only closes it early;
    its counts show the repeats as skipped)."""
    RenewalRun.objects.filter(
        pk=run_id, status=RenewalRunStatus.RUNNING, batches_done__gte=F("batches")
    ).update(status=_ended(default=RenewalRunStatus.FINISHED), finished_at=timezone.now())


def _ended(*, default: str) -> Case:
    """A run's status as it ends, from the row the UPDATE changes (never from an earlier
    read: a batch reporting or one not queued at the same moment would be lost)."""
    return Case(
        When(failed__gt=0, then=Value(RenewalRunStatus.FAILED)),
        When(not_queued__gt=0, then=Value(RenewalRunStatus.INCOMPLETE)),
        default=Value(default),
    )


@shared_task(bind=True, acks_late=True, max_retries=5)
def charge_renewal_invoice(self, invoice_id: int) -> str:
    """Charge a renewal's invoice to the saved card, after the renewal committed; once per
    invoice, however often it runs (billing.cards.offsession). Stripe unreachable: tried
    again with backoff, the same attempt and intent."""
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        return "missing"
    try:
        attempt = offsession.invoice_charge_off_session(invoice=invoice)
    except stripe.StripeError as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
    return attempt.status if attempt is not None else "not charged"


def hand_charge(invoice_id: int) -> None:
    """After the renewal commits: its charge, a task of its own."""
    try:
        charge_renewal_invoice.delay(invoice_id)
    except SERVICE_ERRORS as exc:  # the invoice stays open; dunning follows it up
        logger.warning("Renewal invoice %s not handed to be charged: %r", invoice_id, exc)
