"""Demo tax rates: the EU's standard VAT rates, two of them changed on a later day (as a
new row, the earlier rate kept as it was charged). Idempotent."""

from datetime import date
from decimal import Decimal

from billing.models import TaxRate

SINCE = date(2024, 1, 1)
STANDARD = {
    "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
    "EE": "22", "ES": "21", "FI": "24", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
    "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
    "PL": "23", "PT": "23", "RO": "19", "SE": "25", "SI": "22", "SK": "20",
}  # fmt: skip
# (country, rate, from): rates raised later, each a new row.
CHANGES = [
    ("EE", "24", date(2025, 7, 1)),
    ("FI", "25.5", date(2024, 9, 1)),
    ("RO", "21", date(2025, 8, 1)),
    ("SK", "23", date(2025, 1, 1)),
]


def build_tax_rates() -> list[str]:
    made = []
    rows = [(country, rate, SINCE) for country, rate in STANDARD.items()] + CHANGES
    for country, rate, since in rows:
        _, created = TaxRate.objects.get_or_create(
            country=country,
            effective_from=since,
            defaults={"rate": Decimal(rate), "note": "Standard VAT rate (demo data)"},
        )
        if created:
            made.append(f"{country} {rate} % from {since:%-d %B %Y}")
    return made
