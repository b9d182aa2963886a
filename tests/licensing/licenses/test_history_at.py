"""History for any date: a suspension and a revocation given `at` are on record then
(the hold, the ledger entry and the signed file), not at now (14 March 2026)."""

from datetime import UTC, datetime

import pytest

from licensing.licenses.services import license_latest_file, license_revoke, license_suspend
from licensing.models import LicenseStatus
from tests.helpers.licenses import SYSTEM, issue

IN_JANUARY = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
IN_FEBRUARY = datetime(2026, 2, 3, 11, 0, tzinfo=UTC)


@pytest.fixture
def bought_in_january(organization, catalog):
    return issue(organization, catalog, at=IN_JANUARY).license


def test_a_suspension_at_a_past_moment_is_recorded_then(bought_in_january):
    license = license_suspend(
        license=bought_in_january, actor=SYSTEM, reason="Fraud check.", at=IN_FEBRUARY
    )

    assert license.status == LicenseStatus.SUSPENDED
    assert license.holds.get().placed_at == IN_FEBRUARY
    assert license.events.order_by("pk").last().happened_at == IN_FEBRUARY
    assert license_latest_file(license).issued_at == IN_FEBRUARY
    assert list(license.files.values_list("issued_at", flat=True).order_by("pk")) == [
        IN_JANUARY,
        IN_FEBRUARY,
    ]


def test_a_revocation_at_a_past_moment_is_recorded_then(bought_in_january):
    license = license_revoke(
        license=bought_in_january, actor=SYSTEM, reason="Contract ended.", at=IN_FEBRUARY
    )

    assert license.status == LicenseStatus.CANCELED
    assert license.events.order_by("pk").last().happened_at == IN_FEBRUARY
