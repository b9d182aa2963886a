"""Billing's Celery tasks: thin, idempotent adapters around billing services.

A task claims its work with a conditional UPDATE (one worker at a time; a claim older
than CLAIM_TIMEOUT is taken as abandoned), does it, and records the outcome, so a retry
or a duplicate delivery never renders twice (portal.claims)."""

from datetime import timedelta

from celery import shared_task
from django.db.models import Q

from billing.invoices.documents import invoice_pdf_context
from billing.models import InvoiceDocument
from billing.pdf import render_pdf
from portal.claims import ClaimedJob

CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 5
STALL_AFTER = timedelta(minutes=2)

RENDERING = ClaimedJob(
    model=InvoiceDocument,
    action="Rendering invoice PDF",
    done_field="rendered_at",
    due_field="invoice__finalized_at",
    claim_timeout=CLAIM_TIMEOUT,
    stall_after=STALL_AFTER,
    max_attempts=MAX_ATTEMPTS,
    # A version superseded before it was rendered is never rendered: it would show the
    # invoice as it is now under the reason of an earlier version.
    wanted=Q(superseded_at__isnull=True),
)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def render_invoice_pdf(self, document_id: int) -> str:
    claimed_at = RENDERING.claim(document_id)
    if claimed_at is None:
        return "skipped"
    document = InvoiceDocument.objects.select_related("invoice").get(pk=document_id)
    try:
        pdf = render_pdf("pdf/invoice.html", invoice_pdf_context(document.invoice))
    except Exception as exc:
        RENDERING.fail(self, document_id, exc)
    # Kept only while the claim is still ours and the version still wanted: a payment
    # recorded meanwhile superseded it (billing.invoices.services.invoice_pdf_refresh)
    # with a newer version to render.
    kept = RENDERING.finish(document_id, claimed_at=claimed_at, pdf=pdf)
    return "rendered" if kept else "superseded"


@shared_task(acks_late=True)
def render_stalled_invoice_pdfs() -> int:
    """Hands the worker again every PDF whose first hand-over was lost (broker down,
    worker killed mid-render); the beat runs it every few minutes."""
    ids = RENDERING.stalled(limit=200)
    for document_id in ids:
        render_invoice_pdf.delay(document_id)
    return len(ids)
