"""Outgoing email. Each message is rendered from three templates
(emails/<name>-subject.txt, -body.txt, -body.html), stored in the outbox inside the
caller's transaction and handed to the worker once that transaction commits."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from portal.models import OutboundEmail, OutboundEmailAttachment
from portal.tasks import send_email
from portal.unavailable import SERVICE_ERRORS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """A file to send with a message: its name, bytes and MIME type."""

    filename: str
    content: bytes
    mimetype: str


def queue_email(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    attachments: Sequence[Attachment] = (),
) -> OutboundEmail:
    message = OutboundEmail.objects.create(
        to=to, subject=subject[:255], body_text=body_text, body_html=body_html
    )
    OutboundEmailAttachment.objects.bulk_create(
        OutboundEmailAttachment(
            email=message,
            filename=attachment.filename,
            mimetype=attachment.mimetype,
            content=attachment.content,
        )
        for attachment in attachments
    )
    transaction.on_commit(lambda: _hand_to_worker(message.pk))
    return message


def _hand_to_worker(message_id: int) -> None:
    """The message is safe in the outbox; if the broker is down, the beat sweep
    (resend_stalled_emails) hands it over once it is back, so the change that queued it
    still stands and the person who made it is told it worked."""
    try:
        send_email.delay(message_id)
    except SERVICE_ERRORS as exc:
        logger.warning("Email %s waits in the outbox; no broker: %r", message_id, exc)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


def render_templated_email(name: str, *, context: dict) -> Rendered:
    """emails/<name>-subject.txt, -body.txt and -body.html rendered (a message sent to
    many people who read the same is rendered once)."""
    context = {"site_url": settings.SITE_URL, **context}
    return Rendered(
        subject=" ".join(render_to_string(f"emails/{name}-subject.txt", context).split()),
        body_text=render_to_string(f"emails/{name}-body.txt", context),
        body_html=render_to_string(f"emails/{name}-body.html", context),
    )


def queue_templated_email(
    name: str, *, to: str, context: dict, attachments: Sequence[Attachment] = ()
) -> OutboundEmail:
    rendered = render_templated_email(name, context=context)
    return queue_email(to=to, **rendered.__dict__, attachments=attachments)
