"""Subscriptions: what a customer pays for a license, and every change to it.

A license says what an organization may use; its subscription says what that costs.
The seats bought, the term and auto-renewal are the license's (License.seats,
term_start, term_end, auto_renew: licensing enforces them, so they have one home); the
subscription adds the money: currency, billing cycle, and the price locked at purchase,
copied from the catalog's TierVersionPrice so a later price change never touches it.

Every change goes through billing.subscriptions.services and leaves SubscriptionEvents in
the commercial ledger (billing.models.ledger), which is append-only.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from billing.money import Money
from billing.pricing import BillingCycle, SeatPrice
from billing.subscriptions.periods import Reason as PeriodReason
from licensing.models import Currency, License, TierVersionPrice

# The longest term a subscription may run for, in cycles (a three-year annual deal).
MAX_TERM_CYCLES = 5


class Billing(models.TextChoices):
    """How a term is invoiced: a multi-year term may be billed at once or yearly."""

    UPFRONT = "upfront", "Up front, one invoice per term"
    PER_CYCLE = "per_cycle", "One invoice per billing cycle"


class Subscription(models.Model):
    license = models.OneToOneField(License, on_delete=models.PROTECT, related_name="subscription")
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, to_field="code", db_column="currency", related_name="+"
    )
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    # Room for multi-year terms: an annual subscription with a three-year term is 3.
    term_cycles = models.PositiveSmallIntegerField(
        "cycles per term",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TERM_CYCLES)],
        help_text="How many billing cycles one term lasts; 1 unless a multi-year term was sold.",
    )
    # The locked price, as the catalog row said it on the day it was locked.
    price_source = models.ForeignKey(
        TierVersionPrice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The catalog price the locked price was copied from.",
    )
    unit_amount = models.DecimalField(
        "locked price",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="For one cycle: per seat when priced per seat, else for the whole tier.",
    )
    per_seat = models.BooleanField(default=False)
    min_seats = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    price_locked_on = models.DateField(help_text="The day the price was locked.")
    # The locked price holds at least until this day: the later of the contract term's
    # end and the version's notice date (set when the price is locked and when the
    # version is retired). The first renewal on or after it moves a license on a retired
    # version to the version's successor, at that version's price (billing.renewals).
    price_locked_until = models.DateField(
        null=True,
        blank=True,
        help_text="The locked price holds until this day: the later of the term's end and "
        "a retired version's notice date.",
    )
    billing_anchor = models.DateField(
        help_text="Period n starts n cycles after this day (the day the term started).",
    )
    billing = models.CharField(max_length=16, choices=Billing.choices, default=Billing.UPFRONT)
    # A negotiated discount (an accepted proposal's), off every period that starts on or
    # before `discount_ends_on`: the multi-year term it was agreed for (billing.discounts).
    discount_percent = models.DecimalField(
        "negotiated discount (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    discount_reason = models.CharField(max_length=300, blank=True)
    discount_ends_on = models.DateField(
        null=True,
        blank=True,
        help_text="The last day of the term the discount was agreed for.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["license__organization__name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_amount__gte=0), name="subscription_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(min_seats__gte=1), name="subscription_min_seats_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent=0)
                | (
                    models.Q(discount_percent__gt=0, discount_percent__lte=100)
                    & models.Q(discount_ends_on__isnull=False)
                ),
                name="subscription_discount_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.license.organization} · {self.seat_price.describe()}"

    @property
    def seat_price(self) -> SeatPrice:
        return SeatPrice(
            amount=Money(self.unit_amount, self.currency_id),
            cycle=self.cycle,
            per_seat=self.per_seat,
            min_seats=self.min_seats,
        )

    @property
    def seats(self) -> int:
        """Seats bought: the license's, which licensing enforces."""
        return self.license.seats

    @property
    def cycle_price(self) -> Money:
        """What one billing cycle costs for the seats bought, unrounded."""
        return self.seat_price.for_seats(self.seats)


def _money_field(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=0)


class SubscriptionPeriod(models.Model):
    """One billed span of a subscription: its dates, the seats and price it was billed
    at, what it cost and the invoice that billed it (none for a free extension). How
    periods tile a term, split on a change and relate to invoice lines is described in
    billing.subscriptions.periods. Written only by billing.subscriptions.services, in
    the transaction of the purchase, change or extension that makes it."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="periods")
    index = models.PositiveIntegerField(
        help_text="The cycle's number from the billing anchor (a change shares its cycle's)."
    )
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The period's last day, included.")
    seats = models.PositiveIntegerField()
    # The price it was billed at, as the subscription had it locked.
    currency = models.CharField(max_length=3)
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    unit_amount = models.DecimalField("price", max_digits=12, decimal_places=2)
    per_seat = models.BooleanField(default=False)
    min_seats = models.PositiveIntegerField(default=1)
    list_amount = _money_field("list amount")
    discount_amount = _money_field("discount")
    net_amount = _money_field("net amount")
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="periods",
        help_text="The invoice that billed the period; none for a free extension.",
    )
    reason = models.CharField(max_length=16, choices=PeriodReason.choices)
    note = models.TextField(blank=True, help_text="Why, for an extension.")
    # A billed period a new term replaced on its first day (an option accepted, a change
    # of cycle, the day it began): kept as its invoice billed it, credited in full by the
    # change's invoice, and left out of the term's tiling (billing.subscriptions.periods).
    # db_default too: code from before the column (still running between a deploy's
    # migrate and its restart) inserts periods without it.
    replaced = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Replaced on its first day by a new term's period; credited in full.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["subscription", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "starts_on"],
                condition=models.Q(replaced=False),
                name="one_period_per_subscription_start",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="subscription_period_in_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason="extension") | models.Q(net_amount=0),
                name="subscription_extension_is_free",
            ),
        ]

    def __str__(self) -> str:
        replaced = ", replaced" if self.replaced else ""
        return f"{self.starts_on} to {self.ends_on} ({self.get_reason_display()}{replaced})"

    @property
    def net(self) -> Money:
        return Money(self.net_amount, self.currency)
