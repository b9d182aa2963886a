"""Feature use: which features the customer's software reports using, and how often
(the trial panel shows them). Batched and idempotent like usage (licensing.usage.services):
(license, idempotency key) is unique in the database, so a retried or concurrent
duplicate is stored, and counted, once; a batch with any bad report is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction

from licensing.models import Feature, FeatureUse, License
from licensing.usage.batches import refuse_bad_batch, store_batch

# A count is the uses since the last report: more than this in one report is a bug in
# the caller, not a busy afternoon.
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class FeatureReport:
    feature: str
    count: int
    idempotency_key: str
    used_at: datetime | None = None


@transaction.atomic
def feature_use_record_batch(
    *, license: License, reports: list[FeatureReport], at: datetime
) -> dict[str, str]:
    """Store a batch; {idempotency key: "accepted" | "duplicate"}. The whole batch is
    refused (ValidationError, one message per problem) if any report names a feature the
    product does not have, counts outside 1..MAX_COUNT, a time too far from `at`, or
    reuses a key stored before for another record (batches.store_batch)."""
    features = dict(Feature.objects.filter(product_id=license.product_id).values_list("key", "pk"))

    def problems(report: FeatureReport) -> list[str]:
        found = []
        if report.feature not in features:
            found.append(f"no feature {report.feature!r} on this product.")
        if not 1 <= report.count <= MAX_COUNT:
            found.append(f"count must be from 1 to {MAX_COUNT:,}.")
        return found

    refuse_bad_batch(
        reports, noun="feature-use", at=at, moment_field="used_at", record_problems=problems
    )
    return store_batch(
        FeatureUse,
        [
            FeatureUse(
                license=license,
                feature_id=features[report.feature],
                count=report.count,
                # In UTC, as usage: the checks above keep the moment near now.
                used_at=(report.used_at or at).astimezone(UTC),
                idempotency_key=report.idempotency_key,
                received_at=at,
            )
            for report in reports
        ],
        license=license,
        body=("feature_id", "count"),
        moment="used_at",
        timed={report.idempotency_key for report in reports if report.used_at},
    )
