"""Who receives an organization's billing mail, and queueing a billing message to each of
them. Every message goes through the outbox (portal.emails), in the caller's transaction:
when the change that caused it rolls back, so does the message."""

from __future__ import annotations

from collections.abc import Sequence

from billing.models import BillingDetails
from portal.emails import Attachment, queue_email, render_templated_email
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
    recipients: Sequence[str] | None = None,
) -> list[OutboundEmail]:
    """Queues templates/emails/billing/<name>-* to every billing recipient (or to
    `recipients`, the caller's billing_recipients read once for many messages), each with
    its own copy of `attachments`. The message names no recipient, so it is rendered once
    for all of them."""
    addresses = billing_recipients(organization) if recipients is None else list(recipients)
    if not addresses:
        return []
    rendered = render_templated_email(
        f"billing/{name}", context={"organization": organization, **context}
    )
    return [
        queue_email(to=address, **rendered.__dict__, attachments=attachments)
        for address in addresses
    ]
