"""The dashboard's seat meter measures seats in use against the seats bought, and shows
the tier's maximum beside them."""

from datetime import UTC, datetime

from licensing.usage.services import UsageReport, usage_record_batch
from tests.helpers.licenses import issue


def _seats_in_use(license, seats):
    usage_record_batch(
        license=license,
        reports=[UsageReport("seats", seats, "seats-2026-3", datetime(2026, 3, 10, tzinfo=UTC))],
    )


def test_it_measures_seats_in_use_against_the_seats_bought(
    client_for, teammate, organization, catalog
):
    # Team v2 allows up to 15 seats; Northwind bought 12 and uses 11.
    license = issue(organization, catalog, "team", seats=12).license
    _seats_in_use(license, 11)
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "11 of 12 seats bought" in page
    assert "Team allows up to 15" in page
    assert 'max="12" value="11"' in page
    assert "11 of 15 seats" not in page


def test_it_says_when_the_tier_has_no_maximum(client_for, teammate, organization, catalog):
    license = issue(organization, catalog, "enterprise", seats=40).license
    _seats_in_use(license, 31)
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "31 of 40 seats bought" in page
    assert "Enterprise has no maximum" in page
    assert 'max="40" value="31"' in page


def test_the_percentage_used_rounds_half_up(client_for, teammate, organization, catalog):
    # 11 of 12 is 91.67 %: shown as 92 %, never truncated to 91 %.
    license = issue(organization, catalog, "team", seats=12).license
    _seats_in_use(license, 11)
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Seats: 92% used." in page
    assert '<span class="badge badge-warning">92%</span>' in page
    assert "91%" not in page
