"""Feature use: which features the customer's software reports using, and how often
(the trial panel shows them). Batched and idempotent like usage (licensing.usage.services):
(license, idempotency key) is unique in the database, so a retried or concurrent
duplicate is stored, and counted, once; a batch with any bad report is refused whole.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from licensing.models import Feature, FeatureUse, License
from licensing.usage import meters

MAX_BATCH = 500
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
    product does not have, counts outside 1..MAX_COUNT, or a time too far from `at`."""
    if not reports:
        raise ValidationError("Send at least one feature-use record.")
    if len(reports) > MAX_BATCH:
        raise ValidationError(f"Send at most {MAX_BATCH} feature-use records at a time.")
    features = dict(Feature.objects.filter(product_id=license.product_id).values_list("key", "pk"))
    problems = []
    for index, report in enumerate(reports):
        if report.feature not in features:
            problems.append(f"records[{index}]: no feature {report.feature!r} on this product.")
        if not 1 <= report.count <= MAX_COUNT:
            problems.append(f"records[{index}]: count must be from 1 to {MAX_COUNT:,}.")
        moment = report.used_at or at
        if moment > at + meters.CLOCK_SKEW:
            problems.append(f"records[{index}]: used_at is in the future.")
        if moment < at - meters.OLDEST_REPORT:
            problems.append(
                f"records[{index}]: used_at is more than {meters.OLDEST_REPORT.days} days ago."
            )
    keys = [report.idempotency_key for report in reports]
    if len(set(keys)) != len(keys):
        problems.append("Each record in a batch needs its own idempotency_key.")
    if problems:
        raise ValidationError(problems)
    batch = uuid.uuid4()
    FeatureUse.objects.bulk_create(
        [
            FeatureUse(
                license=license,
                feature_id=features[report.feature],
                count=report.count,
                # In UTC, as usage: the checks above keep the moment near now.
                used_at=(report.used_at or at).astimezone(UTC),
                idempotency_key=report.idempotency_key,
                batch=batch,
                received_at=at,
            )
            for report in reports
        ],
        ignore_conflicts=True,
    )
    ours = set(
        FeatureUse.objects.filter(license=license, batch=batch).values_list(
            "idempotency_key", flat=True
        )
    )
    return {key: "accepted" if key in ours else "duplicate" for key in keys}
