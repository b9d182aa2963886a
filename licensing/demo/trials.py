"""Demo trials, after the demo licenses and subscriptions (PRODUCT.md rule 6):

- Acme Robotics pays for Team (v1) and is five days into a 14-day trial of Business,
  with some of Business's extra features used (and one never used, so the panel shows
  both) and its API calls of the month counted against Business's limit.
- Umbrella Labs, new, with no license, is two days into a trial of Team on a trial
  license of its own (status trialing, no subscription).

Started through licensing.trials' own service, back-dated, and the feature use reported
through the feature-use service with fixed idempotency keys: running the demo again
starts nothing and counts nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from licensing.licenses.services import Actor
from licensing.models import Tier, Trial
from licensing.trials.services import trial_start
from licensing.usage.features import FeatureReport, feature_use_record_batch
from portal import clock
from portal.models import Organization

DEMO = Actor(label="demo data")

# organization slug, tier slug, days since the start, {feature: uses on each day}
TRIALS = [
    ("acme-robotics", "business", 5, {"webhooks": (14, 22, 9, 31), "roles": (3, 0, 2, 0)}),
    ("umbrella-labs", "team", 2, {"coupons": (4, 6)}),
]


@transaction.atomic
def build_trials() -> list[str]:
    """One line per demo trial; a new trial license's key is in its line, shown once."""
    now = clock.now()
    lines = []
    for slug, tier_slug, days_ago, uses in TRIALS:
        organization = Organization.objects.get(slug=slug)
        tier = Tier.objects.get(slug=tier_slug)
        trial = Trial.objects.filter(organization=organization, tier=tier).first()
        key_text = ""
        if trial is None:
            started = trial_start(
                organization=organization,
                tier=tier,
                actor=DEMO,
                at=now - timedelta(days=days_ago),
            )
            trial = started.trial
            if started.key:
                key_text = f", key {started.key}"
        reports = [
            FeatureReport(
                feature=feature,
                count=count,
                idempotency_key=f"demo-trial-{feature}-{day}",
                used_at=trial.starts_at + timedelta(days=day, hours=3),
            )
            for feature, counts in uses.items()
            for day, count in enumerate(counts)
            if count and trial.starts_at + timedelta(days=day, hours=3) < now
        ]
        if reports:
            feature_use_record_batch(license=trial.license, reports=reports, at=now)
        lines.append(
            f"{organization.name}: {tier.name} trial until {trial.ends_at:%-d %B %Y}{key_text}"
        )
    return lines
