"""The tax rate table: one row per country and the day its rate takes effect.

Versioned like prices: a rate in force (its day has come) is never rewritten or
deleted; a change of rate is a new row from a later day, and the rate in force on a day
is the row with the latest `effective_from` on or before it. A row not yet in force may
still be corrected or withdrawn. Reads go through billing.tax.selectors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from billing.models.invoices import FinalizedDocumentError
from billing.tax.countries import is_country
from portal import clock


def validate_country(value: str) -> None:
    if not is_country(value):
        raise ValidationError(f"{value} is not an ISO 3166 country code.")


class TaxRate(models.Model):
    # ISO 3166-1 alpha-2; the admin offers the list (billing.tax.countries).
    country = models.CharField(max_length=2, validators=[validate_country])
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Percent, e.g. 19.00 for 19 % VAT.",
    )
    effective_from = models.DateField(help_text="The first day this rate is charged.")
    note = models.CharField(max_length=200, blank=True, help_text="Its source or reason.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["country", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "effective_from"], name="taxrate_one_per_country_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.rate.normalize():f} % from {self.effective_from:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        self._refuse_when_in_force()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_when_in_force()
        return super().delete(*args, **kwargs)

    def _refuse_when_in_force(self) -> None:
        """A rate that may have been charged stays as it was charged."""
        if self.pk is None:
            return
        stored = type(self).objects.filter(pk=self.pk).values_list("effective_from", flat=True)
        first = stored.first()
        if first is not None and first <= clock.today():
            raise FinalizedDocumentError(
                f"The rate for {self.country} from {first:%-d %B %Y} is in force; add a new "
                "rate from a later day instead."
            )

    def clean(self) -> None:
        # A rate from a past day would change what those days cost after the fact.
        if self.effective_from is not None and self.effective_from < clock.today():
            raise ValidationError(
                {"effective_from": "A rate takes effect from today or a later day."}
            )

    def in_force_on(self, day: date) -> bool:
        return self.effective_from is not None and self.effective_from <= day
