"""Checkouts and scheduled changes.

A Checkout is one customer's attempt at a change (a purchase, an upgrade, a downgrade…),
recorded with its steps — started, previewed, confirmed or abandoned — for the revenue
analytics that come later. Its token is the one-time key of the confirmation: the row is
locked while a confirmation is made, so two clicks (or twenty requests) make one change.

A ScheduledChange is the part of a change that waits for the end of the term (a lower
tier, fewer seats, annual → monthly, auto-renew off). It holds the whole plan the
subscription moves to on `effective_on`; the customer can cancel it until then, and
billing.checkout.scheduled applies it when it is due.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from billing.models.subscriptions import Billing
from billing.pricing import BillingCycle
from licensing.models import License, Tier, TierVersion, TierVersionPrice
from portal.models import Organization


def _checkout_token() -> str:
    return secrets.token_urlsafe(24)


class CheckoutStatus(models.TextChoices):
    STARTED = "started", "Started"
    PREVIEWED = "previewed", "Previewed"
    CONFIRMED = "confirmed", "Confirmed"
    ABANDONED = "abandoned", "Abandoned"


OPEN_CHECKOUT = (CheckoutStatus.STARTED, CheckoutStatus.PREVIEWED)


class Checkout(models.Model):
    # A purchase's new license key, set in memory by checkout_confirm for the one response
    # that hands it on to be shown once; never stored (the license keeps only its hash).
    issued_key: str | None = None

    token = models.CharField(max_length=64, unique=True, default=_checkout_token, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="checkouts"
    )
    # The license changed; for a purchase, the one it created.
    license = models.ForeignKey(
        License, null=True, blank=True, on_delete=models.PROTECT, related_name="checkouts"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=CheckoutStatus.choices, default=CheckoutStatus.STARTED
    )
    # What was last previewed.
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seats = models.PositiveIntegerField(null=True, blank=True)
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    auto_renew = models.BooleanField(null=True, blank=True)
    amount_due = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # The result.
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scheduled_change = models.ForeignKey(
        "billing.ScheduledChange",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The change that was already scheduled when this one was confirmed, and what
    # became of it (billing.checkout.changes.replan), as the preview said.
    replanned_change = models.ForeignKey(
        "billing.ScheduledChange",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    replan_outcome = models.CharField(max_length=16, blank=True)
    # A checkout opened by accepting a proposal's option: it quotes that option (its
    # version, seats, term length and discount), and one per proposal is confirmed.
    proposal = models.ForeignKey(
        "billing.Proposal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkouts",
    )
    proposal_option = models.ForeignKey(
        "billing.ProposalOption",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkouts",
    )
    replan_note = models.CharField(max_length=300, blank=True)
    entitlements_before = models.JSONField(default=dict, blank=True)
    entitlements_after = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    previewed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The fingerprint of the preview confirmed: a second confirmation of the same
    # preview (a double click, the back button) is told it was done; one of other
    # choices (another tab on the same checkout) is refused, never told it was done.
    confirmed_digest = models.CharField(max_length=64, blank=True, editable=False)
    abandoned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["status", "started_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal"],
                condition=models.Q(status="confirmed"),
                name="checkout_one_confirmed_per_proposal",
            ),
            models.CheckConstraint(
                condition=models.Q(proposal__isnull=True, proposal_option__isnull=True)
                | models.Q(proposal__isnull=False, proposal_option__isnull=False),
                name="checkout_proposal_with_option",
            ),
        ]

    def __str__(self) -> str:
        return f"Checkout {self.pk} for {self.organization} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CHECKOUT


class CheckoutEvent(models.Model):
    """A step of a checkout, appended as it happens."""

    class Step(models.TextChoices):
        STARTED = "started", "Started"
        PREVIEWED = "previewed", "Previewed"
        REFUSED = "refused", "Confirmation refused"
        CONFIRMED = "confirmed", "Confirmed"
        ABANDONED = "abandoned", "Abandoned"

    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(max_length=16, choices=Step.choices)
    happened_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["happened_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_step_display()} ({self.checkout_id})"


class ScheduledChangeStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELED = "canceled", "Canceled"
    APPLIED = "applied", "Applied"


class ScheduledChange(models.Model):
    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="scheduled_changes")
    effective_on = models.DateField(help_text="The first day of the new plan.")
    # The whole plan from effective_on.
    version = models.ForeignKey(TierVersion, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    price = models.ForeignKey(
        TierVersionPrice,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The catalog price quoted when the change was scheduled.",
    )
    auto_renew = models.BooleanField()
    # The term from effective_on: its length in cycles, how it is invoiced, and a
    # negotiated discount (a proposal's "renew as is" option; none for a customer's own).
    term_cycles = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    billing = models.CharField(max_length=16, choices=Billing.choices, default=Billing.UPFRONT)
    discount_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    discount_reason = models.CharField(max_length=300, blank=True)
    proposal_option = models.ForeignKey(
        "billing.ProposalOption",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scheduled_changes",
    )
    summary = models.CharField(max_length=300, help_text="The change, in words.")
    status = models.CharField(
        max_length=16,
        choices=ScheduledChangeStatus.choices,
        default=ScheduledChangeStatus.SCHEDULED,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["effective_on", "pk"]
        indexes = [
            # The daily job's question: which changes are still scheduled and due by today.
            models.Index(fields=["status", "effective_on"], name="scheduled_change_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["license"],
                condition=models.Q(status="scheduled"),
                name="one_scheduled_change_per_license",
            )
        ]

    def __str__(self) -> str:
        return f"{self.summary} on {self.effective_on:%Y-%m-%d} ({self.get_status_display()})"
