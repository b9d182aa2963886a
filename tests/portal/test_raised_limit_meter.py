"""A limit raised for a while (an admin's override) says so on its meter: through which
day, and what it falls back to then."""

from datetime import UTC, date, datetime

from licensing.admin.forms import end_of_day
from licensing.licenses.services import entitlement_override_grant
from tests.helpers.licenses import SYSTEM, issue


def test_a_temporary_raise_says_through_when_and_what_follows(
    client_for, teammate, organization, catalog, now
):
    # Team v2 allows 50 GB; 200 GB while an archive migration runs, through 12 May 2026.
    license = issue(organization, catalog, "team", seats=5).license
    entitlement_override_grant(
        license=license,
        actor=SYSTEM,
        reason="Extra storage while their archive migration runs.",
        metric=catalog.metric("storage"),
        value=200,
        ends_at=end_of_day(date(2026, 5, 12)),
    )
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "0 of 200 GB" in page
    assert (
        '(raised for you by your vendor through <time datetime="2026-05-12">12 May 2026</time>, '
        "then 50)"
    ) in page
    assert end_of_day(date(2026, 5, 12)) == datetime(2026, 5, 13, tzinfo=UTC)
