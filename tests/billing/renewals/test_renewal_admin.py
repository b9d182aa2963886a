"""Renewal runs and failed renewals in the admin: read-only records, a failure that
failed three times marked for staff, and "Retry now" going through the service."""

from datetime import date

import pytest

from billing.models import Invoice, RenewalFailure, RenewalRun
from billing.renewals import services
from billing.renewals.tasks import run_term_end
from portal import clock
from tests.factories import OrganizationFactory
from tests.helpers.checkout import subscribed

FAILURES = "/admin/billing/renewalfailure/"


@pytest.fixture
def on_april_2(settings, db, now):
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


@pytest.fixture
def failing(organization, catalog, owner, on_april_2, monkeypatch):
    """A renewal that failed three times (the job on three ticks)."""
    license = subscribed(organization, catalog, "team", seats=5)

    def broken(*args, **kwargs):
        raise RuntimeError("tax rates unavailable")

    monkeypatch.setattr("billing.invoices.services._finalized", broken)
    clock.advance(to=date(2026, 4, 1), by="test")
    clock.advance(to=date(2026, 4, 2), by="test")
    monkeypatch.undo()
    return license


def test_runs_are_listed_with_their_counts_and_cannot_be_changed(admin_client, failing):
    run = RenewalRun.objects.order_by("pk").first()
    page = admin_client.get("/admin/billing/renewalrun/").content.decode()
    assert "Finished with failures" in page
    assert admin_client.get("/admin/billing/renewalrun/add/").status_code == 403
    url = f"/admin/billing/renewalrun/{run.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 403


def test_a_failure_three_times_over_is_marked_and_retried_through_the_service(
    admin_client, failing
):
    failure = RenewalFailure.objects.get()
    assert failure.attempts >= 3
    page = admin_client.get(FAILURES + "?attention=yes").content.decode()
    assert "Needs staff: failed" in page and "tax rates unavailable" in page

    answer = admin_client.post(
        FAILURES, {"action": "retry_now", "_selected_action": [failure.pk]}, follow=True
    )

    assert answer.status_code == 200
    assert "renewed" in answer.content.decode()
    failure.refresh_from_db()
    assert failure.resolved_at is not None
    assert Invoice.objects.filter(license=failing).count() == 1
    assert run_term_end.apply().get() is None  # nothing due any more


def test_a_retry_that_fails_again_is_counted(admin_client, failing, monkeypatch):
    failure = RenewalFailure.objects.get()
    attempts = failure.attempts

    def broken(*args, **kwargs):
        raise RuntimeError("still down")

    monkeypatch.setattr("billing.invoices.services._finalized", broken)
    answer = admin_client.post(
        FAILURES, {"action": "retry_now", "_selected_action": [failure.pk]}, follow=True
    )

    assert "failed again (still down)" in answer.content.decode()
    failure.refresh_from_db()
    assert (failure.attempts, failure.last_error) == (attempts + 1, "still down")
    assert failure.resolved_at is None


def test_an_account_manager_reads_only_their_customers_failed_renewals(
    client_for, account_manager, failing, catalog
):
    other = OrganizationFactory(name="Globex", slug="globex")
    theirs = services.renewal_failure_record(
        subscription_id=subscribed(other, catalog, "team", seats=5).subscription.pk,
        error="globex: tax rates unavailable",
    )
    mine = RenewalFailure.objects.get(subscription__license=failing)
    client = client_for(account_manager)
    listing = client.get(FAILURES)
    assert listing.status_code == 200
    assert "tax rates unavailable" in listing.content.decode()
    assert "globex:" not in listing.content.decode()
    assert client.get(f"{FAILURES}{mine.pk}/change/").status_code == 200
    assert client.get(f"{FAILURES}{theirs.pk}/change/").status_code == 404
    # Retrying is for staff who may change failures: the account manager only reads.
    client.post(FAILURES, {"action": "retry_now", "_selected_action": [mine.pk]})
    mine.refresh_from_db()
    assert mine.resolved_at is None
