"""A checkout's invoice as a PDF: rendered to PNG with pdftoppm (one A4 page) and read
back with pdftotext, it carries the number, the prorated lines and the total the preview
showed."""

import shutil
import subprocess
from decimal import Decimal

import pytest

from billing.invoices.services import invoice_pdf_request
from billing.models import BillingDetails
from tests.helpers.checkout import confirm, subscribed

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="needs poppler-utils (pdftotext, pdftoppm)",
)


def test_the_pdf_of_a_checkout_invoice_shows_what_was_previewed(
    organization, catalog, owner, tmp_path
):
    BillingDetails.objects.create(
        organization=organization, tax_rate_override=Decimal("20"), tax_override_reason="Set"
    )
    license = subscribed(organization, catalog, seats=5)
    shown, checkout = confirm(
        organization, license, owner, tier="business", seats=12, cycle="monthly"
    )
    document = invoice_pdf_request(invoice=checkout.invoice)
    pdf = bytes(document.pdf)
    assert pdf.startswith(b"%PDF-")

    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert checkout.invoice.number in text
    # A line's working wraps within its cell: read the cells in order, spaces joined.
    cells = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    words = " ".join(cells.split())
    for line in shown.quote.lines:
        assert line.description in words
        assert line.amount.format() in text
    assert shown.quote.total.format() in text and shown.quote.amount_due.format() in text

    (tmp_path / "invoice.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "invoice.pdf"), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    png = pages[0].read_bytes()
    assert png.startswith(b"\x89PNG")
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert (width, height) == (414, 585)  # A4 at 50 dpi
