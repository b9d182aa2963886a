"""Outgoing email. Each message is rendered from three templates
(emails/<name>-subject.txt, -body.txt, -body.html), stored in the outbox inside the
caller's transaction and handed to the worker once that transaction commits."""

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import get_template, render_to_string

from portal.models import OutboundEmail, OutboundEmailAttachment
from portal.tasks import SEND_BATCH, send_email, send_emails
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


def queue_emails(
    *, to: Sequence[str], subject: str, body_text: str, body_html: str = ""
) -> list[OutboundEmail]:
    """One message to each of `to`, without attachments, stored in one INSERT (a batch
    of reminders); each handed to the worker once the caller's transaction commits."""
    messages = OutboundEmail.objects.bulk_create(
        OutboundEmail(to=address, subject=subject[:255], body_text=body_text, body_html=body_html)
        for address in to
    )
    for message in messages:
        transaction.on_commit(functools.partial(_hand_to_worker, message.pk))
    return messages


def queue_many(messages: Sequence[tuple[str, "Rendered"]]) -> list[OutboundEmail]:
    """Many messages without attachments, (to, rendered) each, stored in one INSERT and
    handed to the workers in groups of SEND_BATCH once the caller's transaction commits,
    each group delivered over one SMTP connection (portal.tasks.send_emails; a batch of
    reminders). Each row is still claimed on its own, so it is sent once."""
    rows = OutboundEmail.objects.bulk_create(
        OutboundEmail(
            to=to,
            subject=rendered.subject[:255],
            body_text=rendered.body_text,
            body_html=rendered.body_html,
        )
        for to, rendered in messages
    )
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(functools.partial(_hand_batch_to_worker, ids))
    return rows


def _hand_batch_to_worker(message_ids: list[int]) -> None:
    """As _hand_to_worker, for a group of messages: one task per SEND_BATCH of them."""
    for start in range(0, len(message_ids), SEND_BATCH):
        ids = message_ids[start : start + SEND_BATCH]
        try:
            send_emails.delay(ids)
        except SERVICE_ERRORS as exc:
            logger.warning("Emails %s… wait in the outbox; no broker: %r", ids[0], exc)
            return


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


class EmailTemplates:
    """The three templates of emails/<name>, looked up and compiled once, for many
    messages rendered from them (a batch of reminders); renders as render_templated_email."""

    def __init__(self, name: str) -> None:
        self.subject = get_template(f"emails/{name}-subject.txt")
        self.text = get_template(f"emails/{name}-body.txt")
        self.html = get_template(f"emails/{name}-body.html")

    def render(self, context: dict) -> Rendered:
        context = {"site_url": settings.SITE_URL, **context}
        return Rendered(
            subject=" ".join(self.subject.render(context).split()),
            body_text=self.text.render(context),
            body_html=self.html.render(context),
        )


def queue_templated_email(
    name: str, *, to: str, context: dict, attachments: Sequence[Attachment] = ()
) -> OutboundEmail:
    rendered = render_templated_email(name, context=context)
    return queue_email(to=to, **rendered.__dict__, attachments=attachments)
