"""Trials on the commercial ledger (PRODUCT.md rule 6; issue 19, must-have 6): every
change of a trial that licensing makes (licensing.trials.services: started, extended by
staff, converted, ended by the customer, reverted) is told by its `trial_changed` signal,
inside the change's transaction, and recorded here as one SubscriptionEvent of the
matching kind, caused by the trial, with its tier, version and dates
(billing.ledger.services.trial_event_record). Through the signal, whoever calls the
trial services (the portal, the job, the checkout, the admin, the demo) leaves the
event: licensing may not import billing."""

from __future__ import annotations

from billing.ledger.services import trial_event_record
from billing.models import SubscriptionEventKind
from licensing.models import EventKind, Trial
from licensing.trials.signals import trial_changed

KINDS = {
    EventKind.TRIAL_STARTED: SubscriptionEventKind.TRIAL_STARTED,
    EventKind.TRIAL_EXTENDED: SubscriptionEventKind.TRIAL_EXTENDED,
    EventKind.TRIAL_CONVERTED: SubscriptionEventKind.TRIAL_CONVERTED,
    EventKind.TRIAL_ENDED: SubscriptionEventKind.TRIAL_ENDED,
    EventKind.TRIAL_REVERTED: SubscriptionEventKind.TRIAL_REVERTED,
}


def _on_trial_changed(sender, *, trial, kind, before, actor, reason, at, **kwargs) -> None:
    trial_event_record(
        trial=trial, kind=KINDS[kind], before=before, actor=actor, reason=reason, at=at
    )


trial_changed.connect(_on_trial_changed, sender=Trial, dispatch_uid="billing.trials.ledger")
