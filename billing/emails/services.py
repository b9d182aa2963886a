"""Who receives an organization's billing mail, and queueing a billing message to each of
them. Every message goes through the outbox (portal.emails), in the caller's transaction:
when the change that caused it rolls back, so does the message."""

from __future__ import annotations

from collections.abc import Sequence

from billing.models import BillingDetails
from portal.emails import (
    Attachment,
    EmailTemplates,
    Rendered,
    queue_email,
    queue_emails,
    render_templated_email,
)
from portal.models import Membership, Organization, OutboundEmail, Role


def _unique(addresses) -> list[str]:
    seen: set[str] = set()
    recipients = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(address)
    return recipients


def billing_recipients(organization: Organization) -> list[str]:
    """The owners and billing admins who can sign in, in a stable order, then the billing
    email addresses of the organization's billing details; each address once
    (case-insensitively)."""
    return billing_recipients_of([organization.pk])[organization.pk]


def billing_recipients_of(organization_ids) -> dict[int, list[str]]:
    """billing_recipients for many organizations in two queries (a batch of reminders):
    organization id -> its recipients, in the same order."""
    ids = list(organization_ids)
    members: dict[int, list[str]] = {pk: [] for pk in ids}
    rows = (
        Membership.objects.filter(
            organization_id__in=ids,
            role__in=[Role.OWNER, Role.BILLING],
            user__is_active=True,
        )
        .order_by("organization_id", "user__email")
        .values_list("organization_id", "user__email")
    )
    for organization_id, email in rows:
        members[organization_id].append(email)
    details = dict(
        BillingDetails.objects.filter(organization_id__in=ids).values_list(
            "organization_id", "billing_emails"
        )
    )
    return {pk: _unique([*members[pk], *(details.get(pk) or [])]) for pk in ids}


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
    if not attachments:
        return queue_emails(to=addresses, **rendered.__dict__)
    return [
        queue_email(to=address, **rendered.__dict__, attachments=attachments)
        for address in addresses
    ]


def billing_templates(name: str) -> EmailTemplates:
    """templates/emails/billing/<name>-*, compiled once for many messages (a batch)."""
    return EmailTemplates(f"billing/{name}")


def render_billing_email(
    templates: EmailTemplates, *, organization: Organization, context: dict
) -> Rendered:
    """What send_billing_email renders, from templates compiled once (billing_templates),
    for a caller that queues many messages together (portal.emails.queue_many)."""
    return templates.render({"organization": organization, **context})
