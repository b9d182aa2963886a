"""Celery tasks are thin: they claim a row, then act, so a retry or a duplicate
delivery never does the work twice (portal.claims)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from portal.claims import ClaimedJob, retry_countdown
from portal.models import OutboundEmail

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died; the message may be retried.
CLAIM_TIMEOUT = timedelta(minutes=10)
# Messages still unsent after this long are resent by the beat sweep.
STALL_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 8
# Messages one send_emails task delivers over one SMTP connection.
SEND_BATCH = 100

SENDING = ClaimedJob(
    model=OutboundEmail,
    action="Sending email",
    done_field="sent_at",
    due_field="created_at",
    claim_timeout=CLAIM_TIMEOUT,
    stall_after=STALL_AFTER,
    max_attempts=MAX_ATTEMPTS,
)


def _mail(message: OutboundEmail, connection=None) -> EmailMultiAlternatives:
    mail = EmailMultiAlternatives(
        message.subject,
        message.body_text,
        settings.DEFAULT_FROM_EMAIL,
        [message.to],
        connection=connection,
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        mail.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return mail


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def send_email(self, message_id: int) -> str:
    if not SENDING.claim(message_id):
        return "skipped"
    message = OutboundEmail.objects.get(pk=message_id)
    mail = _mail(message)
    try:
        mail.send()
    except Exception as exc:
        SENDING.fail(self, message_id, exc)
    SENDING.finish(message_id)
    return "sent"


@shared_task(acks_late=True)
def send_emails(message_ids: list[int]) -> dict:
    """Many messages over one SMTP connection (a batch of reminders), each claimed first
    as send_email claims it (all in one go: SENDING.claim_many), so a retry, a duplicate
    delivery or a second worker sends none twice; each is recorded as sent right after
    it is. A message that fails is released with its error and handed to
    send_email, whose retries with backoff then own it; the rest go on."""
    ids = SENDING.claim_many(message_ids)
    counts = {"sent": 0, "skipped": len(message_ids) - len(ids), "failed": 0}
    messages = OutboundEmail.objects.filter(pk__in=ids).prefetch_related("attachments")
    connection = None
    try:
        for message in messages:
            try:
                if connection is None:
                    connection = get_connection()
                    connection.open()
                if not _mail(message, connection).send():
                    raise RuntimeError("The mail server accepted nothing.")
            except Exception as exc:
                OutboundEmail.objects.filter(pk=message.pk).update(
                    claimed_at=None, last_error=str(exc)
                )
                logger.warning("Sending email %s failed: %s", message.pk, exc)
                counts["failed"] += 1
                send_email.apply_async(args=[message.pk], countdown=retry_countdown(0))
                if connection is not None:  # the next message gets a fresh connection
                    connection.close()
                    connection = None
                continue
            SENDING.finish(message.pk)
            counts["sent"] += 1
    finally:
        if connection is not None:
            connection.close()
    return counts


@shared_task(acks_late=True)
def resend_stalled_emails() -> int:
    ids = SENDING.stalled(limit=500)
    for message_id in ids:
        send_email.delay(message_id)
    return len(ids)
