from datetime import date

import pytest

from tests.helpers.checkout import subscribed


@pytest.fixture
def license(organization, catalog):
    """Northwind on Team (v2, per seat from 3, at most 15), 5 seats, annual, for 2026."""
    return subscribed(
        organization,
        catalog,
        "team",
        seats=5,
        cycle="annual",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )
