"""Trials for tests that need one running without going through the start service
(pages, conversion): a Trial row as licensing.trials would write it."""

from datetime import datetime, timedelta

from licensing.models import Tier, Trial, TrialStatus
from portal import clock


def running_trial(license, tier="business", *, starts_at: datetime | None = None, days=14):
    """A running trial of `tier`'s current version on `license` (starting now, by default)."""
    tier = Tier.objects.get(slug=tier)
    starts_at = starts_at or clock.now()
    return Trial.objects.create(
        organization=license.organization,
        license=license,
        tier=tier,
        version=tier.versions.filter(status="published").latest("number"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=days),
        status=TrialStatus.RUNNING,
    )
