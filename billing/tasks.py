"""Billing's Celery tasks: thin, idempotent adapters around billing services.

A task claims its work with a conditional UPDATE (one worker at a time; a claim older
than CLAIM_TIMEOUT is taken as abandoned), does it, and records the outcome, so a retry
or a duplicate delivery never renders twice (portal.claims)."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import Q

from billing.emails import notices
from billing.invoices.documents import invoice_pdf_context
from billing.models import InvoiceDocument, Notice, NoticeKind
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
    with transaction.atomic():
        # Kept only while the claim is still ours and the version still wanted: a
        # payment recorded meanwhile superseded it
        # (billing.invoices.services.invoice_pdf_refresh) with a newer version to render.
        kept = RENDERING.finish(document_id, claimed_at=claimed_at, pdf=pdf)
        if kept and _first_rendered(document) and not _told_by_renewal(document):
            # The invoice's email goes with the first PDF stored, in the transaction that
            # stores it: a render that is retried, delivered twice or thrown away sends
            # nothing more, and a rollback sends nothing. Usually version 1; when a payment
            # superseded it before any worker got to it, the version that shows the
            # invoice as it now stands.
            notices.invoice_issued(invoice=document.invoice, pdf=pdf)
    return "rendered" if kept else "superseded"


def _first_rendered(document: InvoiceDocument) -> bool:
    """Whether `document` is the only version of its invoice rendered so far. Two
    versions are never stored at once: adding a version supersedes the one waiting,
    whose store then finds nothing to update (it waits on the row lock the supersession
    holds)."""
    return not (
        InvoiceDocument.objects.filter(invoice_id=document.invoice_id, rendered_at__isnull=False)
        .exclude(pk=document.pk)
        .exists()
    )


def _told_by_renewal(document: InvoiceDocument) -> bool:
    """Whether the invoice is a renewal's, whose own email (billing.renewals) told of
    it already with a link to it: one email per renewal, not two."""
    return Notice.objects.filter(invoice_id=document.invoice_id, kind=NoticeKind.RENEWED).exists()


@shared_task(acks_late=True)
def render_stalled_invoice_pdfs() -> int:
    """Hands the worker again every PDF whose first hand-over was lost (broker down,
    worker killed mid-render); the beat runs it every few minutes."""
    ids = RENDERING.stalled(limit=200)
    for document_id in ids:
        render_invoice_pdf.delay(document_id)
    return len(ids)
