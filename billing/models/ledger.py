"""The commercial ledger: one SubscriptionEvent per commercial change to a subscription
(purchase, seats, tier or version, cycle, price, term, auto-renew, status), each with
the MRR before and after, so revenue analytics read movements instead of guessing them.

Trials are on it too (PRODUCT.md rule 6, for the analytics: started, extended by staff,
converted, ended by the customer, reverted), one event per trial change, caused by the
trial, with its tier, version and dates in `before` and `after` (`after["trial"]`). An
event is therefore a license's: `license` is always set, `subscription` is set whenever
the license has one. A trial license (an organization's first, in status trialing) has
no subscription (nor has a license staff issued by hand), so its trial's events have
none, no currency and no MRR (0 and 0): the database says so
(subevent_subscription_or_trial_license), and allows it for trial events alone. A
trial moves no money: its events repeat the subscription's MRR, before == after. Its
conversion too: a checkout converts, and the trial_converted event it writes comes after
the checkout's own events (purchased, upgraded…), which carry the movement, at the MRR
they leave (its `before` data states the terms before the checkout). So the events
chain (each one's MRR before is the last one's after: billing.ledger.steps) and adding
movements (mrr_change) gives the MRR that replaying it at a moment
(billing.ledger.selectors.mrr_at) does: every event states the MRR after it.
Why a nullable subscription beside an always-set license, rather than a second ledger
for trials: one table is what analytics read (a trial's conversion sits beside the
purchase it caused, in one ordering), and whose an event is (the admin's scoping by
organization, ORGANIZATION_PATH) is one path for every row.

Why the cause is a foreign key per kind of cause (checkout, scheduled change, admin
operation, trial; later renewal, dunning, proposal) with a CHECK that exactly one is set,
rather than a generic relation or a cause table: each is a real foreign key the database
enforces (PROTECT: a cause is never deleted from under its events), joins are plain
("every event a checkout caused"), and adding a cause later is one nullable column and a
wider CHECK. A generic relation (content type + id) has no referential integrity; a
cause table would need every cause to write a second row first, for nothing.

An AdminOperation records a change made by a person or a job outside a customer's flow:
who, what (the service called), why and when; the licensing admin's operations, the
billing admin's, the demo data and the rows migrated from the old ledger (0012).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from billing.models.checkout import Checkout, ScheduledChange
from billing.models.subscriptions import Subscription
from licensing.models import AppendOnlyModel, Currency, LedgerEntry, License, TierVersion, Trial

# The cause columns: exactly one is set on every event.
CAUSES = ("checkout", "scheduled_change", "operation", "trial")


class AdminOperation(AppendOnlyModel):
    """A change made outside a customer's own flow: who did what, why and when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    action = models.CharField(
        max_length=60, help_text="What was done: the service called, e.g. license_suspend."
    )
    reason = models.TextField()
    performed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-performed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label}"


class SubscriptionEventKind(models.TextChoices):
    PURCHASED = "purchased", "Purchased"
    UPGRADED = "upgraded", "Upgraded"
    DOWNGRADED = "downgraded", "Downgraded"
    VERSION_CHANGED = "version_changed", "Moved to another version (same tier level)"
    SEATS_ADDED = "seats_added", "Seats added"
    SEATS_REMOVED = "seats_removed", "Seats removed"
    CYCLE_CHANGED = "cycle_changed", "Billing cycle changed"
    PRICE_LOCKED = "price_locked", "Price locked"
    CURRENCY_LEFT = "currency_left", "Billed in another currency from now"
    TERM_STARTED = "term_started", "New term started"
    TERM_EXTENDED = "term_extended", "Term extended"
    TERM_SHORTENED = "term_shortened", "Term shortened"
    AUTO_RENEW_ON = "auto_renew_on", "Auto-renew on"
    AUTO_RENEW_OFF = "auto_renew_off", "Auto-renew off"
    SUSPENDED = "suspended", "Suspended"
    REINSTATED = "reinstated", "Reinstated"
    CANCELED = "canceled", "Canceled"
    EXPIRED = "expired", "Expired"
    STATUS_CHANGED = "status_changed", "Status changed"
    TRIAL_STARTED = "trial_started", "Trial started"
    TRIAL_EXTENDED = "trial_extended", "Trial extended by staff"
    TRIAL_CONVERTED = "trial_converted", "Trial converted"
    TRIAL_ENDED = "trial_ended", "Trial ended by the customer"
    TRIAL_REVERTED = "trial_reverted", "Trial ended at its end date"


# The kinds a trial causes (and only a trial): no money moves but a conversion's.
TRIAL_KINDS = (
    SubscriptionEventKind.TRIAL_STARTED,
    SubscriptionEventKind.TRIAL_EXTENDED,
    SubscriptionEventKind.TRIAL_CONVERTED,
    SubscriptionEventKind.TRIAL_ENDED,
    SubscriptionEventKind.TRIAL_REVERTED,
)


def _exactly_one(names: tuple[str, ...]) -> Q:
    condition = Q()
    for name in names:
        only = Q(**{f"{name}__isnull": False})
        for other in names:
            if other != name:
                only &= Q(**{f"{other}__isnull": True})
        condition |= only
    return condition


class SubscriptionEvent(LedgerEntry):
    """One commercial change: when it took effect, what kind, the MRR before and after
    (in the currency's minor units, billing.ledger.mrr), what the license was on after
    it (version, seats, currency) and what caused it. `before` and `after` keep the
    subscription's fields as they were (and a trial's, under "trial"); `happened_at` is
    when the row was written. `subscription` is None only for a trial license's trial
    events (see the module's docstring)."""

    # Whose row it is, for the admin's scoping (portal.admin_scoping): the license's
    # organization, not the optional checkout's.
    ORGANIZATION_PATH = "license__organization"

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="ledger_events")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=24, choices=SubscriptionEventKind.choices)
    effective_at = models.DateTimeField(help_text="When the change took effect (business time).")
    mrr_before = models.BigIntegerField(help_text="Monthly recurring revenue, minor units.")
    mrr_after = models.BigIntegerField(help_text="Monthly recurring revenue, minor units.")
    currency = models.ForeignKey(
        Currency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        to_field="code",
        db_column="currency",
        related_name="+",
    )
    version = models.ForeignKey(TierVersion, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField()
    checkout = models.ForeignKey(
        Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_events"
    )
    scheduled_change = models.ForeignKey(
        ScheduledChange,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_events",
    )
    operation = models.ForeignKey(
        AdminOperation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_events",
    )
    trial = models.ForeignKey(
        Trial, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_events"
    )

    class Meta(LedgerEntry.Meta):
        ordering = ["-effective_at", "-pk"]
        indexes = [
            models.Index(fields=["subscription", "effective_at"], name="subevent_by_subscription"),
            models.Index(fields=["effective_at"], name="subevent_by_time"),
            models.Index(fields=["license", "effective_at"], name="subevent_by_license"),
        ]
        constraints = [
            models.CheckConstraint(condition=_exactly_one(CAUSES), name="subevent_one_cause"),
            models.CheckConstraint(
                condition=Q(mrr_before__gte=0) & Q(mrr_after__gte=0),
                name="subevent_mrr_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(trial__isnull=True) & ~Q(kind__in=TRIAL_KINDS))
                | Q(trial__isnull=False, kind__in=TRIAL_KINDS),
                name="subevent_trial_kinds_by_trials",
            ),
            models.CheckConstraint(
                condition=Q(subscription__isnull=False, currency__isnull=False)
                | Q(
                    subscription__isnull=True,
                    currency__isnull=True,
                    trial__isnull=False,
                    mrr_before=0,
                    mrr_after=0,
                ),
                name="subevent_subscription_or_trial_license",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on license {self.license_id} by {self.actor_label}"

    @property
    def mrr_change(self) -> int:
        return self.mrr_after - self.mrr_before

    @property
    def cause(self) -> Checkout | ScheduledChange | AdminOperation | Trial:
        return self.checkout or self.scheduled_change or self.operation or self.trial
