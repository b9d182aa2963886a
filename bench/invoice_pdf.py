"""How long the invoice PDF takes to render, beside a one-page WeasyPrint baseline (a
heading and a paragraph in the same font) measured in the same run, alternating, in
this process: no database, no server, only billing.pdf.

    .venv/bin/python bench/invoice_pdf.py [--runs 20] [--lines 12]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django

django.setup()

from billing.models import Invoice, InvoiceLine  # noqa: E402
from billing.money import Money  # noqa: E402
from billing.pdf import html_to_pdf, render_pdf  # noqa: E402
from portal.models import Organization  # noqa: E402

BASELINE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="css/invoice-print.css"></head>
<body><h1>Baseline</h1><p>One page, one paragraph, the invoice's fonts.</p></body></html>"""


def invoice_context(lines: int) -> dict:
    """An invoice as the PDF template sees it, built in memory (nothing is saved)."""
    invoice = Invoice(
        number="INV-2026-000123", status="open", currency="USD", tax_rate=Decimal("20"),
        tax_id="GB 123 4567 89", issued_on=date(2026, 3, 14), due_on=date(2026, 4, 13),
        payment_terms="net", net_days=30, credit_applied=Decimal("20"),
    )  # fmt: skip
    rows = []
    for n in range(lines):
        line = InvoiceLine(
            description=f"Line {n + 1}: Team plan, 12 seats", quantity=Decimal(12),
            unit_price=Decimal("12.00"), period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 1) + timedelta(days=30),
        )  # fmt: skip
        rows.append({"line": line, "unit_price": "$12.00", "amount": "$144.00"})
    subtotal = Money(Decimal(144 * lines), "USD")
    tax = (subtotal * Decimal("0.2")).rounded()
    return {
        "invoice": invoice,
        "organization": Organization(name="Northwind Analytics"),
        "lines": rows,
        "credit_notes": [],
        "subtotal": subtotal.format(),
        "tax": tax.format(),
        "total": (subtotal + tax).format(),
        "credit_applied": "$20.00",
        "amount_due": (subtotal + tax - Money(20, "USD")).format(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--lines", type=int, default=12)
    args = parser.parse_args(argv)
    context = invoice_context(args.lines)
    # Warm up: fonts are loaded and stylesheets parsed on first use.
    html_to_pdf(BASELINE)
    render_pdf("pdf/invoice.html", context)
    baseline, invoice = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        html_to_pdf(BASELINE)
        baseline.append(time.perf_counter() - start)
        start = time.perf_counter()
        render_pdf("pdf/invoice.html", context)
        invoice.append(time.perf_counter() - start)
    base, inv = statistics.median(baseline), statistics.median(invoice)
    print(f"one-page baseline      median {base * 1000:7.1f} ms ({args.runs} runs)")
    print(f"invoice, {args.lines:>3} lines     median {inv * 1000:7.1f} ms")
    print(f"invoice / baseline     {inv / base:.2f}x")


if __name__ == "__main__":
    main()
