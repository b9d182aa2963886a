"""Who receives an organization's billing mail, and queueing a billing message to each of
them. Every message goes through the outbox (portal.emails), in the caller's transaction:
when the change that caused it rolls back, so does the message."""

from __future__ import annotations

from collections.abc import Sequence

from billing.models import BillingDetails
from portal.emails import Attachment, queue_templated_email
from portal.models import Organization, OutboundEmail, Role


def billing_recipients(organization: Organization) -> list[str]:
    """The owners and billing admins who can sign in, in a stable order, then the billing
    email addresses of the organization's billing details; each address once
    (case-insensitively)."""
    members = (
        organization.memberships.filter(role__in=[Role.OWNER, Role.BILLING], user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    details = BillingDetails.objects.filter(organization=organization).first()
    addresses = [*members, *(details.billing_emails if details else [])]
    seen: set[str] = set()
    recipients = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(address)
    return recipients


def send_billing_email(
    name: str,
    *,
    organization: Organization,
    context: dict,
    attachments: Sequence[Attachment] = (),
) -> list[OutboundEmail]:
    """Queues templates/emails/billing/<name>-* to every billing recipient, each with
    its own copy of `attachments`."""
    context = {"organization": organization, **context}
    return [
        queue_templated_email(
            f"billing/{name}", to=address, context=context, attachments=attachments
        )
        for address in billing_recipients(organization)
    ]
