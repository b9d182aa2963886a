"""The admin's renewal pages pass axe at 1280 and 390 px: the runs' history and the
failed renewals, one marked as needing staff."""

from pathlib import Path

import pytest

from billing.models import RenewalRun, RenewalRunStatus
from billing.renewals.services import renewal_failure_record
from tests.helpers.checkout import subscribed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
WIDTHS = (1280, 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_renewal_admin_pages_pass_axe(
    page, live_server, login, admin_user, organization, catalog, axe, now, width
):
    license = subscribed(organization, catalog, seats=5)
    run = RenewalRun.objects.create(
        business_day=license.renews_on,
        due=3,
        batches=1,
        batches_done=1,
        renewed=2,
        failed=1,
        status=RenewalRunStatus.FAILED,
    )
    for _ in range(3):
        renewal_failure_record(
            subscription_id=license.subscription.pk,
            error="Tax rates unavailable <script>",
            run_id=run.pk,
        )
    page.set_viewport_size({"width": width, "height": 900})
    login(admin_user)

    page.goto(f"{live_server.url}/admin/billing/renewalrun/")
    page.get_by_text("Finished with failures").first.wait_for()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"admin-renewal-runs-{width}.png"), full_page=True)
    axe(f"renewal runs at {width}px")

    page.goto(f"{live_server.url}/admin/billing/renewalfailure/?attention=yes")
    page.get_by_text("Needs staff: failed 3 times").wait_for()
    assert page.get_by_text("Tax rates unavailable <script>").count() == 1  # escaped
    page.screenshot(path=str(SHOTS / f"admin-renewal-failures-{width}.png"), full_page=True)
    axe(f"renewal failures at {width}px")
