"""Reads of the commercial ledger for the analytics: the MRR the ledger gives at a moment,
replayed from the events alone (each subscription's last event by then, its MRR after)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from billing.models import SubscriptionEvent


def mrr_at(at: datetime) -> dict[str, int]:
    """MRR by currency at `at`, in minor units, from the ledger alone."""
    latest: dict[int, tuple[str, int]] = {}
    events = (
        # A trial license's events (no subscription) bring in nothing.
        SubscriptionEvent.objects.filter(effective_at__lte=at, subscription__isnull=False)
        .order_by("subscription_id", "effective_at", "pk")
        .values_list("subscription_id", "currency_id", "mrr_after")
    )
    for subscription_id, currency, mrr in events.iterator():
        latest[subscription_id] = (currency, mrr)
    totals: dict[str, int] = defaultdict(int)
    for currency, mrr in latest.values():
        totals[currency] += mrr
    return dict(totals)
