"""The commercial ledger's movements add up to the MRR it replays after a conversion:
the checkout's own events carry the movement, trial_converted none (billing.ledger.steps:
each event's MRR before is the last one's after)."""

import itertools
from datetime import timedelta

from billing.ledger.selectors import mrr_at
from billing.models import SubscriptionEvent, SubscriptionEventKind
from tests.helpers.checkout import confirm, subscribed
from tests.helpers.trials import running_trial


def test_movements_add_up_to_the_replayed_mrr_after_a_conversion(organization, catalog, owner, now):
    license = subscribed(organization, catalog, seats=12)
    running_trial(license, "business", starts_at=now - timedelta(days=5))
    confirm(organization, license, owner, tier="business", seats=12, cycle="monthly")

    events = list(SubscriptionEvent.objects.filter(license=license).order_by("effective_at", "pk"))
    chain = [(e.kind, e.mrr_before, e.mrr_after) for e in events]
    assert chain[-1] == (SubscriptionEventKind.TRIAL_CONVERTED, 46800, 46800)
    for previous, event in itertools.pairwise(events):
        assert event.mrr_before == previous.mrr_after, chain
    assert sum(e.mrr_change for e in events) == mrr_at(now)["USD"] == 46800
