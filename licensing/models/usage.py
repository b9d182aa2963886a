"""Machines activated on a license, and the usage its software reports."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from licensing.models.licenses import License


class MachineQuerySet(models.QuerySet):
    def active(self) -> MachineQuerySet:
        return self.filter(deactivated_at__isnull=True)


class Machine(models.Model):
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="machines")
    fingerprint = models.CharField(max_length=200)
    name = models.CharField(max_length=120, blank=True)
    activated_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = MachineQuerySet.as_manager()

    class Meta:
        ordering = ["activated_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["license", "fingerprint"],
                condition=Q(deactivated_at__isnull=True),
                name="machine_active_once",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.fingerprint


class UsageRecord(models.Model):
    """One report from the customer's software. The (license, idempotency key) pair is
    unique, so a retried or concurrent duplicate post is stored, and counted, once."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="usage")
    metric = models.ForeignKey("licensing.LimitMetric", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveBigIntegerField()
    period = models.DateField(help_text="The first day of the calendar month (UTC).")
    recorded_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=100)
    batch = models.UUIDField(editable=False)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["license", "idempotency_key"], name="usage_idempotency_key_once"
            )
        ]
        indexes = [models.Index(fields=["license", "metric", "period"])]

    def __str__(self) -> str:
        return f"{self.quantity} {self.metric_id} on {self.license_id}"


class FeatureUse(models.Model):
    """One report of a feature used, from the customer's software (the trial panel shows
    which of a tier's features were used, and how often). Like usage, the (license,
    idempotency key) pair is unique: a retried or concurrent duplicate counts once."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="feature_uses")
    feature = models.ForeignKey("licensing.Feature", on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(help_text="Times used since the last report.")
    used_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=100)
    batch = models.UUIDField(editable=False)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-used_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["license", "idempotency_key"], name="feature_use_idempotency_key_once"
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="feature_use_count_positive"),
        ]
        indexes = [models.Index(fields=["license", "feature", "used_at"])]

    def __str__(self) -> str:
        return f"{self.feature_id} used {self.count} times on {self.license_id}"
