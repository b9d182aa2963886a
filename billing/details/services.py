"""Every write to an organization's billing details: the customer's (who they are,
where, their tax ID, where invoices go, their PO number) and staff's tax override. Each
is one transaction holding the details' row lock (billing.locks, lock 1), and each
change is a row of the details' history naming who made it and why."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from billing.locks import lock_billing_details
from billing.models import BillingDetails
from billing.tax.countries import is_country
from billing.tax.ids import TaxIdError, normalize_tax_id
from portal.emails import queue_templated_email
from portal.models import Organization, Role

MAX_BILLING_EMAILS = 5
# simple_history's change reason column holds 100 characters; the full reason is on the
# details row itself (tax_override_reason), which the history keeps whole.
REASON_COLUMN = 100


def _clean_emails(addresses: list[str]) -> list[str]:
    cleaned: list[str] = []
    seen: set[str] = set()
    for address in (address.strip() for address in addresses):
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"billing_emails": f"{address} is not an email address."}
            ) from None
        if address.lower() not in seen:
            seen.add(address.lower())
            cleaned.append(address)
    if len(cleaned) > MAX_BILLING_EMAILS:
        raise ValidationError(
            {"billing_emails": f"At most {MAX_BILLING_EMAILS} billing email addresses."}
        )
    return cleaned


def _notify_added_addresses(details: BillingDetails, before: list[str], *, actor) -> None:
    """Each address new to the billing details is told, once, who added it and that it
    will receive the organization's invoices, so an address added by mistake (or by
    someone who should not have) is noticed by its owner. Addresses are not verified
    before invoices go to them: they are only ever given them by the organization's own
    owners and billing admins, and this notice is the check. Queued in the caller's
    transaction (the outbox): a refused save sends nothing."""
    known = {address.lower() for address in before}
    added = [address for address in details.billing_emails if address.lower() not in known]
    if not added:
        return
    organization = details.organization
    owners = [
        membership.user.display_name
        for membership in organization.memberships.filter(role=Role.OWNER, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    ]
    context = {
        "organization": organization,
        "actor_name": actor.display_name if actor is not None else "Tierwise",
        "actor_email": actor.email if actor is not None else "",
        "owners": owners,
    }
    for address in added:
        queue_templated_email(
            "billing/billing_address_added", to=address, context={**context, "address": address}
        )


def _save(details: BillingDetails, *, actor, reason: str) -> BillingDetails:
    details.full_clean()
    details._history_user = actor
    details._change_reason = reason[:REASON_COLUMN]
    details.save()
    return details


@transaction.atomic
def billing_details_update(
    *,
    organization: Organization,
    actor,
    legal_name: str,
    address_line1: str,
    city: str,
    country: str,
    address_line2: str = "",
    postal_code: str = "",
    region: str = "",
    tax_id: str = "",
    billing_emails: list[str] | None = None,
    po_number: str = "",
) -> BillingDetails:
    """Set the organization's billing details as the customer entered them. The tax ID
    must be a valid number of `country` (format and check digit) and is kept normalized;
    a refusal names the field and the format expected."""
    country = country.strip().upper()
    errors: dict[str, str] = {}
    if not legal_name.strip():
        errors["legal_name"] = "Enter the name your invoices are made out to."
    if not address_line1.strip():
        errors["address_line1"] = "Enter the street address."
    if not city.strip():
        errors["city"] = "Enter the city."
    if not is_country(country):
        errors["country"] = "Choose the country from the list."
    normalized_tax_id = ""
    if not errors.get("country"):
        try:
            normalized_tax_id = normalize_tax_id(country, tax_id)
        except TaxIdError as exc:
            errors["tax_id"] = str(exc)
    if errors:
        raise ValidationError(errors)
    emails = _clean_emails(billing_emails or [])
    details = lock_billing_details(organization)
    emails_before = list(details.billing_emails)
    details.legal_name = legal_name.strip()
    details.address_line1 = address_line1.strip()
    details.address_line2 = address_line2.strip()
    details.city = city.strip()
    details.postal_code = postal_code.strip()
    details.region = region.strip()
    details.country = country
    details.tax_id = normalized_tax_id
    details.billing_emails = emails
    details.po_number = po_number.strip()
    _save(details, actor=actor, reason="Billing details updated")
    _notify_added_addresses(details, emails_before, actor=actor)
    return details


def _parse_rate(rate: Decimal | str) -> Decimal:
    try:
        value = Decimal(str(rate).strip())
    except InvalidOperation:
        raise ValidationError({"rate": "Enter the rate as a percentage, e.g. 21.00."}) from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"rate": "A tax rate is a percentage from 0 to 100."})
    return value


@transaction.atomic
def tax_override_set(
    *, organization: Organization, actor, rate: Decimal | str, reason: str
) -> BillingDetails:
    """Staff replace the rate the tax rule chooses for this organization, saying why (an
    exemption certificate, a ruling…). The reason stays in the details' history."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the rule's rate does not apply."})
    value = _parse_rate(rate)
    details = lock_billing_details(organization)
    details.tax_rate_override = value
    details.tax_override_reason = reason.strip()
    return _save(
        details, actor=actor, reason=f"Tax rate set to {value.normalize():f} %: {reason.strip()}"
    )


@transaction.atomic
def tax_override_clear(*, organization: Organization, actor, reason: str) -> BillingDetails:
    """Back to the rate the tax rule chooses, saying why."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the override ends."})
    details = lock_billing_details(organization)
    details.tax_rate_override = None
    details.tax_override_reason = reason.strip()
    return _save(details, actor=actor, reason=f"Tax rate back to the rule: {reason.strip()}")


@transaction.atomic
def payment_terms_set(
    *, organization: Organization, actor, payment_terms: str, net_days: int
) -> BillingDetails:
    """Staff set the terms the organization's next invoices are finalized with, under the
    billing details' lock (lock 1), like every other change to them."""
    details = lock_billing_details(organization)
    details.payment_terms = payment_terms
    details.net_days = net_days
    return _save(details, actor=actor, reason="Payment terms changed by staff")
