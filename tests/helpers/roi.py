"""Inputs for the ROI calculator page: the issue's hand-worked case, as a query string."""

from urllib.parse import urlencode

GOOD = {
    "team_size": "50",
    "hourly_cost": "75",
    "currency": "USD",
    "cycle": "annual",
    "horizon_years": "1",
    "cost_per_error": "0",
    "implementation_cost": "0",
}


def roi_url(**params) -> str:
    return f"/roi/?{urlencode({**GOOD, **params})}"
