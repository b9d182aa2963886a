"""Billing models, one module per area, each name re-exported."""

from billing.models.roi import RoiScenario as RoiScenario
