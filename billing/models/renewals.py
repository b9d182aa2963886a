"""Renewal runs: what each term-end job did, for staff (the admin's history), and the
renewals that failed, kept until one succeeds so a failure is retried and surfaced,
never dropped. The renewal itself is claimed by its SubscriptionPeriod row
(billing.renewals), not by anything here."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RenewalRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Finished with failures"
    # Some due subscriptions were left for the next run: a batch could not be queued, or
    # did not report back in time (a lost message, a batch that crashed outside its
    # renewals). They are still due, so the next run finds them again.
    INCOMPLETE = "incomplete", "Ended with subscriptions left for the next run"


class RenewalRun(models.Model):
    business_day = models.DateField(help_text="The day (portal.clock) the run renewed up to.")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a batch last reported: a run still reporting is still working.",
    )
    status = models.CharField(
        max_length=16, choices=RenewalRunStatus.choices, default=RenewalRunStatus.RUNNING
    )
    due = models.PositiveIntegerField(default=0, help_text="Subscriptions found due.")
    batches = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    renewed = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(
        default=0, help_text="Already renewed (a retry or another worker) or not due."
    )
    failed = models.PositiveIntegerField(default=0)
    not_queued = models.PositiveIntegerField(
        default=0,
        help_text="Due subscriptions whose batch could not be queued (the broker was "
        "unreachable): the next run finds them due again.",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Renewal run {self.pk} for {self.business_day}"

    @property
    def processed(self) -> int:
        return self.renewed + self.expired + self.skipped + self.failed


class RenewalFailure(models.Model):
    """A renewal that raised: kept per subscription and period until a later attempt
    renews it (resolved_at), and shown to staff once it has failed `attempts` times."""

    subscription = models.ForeignKey(
        "billing.Subscription", on_delete=models.PROTECT, related_name="renewal_failures"
    )
    period_start = models.DateField(help_text="The first day of the period it could not start.")
    run = models.ForeignKey(
        RenewalRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="failures"
    )
    attempts = models.PositiveIntegerField(default=1)
    last_error = models.TextField()
    first_failed_at = models.DateTimeField(default=timezone.now)
    last_failed_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["resolved_at", "-last_failed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="one_failure_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription} from {self.period_start}: {self.last_error[:60]}"
