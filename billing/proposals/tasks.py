"""The delivery of a sent proposal version: its PDF rendered once, then the email.

`deliver_proposal` locks the version's row (skipping it when another worker holds it),
renders the PDF only while none is stored, and stores it (with the position of the
option it recommends, which the customer's page marks) and the email in one
transaction: a retry, a duplicate delivery or a second worker finds the PDF stored and
does nothing, so the PDF is rendered and stored once, never changed after, and each
recipient gets one email. A render that fails records the error and is retried with
backoff; nothing is stored or sent until one succeeds. A version superseded or
withdrawn before its PDF was rendered still gets its PDF (every sent version stays
downloadable) but no email: the customer hears of the version open to them only.
`deliver_stalled_proposals` (the beat, every five minutes) hands over again a delivery
that was lost."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.emails.notices import PDF, absolute
from billing.emails.services import send_billing_email
from billing.models import ProposalStatus, ProposalVersion
from billing.proposals.content import proposal_content
from billing.proposals.documents import (
    content_day,
    customer_path,
    pdf_filename,
    render_proposal_pdf,
)
from portal import clock
from portal.claims import retry_countdown
from portal.emails import Attachment

MAX_ATTEMPTS = 5
# A sent version without its PDF this long after the send lost its hand-over.
STALLED_AFTER = timedelta(minutes=10)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def deliver_proposal(self, version_id: int) -> str:
    try:
        with transaction.atomic():
            version = (
                ProposalVersion.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("proposal__organization")
                .filter(pk=version_id, pdf_rendered_at__isnull=True, sent_at__isnull=False)
                .first()
            )
            if version is None:
                return "skipped"
            content = proposal_content(version, content_day(version))
            pdf = render_proposal_pdf(content)
            recommended = content.recommended
            ProposalVersion.objects.filter(pk=version.pk).update(
                pdf=pdf,
                pdf_rendered_at=timezone.now(),
                # What the PDF and the email mark, for the customer's page to mark it too.
                pdf_recommended_position=None if recommended is None else recommended.position,
                pdf_attempts=F("pdf_attempts") + 1,
                pdf_last_error="",
            )
            if version.status == ProposalStatus.SENT:
                _email(version, content, pdf)
    except Exception as exc:
        ProposalVersion.objects.filter(pk=version_id).update(
            pdf_attempts=F("pdf_attempts") + 1, pdf_last_error=str(exc)[:2000]
        )
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
    return "rendered"


@shared_task
def deliver_stalled_proposals() -> int:
    """Hands the worker again every sent version whose delivery never happened (the
    broker was down at the send, a worker died) and that has attempts left; the beat
    runs it every few minutes. `deliver_proposal` renders and emails a version once, so
    a version handed over twice is delivered once."""
    ids = list(
        ProposalVersion.objects.filter(
            sent_at__isnull=False,
            sent_at__lte=clock.now() - STALLED_AFTER,
            pdf_rendered_at__isnull=True,
            pdf_attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("sent_at")
        .values_list("pk", flat=True)[:200]
    )
    for version_id in ids:
        deliver_proposal.delay(version_id)
    return len(ids)


def _email(version: ProposalVersion, content, pdf: bytes) -> None:
    organization = version.proposal.organization
    send_billing_email(
        "proposal-sent",
        organization=organization,
        context={
            "content": content,
            "action_url": absolute(customer_path(version.proposal_id)),
            "action_label": f"Open proposal {content.label}",
        },
        attachments=[Attachment(pdf_filename(version), pdf, PDF)],
    )
