"""Billing records. For now: the ROI scenarios customers save from the calculator."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.models import Organization


class RoiScenario(models.Model):
    """A named set of calculator inputs an organization keeps to reopen or, later, to
    attach to a proposal. `query` holds the validated inputs as strings, exactly as they
    go back into the calculator's URL, so reopening one re-validates it like any visit."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="roi_scenarios"
    )
    name = models.CharField(max_length=80)
    query = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization", "-updated_at", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="roi_scenario_name_per_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"
