import pytest

from tests.helpers.proposals import team_for_2026


@pytest.fixture
def license(organization, catalog):
    """Northwind on Team (v2, per seat from 3, at most 15), 5 seats, annual, for 2026."""
    return team_for_2026(organization, catalog)
