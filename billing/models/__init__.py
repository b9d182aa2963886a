"""Billing models, one module per area, each name re-exported."""

from billing.models.roi import RoiScenario as RoiScenario
from billing.models.subscriptions import Subscription as Subscription
from billing.models.subscriptions import SubscriptionEvent as SubscriptionEvent
from billing.models.subscriptions import SubscriptionEventKind as SubscriptionEventKind
