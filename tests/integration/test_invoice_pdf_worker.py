"""The invoice PDF job, run by real Celery workers in their own processes fed through
the broker, happens exactly once: handed over several times to two workers at once,
retried after a failure, and when the worker rendering it is killed half-way; and a
payment made while or after it is rendered adds version 2, rendered once, with version 1
superseded unrendered or kept as it was sent.

"Rendered once" is counted twice over: the database (attempts, rendered_at, the PDF) and
the workers' own note of every render they really started and finished
(hooked_worker.py), which no claim bookkeeping can fake."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from kombu import Connection

from billing.models import InvoiceDocument
from billing.money import Money
from billing.payments.services import payment_record
from billing.tasks import CLAIM_TIMEOUT, render_invoice_pdf, render_stalled_invoice_pdfs
from tests.helpers.invoices import finalized_invoice
from tests.helpers.services import NEEDS_REDIS_BROKER

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT = settings.REDIS_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def _assert_rendered_once(document: InvoiceDocument, *, attempts: int) -> None:
    document.refresh_from_db()
    assert document.rendered_at is not None
    assert bytes(document.pdf).startswith(b"%PDF-")
    assert (document.attempts, document.last_error) == (attempts, "")


def _claim_ages(document: InvoiceDocument, by: timedelta) -> None:
    """The document's claim as the workers see it once `by` has passed (their clock is
    the real one, which the test cannot move)."""
    InvoiceDocument.objects.filter(pk=document.pk).update(claimed_at=F("claimed_at") - by)


def test_a_pdf_handed_over_three_times_to_two_workers_is_rendered_once(pdf_workers, organization):
    # Slow renders, so the duplicates reach the other worker while the first is still
    # being rendered.
    pdf_workers.start(render_delay=3)
    pdf_workers.start(render_delay=3)
    pdf_workers.wait_for(pdf_workers.all_ready, "both workers to start")

    invoice = finalized_invoice(organization)  # its commit hands the PDF to the workers
    document = InvoiceDocument.objects.get(invoice=invoice)
    # A duplicate beat tick and a message the broker sent again.
    render_invoice_pdf.delay(document.pk)
    render_invoice_pdf.delay(document.pk)

    pdf_workers.wait_for(
        lambda: len(pdf_workers.results("render_invoice_pdf")) == 3, "three deliveries"
    )
    assert sorted(pdf_workers.results("render_invoice_pdf")) == [
        "'rendered'",
        "'skipped'",
        "'skipped'",
    ]
    assert (pdf_workers.renders("start"), pdf_workers.renders("done")) == (1, 1)
    _assert_rendered_once(document, attempts=1)


def test_a_render_that_fails_is_retried_and_rendered_once(pdf_workers, organization):
    pdf_workers.start(render_failures=1)

    invoice = finalized_invoice(organization)
    document = InvoiceDocument.objects.get(invoice=invoice)
    pdf_workers.wait_for(
        lambda: "'rendered'" in pdf_workers.results("render_invoice_pdf"), "the retry"
    )
    document.refresh_from_db()
    rendered_at = document.rendered_at

    # The failed delivery's message sent again later, its claim long expired: only the
    # finished render stops it.
    _claim_ages(document, by=CLAIM_TIMEOUT)
    render_invoice_pdf.delay(document.pk)
    pdf_workers.wait_for(
        lambda: len(pdf_workers.results("render_invoice_pdf")) == 2, "the second delivery"
    )

    assert pdf_workers.results("render_invoice_pdf") == ["'rendered'", "'skipped'"]
    assert [pdf_workers.renders(event) for event in ("start", "fail", "done")] == [2, 1, 1]
    _assert_rendered_once(document, attempts=2)
    assert document.rendered_at == rendered_at


def _redis_hands_back_unacknowledged_messages() -> None:
    """What Redis does once a message's visibility timeout (an hour) has passed without
    an acknowledgement: it goes back to its queue for another worker."""
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "visibility_timeout": 0}
    with Connection(settings.CELERY_BROKER_URL, transport_options=options) as connection:
        connection.default_channel.qos.restore_visible(num=100)


@NEEDS_REDIS_BROKER
def test_a_worker_killed_half_way_leaves_one_pdf_rendered_by_the_next(pdf_workers, organization):
    # Finalized a quarter of an hour ago, so the sweep counts its PDF as overdue.
    with time_machine.travel(timezone.now() - timedelta(minutes=15)):
        invoice = finalized_invoice(organization)
    document = InvoiceDocument.objects.get(invoice=invoice)
    first = pdf_workers.start(render_delay=60)
    pdf_workers.wait_for(
        lambda: pdf_workers.renders("start") == 1, "the first worker to start rendering"
    )
    first.kill()  # SIGKILL: no clean-up, no acknowledgement, the claim stays
    first.wait()
    document.refresh_from_db()
    assert (document.attempts, document.rendered_at, document.pdf) == (1, None, None)
    assert document.claimed_at is not None

    pdf_workers.start()
    # While the dead worker's claim is recent, the sweep leaves it alone: the worker
    # might only be slow.
    render_stalled_invoice_pdfs.delay()
    pdf_workers.wait_for(
        lambda: pdf_workers.results("render_stalled_invoice_pdfs") == ["0"], "the sweep"
    )
    assert pdf_workers.results("render_invoice_pdf") == []

    # Ten minutes on, the claim has expired: the beat's sweep hands the PDF over again.
    _claim_ages(document, by=CLAIM_TIMEOUT)
    render_stalled_invoice_pdfs.delay()
    pdf_workers.wait_for(
        lambda: pdf_workers.results("render_invoice_pdf") == ["'rendered'"], "the render"
    )
    # Once its visibility timeout is over, long after any claim expired, Redis hands
    # back the killed worker's message: only the finished render stops it.
    _claim_ages(document, by=timedelta(seconds=VISIBILITY_TIMEOUT))
    _redis_hands_back_unacknowledged_messages()
    pdf_workers.wait_for(
        lambda: len(pdf_workers.results("render_invoice_pdf")) == 2, "the killed message"
    )

    assert pdf_workers.results("render_invoice_pdf") == ["'rendered'", "'skipped'"]
    assert pdf_workers.results("render_stalled_invoice_pdfs") == ["0", "1"]
    assert (pdf_workers.renders("start"), pdf_workers.renders("done")) == (2, 1)
    _assert_rendered_once(document, attempts=2)


def _pay(invoice, amount: str, reference: str) -> None:
    payment_record(
        invoice=invoice,
        amount=Money(Decimal(amount), invoice.currency),
        received_on=invoice.issued_on,
        reference=reference,
        actor=None,
        reason="On the statement.",
    )


def test_a_payment_during_the_render_supersedes_version_1_and_version_2_is_rendered_once(
    pdf_workers, organization
):
    pdf_workers.start(render_delay=3)
    invoice = finalized_invoice(organization)
    pdf_workers.wait_for(lambda: pdf_workers.renders("start") == 1, "version 1's render")

    _pay(invoice, "100.00", "BANK-1")  # its commit adds version 2 and hands it over

    def results() -> list[str]:
        return pdf_workers.results("render_invoice_pdf")

    pdf_workers.wait_for(lambda: "'rendered'" in results(), "version 2's render")
    first, second = InvoiceDocument.objects.filter(invoice=invoice).order_by("version")
    # Delivery is at least once: the broker may hand version 1's message over again on
    # its own (a render slower than the visibility timeout), and here it is sent again.
    before = len(results())
    render_invoice_pdf.delay(first.pk)
    pdf_workers.wait_for(lambda: len(results()) > before, "the duplicate")

    done = results()
    assert done[0] == "'superseded'" and done[-1] == "'skipped'"
    assert done.count("'rendered'") == 1
    assert set(done) == {"'superseded'", "'rendered'", "'skipped'"}
    first.refresh_from_db()
    assert (first.pdf, first.rendered_at) == (None, None) and first.superseded_at
    _assert_rendered_once(second, attempts=1)


def test_a_payment_after_the_render_adds_version_2_and_keeps_version_1(pdf_workers, organization):
    pdf_workers.start()
    invoice = finalized_invoice(organization)
    pdf_workers.wait_for(
        lambda: pdf_workers.results("render_invoice_pdf") == ["'rendered'"], "version 1"
    )
    first = InvoiceDocument.objects.get(invoice=invoice, version=1)
    sent = (bytes(first.pdf), first.rendered_at)

    _pay(invoice, "100.00", "BANK-1")
    pdf_workers.wait_for(lambda: len(pdf_workers.results("render_invoice_pdf")) == 2, "version 2")

    assert pdf_workers.results("render_invoice_pdf") == ["'rendered'", "'rendered'"]
    first.refresh_from_db()
    assert (bytes(first.pdf), first.rendered_at) == sent
    second = InvoiceDocument.objects.get(invoice=invoice, version=2)
    _assert_rendered_once(second, attempts=1)
    assert bytes(second.pdf) != sent[0]
