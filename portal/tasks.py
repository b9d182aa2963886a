"""Celery tasks are thin: they claim a row, then act, so a retry or a duplicate
delivery never does the work twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone

from portal.models import OutboundEmail

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died; the message may be retried.
CLAIM_TIMEOUT = timedelta(minutes=10)
# Messages still unsent after this long are resent by the beat sweep.
STALL_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 8


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def send_email(self, message_id: int) -> str:
    now = timezone.now()
    claimed = OutboundEmail.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        pk=message_id,
        sent_at__isnull=True,
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    message = OutboundEmail.objects.get(pk=message_id)
    mail = EmailMultiAlternatives(
        message.subject, message.body_text, settings.DEFAULT_FROM_EMAIL, [message.to]
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    try:
        mail.send()
    except Exception as exc:
        OutboundEmail.objects.filter(pk=message_id).update(claimed_at=None, last_error=str(exc))
        logger.warning("Sending email %s failed: %s", message_id, exc)
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc
    OutboundEmail.objects.filter(pk=message_id).update(sent_at=timezone.now(), last_error="")
    return "sent"


@shared_task(acks_late=True)
def resend_stalled_emails() -> int:
    now = timezone.now()
    stalled = OutboundEmail.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        sent_at__isnull=True,
        created_at__lt=now - STALL_AFTER,
        attempts__lt=MAX_ATTEMPTS,
    ).values_list("pk", flat=True)
    ids = list(stalled[:500])
    for message_id in ids:
        send_email.delay(message_id)
    return len(ids)
