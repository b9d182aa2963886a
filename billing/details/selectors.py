"""Reads of the billing details that pages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    return invoice_to_from(details, invoiced=bool(row), first_purchase=first_purchase)


def invoice_to_from(
    details: BillingDetails | None, *, invoiced: bool, first_purchase: bool
) -> InvoiceTo:
    """invoice_to() from an organization's details and whether it was ever invoiced, read
    already (with a checkout: billing.checkout.selectors)."""
    complete = details is not None and details.is_complete
    return InvoiceTo(
        details=details,
        needed=first_purchase and not complete and not invoiced,
        country=country_name(details.country) if details and details.country else "",
    )


# What the customer reads in the history of their billing details, in the form's order.
# The staff's reason for a tax override (tax_override_reason) is internal: it is never
# listed; an override shows as "Tax rate set by Tierwise staff" with the rate.
SHOWN_FIELDS = {
    "legal_name": "Legal name",
    "address_line1": "Address",
    "address_line2": "Address, line 2",
    "city": "City",
    "postal_code": "Postal code",
    "region": "Region or state",
    "country": "Country",
    "tax_id": "Tax ID",
    "billing_emails": "Billing email addresses",
    "po_number": "Purchase order number",
    "tax_rate_override": "Tax rate",
    "payment_terms": "Payment terms",
    "net_days": "Days to pay",
}
STAFF_TAX_NOTE = "Tax rate set by Tierwise staff"


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    """One save of the billing details as the customer reads it: when, who (staff are
    "Tierwise staff", never named), and each field's value before and after."""

    at: datetime
    who: str
    changes: list[FieldChange]
    note: str = ""


def _shown(field: str, value) -> str:
    if value in (None, "", []):
        return "rule" if field == "tax_rate_override" else "—"
    if field == "country":
        return country_name(value)
    if field == "billing_emails":
        return ", ".join(value)
    if field == "tax_rate_override":
        return f"{value.normalize():f} %"
    if field == "payment_terms":
        return {"net": "Net", "due_on_receipt": "Due on receipt"}.get(value, value)
    return str(value)


def _who(user) -> str:
    if user is None:
        return "Tierwise"
    return "Tierwise staff" if user.is_staff else user.display_name


def billing_details_history(details: BillingDetails, *, limit: int) -> list[HistoryEntry]:
    """The newest `limit` saves that changed something the customer may read, newest
    first, each with what changed (field: before → after)."""
    records = list(details.history.select_related("history_user")[: limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else record.prev_record
        if previous is None:
            changed = [
                (field, None, getattr(record, field))
                for field in SHOWN_FIELDS
                if getattr(record, field) not in (None, "", [])
                and field not in ("payment_terms", "net_days")
            ]
            override_touched = False
        else:
            delta = record.diff_against(
                previous, included_fields=[*SHOWN_FIELDS, "tax_override_reason"]
            )
            by_field = {change.field: change for change in delta.changes}
            changed = [
                (field, by_field[field].old, by_field[field].new)
                for field in SHOWN_FIELDS
                if field in by_field
            ]
            override_touched = "tax_override_reason" in by_field
        override_touched = override_touched or any(
            field == "tax_rate_override" for field, _, _ in changed
        )
        if not changed and not override_touched:
            continue  # the empty row made on first use, or a save that changed nothing
        entries.append(
            HistoryEntry(
                at=record.history_date,
                who=_who(record.history_user),
                changes=[
                    FieldChange(SHOWN_FIELDS[field], _shown(field, old), _shown(field, new))
                    for field, old, new in changed
                ],
                note=STAFF_TAX_NOTE if override_touched else "",
            )
        )
    return entries
