"""Billing's Celery tasks: thin, idempotent adapters around billing services.

A task claims its work with a conditional UPDATE (one worker at a time; a claim older
than CLAIM_TIMEOUT is taken as abandoned), does it, and records the outcome, so a retry
or a duplicate delivery never renders twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import F, Q
from django.utils import timezone

from billing.invoices.documents import invoice_pdf_context
from billing.models import InvoiceDocument
from billing.pdf import render_pdf

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 5
STALL_AFTER = timedelta(minutes=2)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def render_invoice_pdf(self, document_id: int) -> str:
    now = timezone.now()
    claimed = InvoiceDocument.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        pk=document_id,
        rendered_at__isnull=True,
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    document = InvoiceDocument.objects.select_related("invoice").get(pk=document_id)
    try:
        pdf = render_pdf("pdf/invoice.html", invoice_pdf_context(document.invoice))
    except Exception as exc:
        InvoiceDocument.objects.filter(pk=document_id).update(claimed_at=None, last_error=str(exc))
        logger.warning("Rendering invoice PDF %s failed: %s", document_id, exc)
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc
    # Kept only while the claim is still ours: a payment recorded meanwhile cleared it
    # (billing.invoices.services.invoice_pdf_refresh) and asked for a fresh render.
    kept = InvoiceDocument.objects.filter(pk=document_id, claimed_at=now).update(
        pdf=pdf, rendered_at=timezone.now(), last_error=""
    )
    return "rendered" if kept else "superseded"


@shared_task(acks_late=True)
def render_stalled_invoice_pdfs() -> int:
    """Hands the worker again every PDF whose first hand-over was lost (broker down,
    worker killed mid-render); the beat runs it every few minutes."""
    now = timezone.now()
    stalled = InvoiceDocument.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        rendered_at__isnull=True,
        invoice__finalized_at__lt=now - STALL_AFTER,
        attempts__lt=MAX_ATTEMPTS,
    ).values_list("pk", flat=True)
    ids = list(stalled[:200])
    for document_id in ids:
        render_invoice_pdf.delay(document_id)
    return len(ids)
