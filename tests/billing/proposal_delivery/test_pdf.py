"""The proposal's PDF as the customer gets it: rendered by the delivery task, read back
with pdftotext, counted with pdfinfo and drawn page by page with pdftoppm."""

import re
import subprocess
from datetime import datetime

import pytest
from PIL import Image

from billing.models import ProposalStatus, ProposalVersion
from billing.proposals.tasks import deliver_proposal

MINUS = "\u2212"
AT = datetime.fromisoformat("2026-03-14T09:30:00+00:00")


@pytest.fixture
def pdf(version, tmp_path):
    ProposalVersion.objects.filter(pk=version.pk).update(
        status=ProposalStatus.SUPERSEDED,
        sent_at=AT,  # rendered, not emailed
    )
    deliver_proposal.delay(version.pk)
    version.refresh_from_db()
    path = tmp_path / "proposal.pdf"
    path.write_bytes(bytes(version.pdf))
    return path


def text_of(path) -> str:
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, check=True)
    return re.sub(r"[ \t]+", " ", text.stdout.decode())


def pages_of(path) -> int:
    info = subprocess.run(["pdfinfo", path], capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def test_the_pdf_says_the_number_version_options_totals_and_why_discounted(pdf):
    text = text_of(pdf)

    assert "Proposal P-2026-0042 v1" in text
    assert "for Northwind" in text
    assert "Maya Lindqvist" in text
    assert "Valid until 13 April 2026" in text
    # The options and their totals, from the price path.
    for total in ("$2,280.00", "$18,720.00", "$15,525.00"):
        assert total in text
    assert "Option 2: Business, 3 years" in text
    assert f"{MINUS}$1,560.00" in text  # each year's discount
    assert f"Total over 3 years $23,400.00 {MINUS}$4,680.00 $18,720.00" in text
    # The discounts and why.
    assert "Negotiated discount 20% (Three-year commitment)" in text
    assert "Negotiated discount 10% (Launch partner)" in text
    # Gain, keep, lose; usage; ROI with its formulas.
    assert "YOU GAIN" in text and "Webhooks" in text and "Audit log export" in text
    assert "API calls a month" in text and "131,000" in text
    assert "Return on investment" in text
    assert "52 weeks" in text and "$31,200.00" in text
    assert "Terms" in text


def test_the_pdf_has_its_pages_and_each_draws(pdf, tmp_path):
    pages = pages_of(pdf)
    assert 6 <= pages <= 10

    subprocess.run(["pdftoppm", "-r", "30", "-png", pdf, tmp_path / "page"], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for image in images:
        # Something is drawn on each page, and no chart came out as a black box (an SVG
        # whose stylesheet WeasyPrint ignored paints its background black).
        pixels = Image.open(image).convert("L")
        histogram = pixels.histogram()
        assert histogram[255] < sum(histogram)
        assert histogram[0] < sum(histogram) * 0.02, image.name
