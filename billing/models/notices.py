"""Notices: every reminder the site sends about a date (a renewal coming, a price that
will rise, an invoice overdue, a trial ending), each sent exactly once.

A Notice row is written in the transaction that writes the notice's outbox emails
(portal.OutboundEmail), and its unique key (kind, subject, period, lead) is the claim: a
second run, a retried task or two workers at once insert the same key, and the loser's
transaction rolls back with its emails. So a reminder is sent once or not at all, never
twice. Renewal reminders, dunning reminders and trial reminders share the table.

- `subject` names what the notice is about, "license:12", "invoice:34" or "trial:5"
  (the foreign keys beside it are for reading: joins in the admin and the dashboard);
- `period` is the day the notice counts from: the renewal date, the invoice's due date,
  the trial's last day;
- `lead` is how many days before (renewal, trial) or after (dunning) that day the
  notice belongs to: the reminder "30 days before" of one period is one row.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class NoticeKind(models.TextChoices):
    RENEWAL_REMINDER = "renewal_reminder", "Renewal reminder"
    PRICE_INCREASE = "price_increase", "Price increase notice"
    RENEWED = "renewed", "Renewed"
    EXPIRING = "expiring", "Term ends without renewal"
    EXPIRED = "expired", "Expired"
    RENEWAL_FAILED = "renewal_failed", "Renewal could not be charged"
    DUNNING_REMINDER = "dunning_reminder", "Overdue invoice reminder"
    PAST_DUE = "past_due", "Past due"
    SUSPENDED = "suspended", "Suspended for an unpaid invoice"
    REINSTATED = "reinstated", "Reinstated after payment"
    ACCOUNT_MANAGER = "account_manager", "Account manager told"
    TRIAL_REMINDER = "trial_reminder", "Trial ending reminder"
    TRIAL_ENDED = "trial_ended", "Trial ended"


class Notice(models.Model):
    kind = models.CharField(max_length=24, choices=NoticeKind.choices)
    subject = models.CharField(max_length=64, help_text='"license:12", "invoice:34"…')
    period = models.DateField(help_text="The day the notice counts from.")
    lead = models.IntegerField(
        default=0, help_text="Days before (reminders) or after (dunning) that day."
    )
    license = models.ForeignKey(
        "licensing.License",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    sent_on = models.DateField(help_text="The business day it was sent (portal.clock).")
    recipients = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-sent_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "period", "lead"], name="one_notice_per_key"
            )
        ]
        indexes = [models.Index(fields=["license", "kind"], name="notice_license_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.subject} · {self.period} ({self.lead:+d})"
