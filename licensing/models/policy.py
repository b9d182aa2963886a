"""The public record of change: the changelog (computed from version diffs) and the
versioned upgrade policy."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from licensing.models.catalog import FrozenVersionError, TierVersion


class ChangeKind(models.TextChoices):
    PUBLISHED = "published", "New version"
    RETIRED = "retired", "Version retired"


class ChangelogEntry(models.Model):
    """One public line in the changelog. `changes` is computed by diffing the version
    with the one it replaced, never typed by hand; `reason` is the admin's note."""

    version = models.ForeignKey(TierVersion, on_delete=models.PROTECT, related_name="changelog")
    previous = models.ForeignKey(
        TierVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    happened_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=list, blank=True)
    reason = models.TextField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-happened_at", "-pk"]
        verbose_name_plural = "changelog entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("changelog") + f"#change-{self.pk}"


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class PolicyVersion(models.Model):
    """A version of the upgrade and downgrade policy. Published versions are frozen; the
    public page shows the newest one in effect."""

    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=120, default="Upgrade and downgrade policy")
    summary = models.TextField(blank=True, help_text="A short introduction shown at the top.")
    effective_date = models.DateField(help_text="The day this version applies from.")
    status = models.CharField(
        max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT, editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Policy v{self.number} ({self.get_status_display().lower()})"

    def save(self, *args, **kwargs) -> None:
        if self.number is None:
            latest = PolicyVersion.objects.aggregate(n=models.Max("number"))["n"]
            self.number = (latest or 0) + 1
        if self.pk:
            stored = (
                PolicyVersion.objects.filter(pk=self.pk)
                .values("status", "title", "summary", "effective_date")
                .first()
            )
            if (
                stored
                and stored["status"] == PolicyStatus.PUBLISHED
                and any(
                    stored[f] != getattr(self, f) for f in ("title", "summary", "effective_date")
                )
            ):
                raise FrozenVersionError(
                    "A published policy cannot be edited. Start a new draft from it instead."
                )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("policy_upgrades_version", args=[self.number])


class PolicySection(models.Model):
    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(max_length=120)
    body = models.TextField(help_text="Plain text; a blank line starts a new paragraph.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.heading

    def save(self, *args, **kwargs) -> None:
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)

    def _check_draft(self) -> None:
        status = PolicyVersion.objects.filter(pk=self.policy_id).values_list("status", flat=True)
        if status and status[0] != PolicyStatus.DRAFT:
            raise FrozenVersionError("A published policy cannot be edited.")
