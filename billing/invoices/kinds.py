"""What an invoice line bills (Kill Bill's item types, Stripe's proration flag): the one
list, shared by the quote (pure) and InvoiceLine."""

from django.db import models


class LineKind(models.TextChoices):
    RECURRING = "recurring", "Recurring charge for a period"
    PRORATION_CHARGE = "proration_charge", "Prorated charge for the rest of a period"
    PRORATION_CREDIT = "proration_credit", "Credit for the unused part of a period"
    DISCOUNT = "discount", "Discount"
    ONE_OFF = "one_off", "One-off charge"
    TAX_ADJUSTMENT = "tax_adjustment", "Tax adjustment"


# Lines that bill a span of a subscription's period, and link to it.
PERIOD_KINDS = frozenset({LineKind.RECURRING, LineKind.PRORATION_CHARGE, LineKind.PRORATION_CREDIT})
