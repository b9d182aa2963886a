"""Writes for the ROI calculator's saved scenarios."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing.models import RoiScenario
from portal.models import Organization, User


def roi_scenario_create(
    *, organization: Organization, created_by: User, name: str, query: dict[str, str]
) -> RoiScenario:
    scenario = RoiScenario(organization=organization, created_by=created_by, name=name, query=query)
    scenario.full_clean()
    try:
        # Two colleagues saving the same name at once: the constraint decides.
        with transaction.atomic():
            scenario.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": f"{organization} already has a scenario called “{name}”."}
        ) from exc
    return scenario


def roi_scenario_delete(*, scenario: RoiScenario) -> None:
    scenario.delete()
