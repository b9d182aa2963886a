"""Dunning's writes: the daily step of each overdue invoice, and the settlement that
lifts dunning when a payment, credit or void leaves a license with nothing overdue.

- `invoice_dunning_step`: one invoice, in its own transaction, in the lock order
  (billing.locks: its license, then the invoice). What is due comes from the pure rule
  (billing.dunning.rules.step_due) and the notices already sent; each notice is written
  in the transaction that queues its emails, and its unique key is the claim: a second
  run, a retried task or two workers at once roll back with their emails
  (billing.models.notices). At the past-due day the license becomes past due (still
  usable); at the suspension day a dunning hold suspends it. One email a run to the
  billing recipients, about the most serious step, and one to the account manager at
  past due and at suspension. A stage the license is already in (by another invoice)
  is not applied, written or told: it stays due, and a later run applies it if the
  license has left that stage by then. A run that missed days sends one email, which
  names the reminder it includes (each notice written is an email sent).
- `dunning_settle`: in the payment's own transaction, which locked the licenses before
  any invoice: a license none of whose open invoices has reached its suspension day has
  its dunning hold lifted (back to active, never to past due; another source's hold
  stays), and a past-due license none of whose open invoices has reached its past-due
  day leaves past due (billing.dunning.rules.settlement). The
  licensing services write the ledger, the new license file and retire the cached
  validation answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from billing.dunning import rules, selectors
from billing.emails.notices import absolute, dashboard_url, invoice_url
from billing.emails.services import billing_recipients, send_billing_email
from billing.invoices.selectors import invoice_outstanding
from billing.locks import lock_license, lock_licenses
from billing.models import Invoice, InvoiceStatus, Notice, NoticeKind, Subscription
from billing.providers import provider_for
from licensing.licenses import status as status_rules
from licensing.licenses.services import (
    Actor,
    license_hold,
    license_release_hold,
    license_set_status,
)
from licensing.models import HoldSource, License, LicenseStatus
from portal import clock
from portal.emails import queue_templated_email
from portal.models import Organization

logger = logging.getLogger(__name__)

# Who dunning's changes are on record as, in the license's ledger.
DUNNING = Actor(label="dunning")

STAGE_NOTICE = {
    rules.PAST_DUE: NoticeKind.PAST_DUE,
    rules.SUSPEND: NoticeKind.SUSPENDED,
}


def _notice(*, kind, invoice: Invoice, lead: int, today: date, recipients: int, license=None):
    """Insert the notice's claim; IntegrityError when it was sent already."""
    with transaction.atomic():
        return Notice.objects.create(
            kind=kind,
            subject=selectors.invoice_subject(invoice),
            period=invoice.due_on,
            lead=lead,
            license=license,
            invoice=invoice,
            sent_on=today,
            recipients=recipients,
        )


def _pay_links(invoice: Invoice) -> dict:
    """How to pay: the invoice's page (Pay now by card there) and the bank transfer's
    details, as the invoice prints them."""
    return {
        "action_url": invoice_url(invoice),
        "action_label": f"Pay invoice {invoice.number}",
        "instructions": provider_for(invoice).instructions(invoice),
    }


def _email_context(invoice: Invoice, *, step: rules.Step, license, today: date) -> dict:
    dunned = selectors.dunned_license(license)
    stage = selectors.license_stage(license) if dunned else None
    events = selectors.invoice_timeline(invoice, today, stage=stage)
    to_lift = selectors.holding_invoices(license, today) if stage == rules.SUSPEND else ()
    return {
        "invoice": invoice,
        "license": license,
        "stage": step.stage,
        # The reminder this email also is, when a stage came on its day or a run that
        # missed days sent one email for both.
        "reminder": step.reminder if step.stage != rules.REMINDER else None,
        "license_stage": stage,
        # While suspended: the invoices to pay to lift it, and those besides this one.
        "to_lift": to_lift,
        "other_to_lift": [other for other in to_lift if other.pk != invoice.pk],
        # Staff hold it suspended too: paying lifts only dunning's hold, so the email
        # says the license stays suspended (as the overdue panel does), never the reason.
        "held_by_staff": stage == rules.SUSPEND and selectors.staff_hold(license.pk),
        # The license's other overdue invoices that do not hold the suspension, each
        # with what it does once the suspension is lifted (back to active).
        "others_after_lift": [
            (other, rules.next_event(selectors.invoice_timeline(other, today, stage=None)))
            for other in selectors.overdue(today)
            .filter(license=license)
            .exclude(pk__in=[invoice.pk, *(row.pk for row in to_lift)])
            .order_by("due_on", "pk")
        ]
        if stage == rules.SUSPEND
        else [],
        "days": rules.overdue_days(due_on=invoice.due_on, today=today),
        "outstanding": invoice_outstanding(invoice=invoice).format(),
        "timeline": events,
        "next": rules.next_event(events),
        "today": today,
        **_pay_links(invoice),
    }


def _tell_account_manager(invoice: Invoice, *, license: License, stage: str, today: date):
    manager = invoice.organization.account_manager
    if manager is None or not manager.email or not manager.is_active:
        return []
    to_lift = selectors.holding_invoices(license, today) if stage == rules.SUSPEND else ()
    return [
        queue_templated_email(
            "billing/dunning_account_manager",
            to=manager.email,
            context={
                "manager": manager,
                "organization": invoice.organization,
                "invoice": invoice,
                "license": license,
                "stage": stage,
                "days": rules.overdue_days(due_on=invoice.due_on, today=today),
                "outstanding": invoice_outstanding(invoice=invoice).format(),
                "timeline": selectors.invoice_timeline(invoice, today),
                "license_stage": selectors.license_stage(license),
                "other_to_lift": [other for other in to_lift if other.pk != invoice.pk],
                "action_url": absolute(reverse("manage_accounts")),
                "action_label": "Your accounts",
            },
        )
    ]


def _reason(invoice: Invoice, what: str, today: date) -> str:
    days = rules.overdue_days(due_on=invoice.due_on, today=today)
    return (
        f"{what}: invoice {invoice.number} unpaid {days} days after its due date "
        f"({invoice.due_on:%Y-%m-%d})."
    )


def _apply_stages(
    step: rules.Step, *, invoice: Invoice, license: License, at, today
) -> tuple[License, rules.Step]:
    """Apply the step's stages that change the license, and the step as applied: a stage
    the license is already in (past due, or a dunning hold, by another invoice) is left
    out, so no notice or email says it happened today; it stays due for a later run."""
    past_due = suspend = False
    if step.past_due and license.status == LicenseStatus.ACTIVE:
        license = license_set_status(
            license=license,
            status=LicenseStatus.PAST_DUE,
            actor=DUNNING,
            reason=_reason(invoice, "Past due", today),
            at=at,
        )
        past_due = True
    if (
        step.suspend
        and license.status in status_rules.HOLDABLE
        and selectors.dunning_hold(license.pk) is None
    ):
        license = license_hold(
            license=license,
            source=HoldSource.DUNNING,
            actor=DUNNING,
            reason=_reason(invoice, "Suspended", today),
            at=at,
        )
        suspend = True
        # The license went through past due on its way (a run that missed days).
        past_due = past_due or step.past_due
    return license, rules.Step(reminder=step.reminder, past_due=past_due, suspend=suspend)


def invoice_dunning_step(*, invoice_id: int, at: datetime | None = None) -> str | None:
    """Run what is due today for one invoice, in its own transaction; the stage done
    (rules.REMINDER, PAST_DUE or SUSPEND), or None when nothing was due or another run
    had just done it."""
    at = at or clock.now()
    today = timezone.localdate(at)
    license_id = Invoice.objects.filter(pk=invoice_id).values_list("license_id", flat=True).first()
    try:
        with transaction.atomic():
            # The lock order (billing.locks): the license, then the invoice.
            license = lock_license(license_id) if license_id else None
            invoice = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("organization")
                .get(pk=invoice_id)
            )
            if invoice.status != InvoiceStatus.OPEN:
                return None
            step = rules.step_due(
                due_on=invoice.due_on,
                reminder_days=invoice.dunning_reminder_days or [],
                past_due_on=invoice.past_due_on,
                suspend_on=invoice.suspend_on,
                today=today,
                sent=selectors.sent_for(invoice),
                has_license=selectors.dunned_license(license),
            )
            if step.past_due or step.suspend:
                license, step = _apply_stages(
                    step, invoice=invoice, license=license, at=at, today=today
                )
            if step.is_nothing:
                return None
            leads = []
            if step.reminder is not None:
                leads.append((NoticeKind.DUNNING_REMINDER, step.reminder))
            for stage, done in ((rules.PAST_DUE, step.past_due), (rules.SUSPEND, step.suspend)):
                if done:
                    on = invoice.past_due_on if stage == rules.PAST_DUE else invoice.suspend_on
                    leads.append((STAGE_NOTICE[stage], (on - invoice.due_on).days))
            # One email for the step, which names each thing it is about; each notice
            # is written first (the claim), so the email's timeline shows what it sends
            # as done today.
            recipients = billing_recipients(invoice.organization)
            for kind, lead in leads:
                _notice(
                    kind=kind,
                    invoice=invoice,
                    lead=lead,
                    today=today,
                    recipients=len(recipients),
                    license=license,
                )
            send_billing_email(
                "dunning",
                organization=invoice.organization,
                context=_email_context(invoice, step=step, license=license, today=today),
                recipients=recipients,
            )
            if step.stage in (rules.PAST_DUE, rules.SUSPEND):
                told = _tell_account_manager(
                    invoice, license=license, stage=step.stage, today=today
                )
                _notice(
                    kind=NoticeKind.ACCOUNT_MANAGER,
                    invoice=invoice,
                    lead=leads[-1][1],
                    today=today,
                    recipients=len(told),
                    license=license,
                )
            return step.stage
    except IntegrityError:
        # Another run claimed this notice first: it sent the emails, ours rolled back.
        logger.info("Dunning of invoice %s: already done by another run.", invoice_id)
        return None


@dataclass
class RunResult:
    reminders: int = 0
    past_due: int = 0
    suspended: int = 0
    settled: int = 0
    failed: list[int] = field(default_factory=list)  # invoices whose step raised
    settle_failed: list[int] = field(default_factory=list)  # licenses the sweep could not settle

    def as_dict(self) -> dict:
        """What the run did, only what it did: empty (falsy, as the other jobs' 0) when
        nothing was due."""
        done = {
            "reminders": self.reminders,
            "past_due": self.past_due,
            "suspended": self.suspended,
            "settled": self.settled,
            "failed": self.failed,
            "settle_failed": self.settle_failed,
        }
        return {name: value for name, value in done.items() if value}


def dunning_run(*, at: datetime | None = None) -> RunResult:
    """The daily job: every overdue invoice's step, each in its own transaction (a
    failure is logged and retried by the next run, never stops the others), then the
    sweep that settles licenses whose overdue invoices were settled some other way, each
    license in its own transaction, likewise."""
    at = at or clock.now()
    today = timezone.localdate(at)
    result = RunResult()
    for invoice_id in selectors.overdue_invoice_ids(today):
        try:
            stage = invoice_dunning_step(invoice_id=invoice_id, at=at)
        except Exception:
            logger.exception("Dunning of invoice %s failed; the next run retries it.", invoice_id)
            result.failed.append(invoice_id)
            continue
        if stage == rules.REMINDER:
            result.reminders += 1
        elif stage == rules.PAST_DUE:
            result.past_due += 1
        elif stage == rules.SUSPEND:
            result.suspended += 1
    for license_id in selectors.licenses_to_settle(today):
        try:
            with transaction.atomic():
                result.settled += len(
                    dunning_settle(
                        license_ids=[license_id], at=at, reason="No overdue invoice is left."
                    )
                )
        except Exception:
            logger.exception("Settling license %s failed; the next run retries it.", license_id)
            result.settle_failed.append(license_id)
    return result


# --- Settlement -----------------------------------------------------------------------


def lock_for_settlement(organization: Organization, currency: str | None = None) -> list[int]:
    """Lock 3, before any invoice: the licenses of the organization's open invoices (in
    `currency`), which the payment or credit about to be written may settle."""
    return lock_licenses(selectors.open_invoice_license_ids(organization, currency))


def _reinstated_notice(license: License, *, hold, at: datetime) -> None:
    """The customer is told once per hold lifted; a notice already there (two holds
    placed on one day) sends nothing more and never undoes the payment."""
    today = timezone.localdate(at)
    try:
        with transaction.atomic():
            emails = send_billing_email(
                "dunning_reinstated",
                organization=license.organization,
                context={
                    "license": license,
                    "suspended_on": timezone.localdate(hold.placed_at),
                    "today": today,
                    # Still overdue, each with what happens next (its own timeline).
                    "still_overdue": [
                        (row, rules.next_event(selectors.invoice_timeline(row, today)))
                        for row in selectors.overdue(today)
                        .filter(license=license)
                        .select_related("license")
                        .order_by("due_on", "pk")
                    ],
                    "action_url": dashboard_url(license.organization),
                    "action_label": "See your license",
                },
            )
            Notice.objects.create(
                kind=NoticeKind.REINSTATED,
                subject=f"license:{license.pk}",
                period=timezone.localdate(hold.placed_at),
                lead=0,
                license=license,
                sent_on=today,
                recipients=len(emails),
            )
    except IntegrityError:
        logger.info("License %s: reinstatement already told.", license.pk)


def dunning_settle(*, license_ids, at: datetime | None = None, reason: str) -> list[int]:
    """For each license (ascending) that a settlement changes (rules.settlement: none
    of its open invoices has reached its suspension day, or its past-due day for a past
    due license): lift the dunning hold (back to active, never to past due, or still
    suspended while another source holds it) and tell the customer, or move it from past
    due back to active. One past its last usable day (billing.renewals.services.lapsed)
    expires instead, and an expired one stays expired, its hold lifted on record. Runs in
    the caller's transaction,
    which locked these licenses before any invoice (`lock_for_settlement`). The licenses
    that changed."""
    # The renewals module reaches this one through the card charge: imported late.
    from billing.renewals import services as renewals

    at = at or clock.now()
    today = timezone.localdate(at)
    changed = []
    for license_id in sorted(set(license_ids)):
        license = lock_license(license_id)
        hold = selectors.dunning_hold(license_id)
        past_due = (
            license.status == LicenseStatus.PAST_DUE
            and Notice.objects.filter(license_id=license_id, kind=NoticeKind.PAST_DUE).exists()
        )
        outcome = rules.settlement(
            held=hold is not None,
            past_due=past_due,
            reached=selectors.license_reached(license_id, today),
        )
        if outcome is None:
            continue
        if hold is not None:
            if renewals.lapsed(license, today):
                # Paid after its last usable day: it ends as the term-end job would end
                # it, and the payment never brings it back (nor bills the terms missed).
                subscription = Subscription.objects.filter(license_id=license_id).first()
                if subscription is not None:
                    renewals.subscription_expire(subscription=subscription, today=today, at=at)
                    license = lock_license(license_id)
            license = license_release_hold(
                license=license, source=HoldSource.DUNNING, actor=DUNNING, reason=reason, at=at
            )
            if license.is_usable:
                _reinstated_notice(license, hold=hold, at=at)
            changed.append(license_id)
        else:
            license_set_status(
                license=license, status=LicenseStatus.ACTIVE, actor=DUNNING, reason=reason, at=at
            )
            changed.append(license_id)
    return changed


def settle_reason(invoice: Invoice, what: str) -> str:
    return f"{what} {invoice.number}: no open invoice has reached its suspension date."
