"""Trials of a higher tier (PRODUCT.md rule 6).

A Trial lends an organization a tier's version for a while. It changes nothing on the
license it runs on: a paying customer's version, seats, status and subscription stay as
they were, billed as before; the entitlement resolver (licensing.licenses.entitlements)
adds the trial's version to the plan while `starts_at <= now < ends_at` (its features,
and each limit the larger of the two: a trial never lowers the plan), so the API,
its cached answers and the license file fall back at `ends_at` by themselves, whether or
not the job that closes trials has run. An organization without a license trials on a
license of its own, in status trialing, with no subscription.

An organization tries each tier once: (organization, tier) is unique at the database,
whatever the trial's status; a license runs at most one trial at a time.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from licensing.models.licenses import License
from licensing.trials import rules


class TrialStatus(models.TextChoices):
    RUNNING = "running", "Running"
    CONVERTED = "converted", "Converted"  # bought: the trial tier became the plan
    ENDED = "ended", "Ended by the customer"
    REVERTED = "reverted", "Ended at its end date"


class Trial(models.Model):
    # Whose row it is, for the admin's scoping (portal.admin_scoping).
    ORGANIZATION_PATH = "organization"

    organization = models.ForeignKey(
        "portal.Organization", on_delete=models.PROTECT, related_name="trials"
    )
    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="trials")
    tier = models.ForeignKey("licensing.Tier", on_delete=models.PROTECT, related_name="trials")
    version = models.ForeignKey("licensing.TierVersion", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="The trial's grants end at this moment.")
    status = models.CharField(
        max_length=12, choices=TrialStatus.choices, default=TrialStatus.RUNNING
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [
            # The closing job's question: which running trials are past their end.
            models.Index(fields=["status", "ends_at"], name="trial_status_ends_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organization", "tier"], name="trial_once_per_tier"),
            models.UniqueConstraint(
                fields=["license"],
                condition=Q(status="running"),
                name="one_running_trial_per_license",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="trial_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=Q(status="running", ended_at__isnull=True)
                | (~Q(status="running") & Q(ended_at__isnull=False)),
                name="trial_ended_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.tier} trial"

    @property
    def last_day(self) -> date:
        """The trial's last day (UTC), as customers, staff and emails all say it: a trial
        that ends at midnight on 20 December runs until the end of 19 December."""
        return rules.last_day(self.ends_at)

    def in_force(self, at) -> bool:
        """Whether its grants apply at `at`: running, and inside its window."""
        return self.status == TrialStatus.RUNNING and self.starts_at <= at < self.ends_at
