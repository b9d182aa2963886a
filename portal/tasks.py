"""Celery tasks are thin: they claim a row, then act, so a retry or a duplicate
delivery never does the work twice (portal.claims)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from portal.claims import ClaimedJob
from portal.models import OutboundEmail

# A claim older than this belongs to a worker that died; the message may be retried.
CLAIM_TIMEOUT = timedelta(minutes=10)
# Messages still unsent after this long are resent by the beat sweep.
STALL_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 8

SENDING = ClaimedJob(
    model=OutboundEmail,
    action="Sending email",
    done_field="sent_at",
    due_field="created_at",
    claim_timeout=CLAIM_TIMEOUT,
    stall_after=STALL_AFTER,
    max_attempts=MAX_ATTEMPTS,
)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def send_email(self, message_id: int) -> str:
    if not SENDING.claim(message_id):
        return "skipped"
    message = OutboundEmail.objects.get(pk=message_id)
    mail = EmailMultiAlternatives(
        message.subject, message.body_text, settings.DEFAULT_FROM_EMAIL, [message.to]
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        mail.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    try:
        mail.send()
    except Exception as exc:
        SENDING.fail(self, message_id, exc)
    SENDING.finish(message_id)
    return "sent"


@shared_task(acks_late=True)
def resend_stalled_emails() -> int:
    ids = SENDING.stalled(limit=500)
    for message_id in ids:
        send_email.delay(message_id)
    return len(ids)
