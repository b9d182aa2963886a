"""Reads of the billing details that pages share."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from billing.models import BillingDetails, Invoice
from billing.tax.countries import country_name
from portal.models import Organization


@dataclass(frozen=True)
class InvoiceTo:
    """Who a checkout's invoice goes to, and whether the buyer must say so first: a first
    purchase (no license to change) by an organization that has never been invoiced and
    has no complete details is asked once, before it confirms."""

    details: BillingDetails | None
    needed: bool
    # The country's name ("Germany"), as a person reads it, not its code.
    country: str = ""


def invoice_to(organization: Organization, *, first_purchase: bool) -> InvoiceTo:
    invoiced = Exists(Invoice.objects.filter(organization=OuterRef("pk")).exclude(status="draft"))
    row = (
        Organization.objects.filter(pk=organization.pk)
        .annotate(invoiced=invoiced)
        .values_list("invoiced", flat=True)
        .first()
    )
    details = BillingDetails.objects.filter(organization=organization).first()
    complete = details is not None and details.is_complete
    return InvoiceTo(
        details=details,
        needed=first_purchase and not complete and not row,
        country=country_name(details.country) if details and details.country else "",
    )
