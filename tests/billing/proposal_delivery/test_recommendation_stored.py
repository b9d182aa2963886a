"""The customer's page marks the option the PDF and the email recommend as they were
sent: the render task (billing.proposals.tasks) stores its position with the PDF, and
the page (billing.proposals.customer.recommendation) reads it, never working it out
again from the rows as they are now: a saved scenario the customer deletes, or usage
reported for a past month after the send, moves nothing."""

import re
import uuid
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import ProposalStatus, ProposalVersion
from billing.proposals.customer import recommendation
from billing.proposals.sending import proposal_send
from billing.proposals.services import Edit, proposal_edit
from licensing.models import LimitMetric, UsageRecord
from tests.billing.proposal_delivery.data import (
    OptionSpec,
    delete_scenario,
    make_version,
    saved_scenario,
)
from tests.factories.proposals import actor

BADGE = '<span class="badge badge-primary">Recommended</span>'
HEADING = re.compile(r'<h3 class="card-title" id="option-\d+-title">(.*?)</h3>', re.DOTALL)


@pytest.fixture
def scenario(license_):
    return saved_scenario(license_.organization)


def marked_in_the_email() -> list[str]:
    (message,) = mail.outbox
    return re.findall(r"^- Option (\d+): .* \(recommended\)$", message.body, re.M)


def marked_on_the_page(client, version) -> list[int]:
    proposal = version.proposal
    response = client.get(
        reverse("proposal_detail", args=[proposal.organization.slug, proposal.pk])
    )
    assert response.status_code == 200
    headings = HEADING.findall(response.content.decode())
    assert headings
    return [int(re.match(r"Option (\d+):", h).group(1)) for h in headings if BADGE in h]


def test_the_pages_badge_stays_when_the_customer_deletes_the_scenario(
    proposal, scenario, catalog, manager, owner, client_for, django_capture_on_commit_callbacks,
    now,
):  # fmt: skip
    # The usage grounds pick Enterprise (the first change every month fits under); the
    # customer's numbers pick Business (the higher net value).
    options = (
        OptionSpec("team", 12, renew_as_is=True),
        OptionSpec("enterprise", 25),
        OptionSpec("business", 20),
    )
    version = make_version(proposal, catalog, options=options)
    proposal_edit(proposal=proposal, edit=Edit(roi_scenario=scenario), actor=actor(manager), at=now)
    with django_capture_on_commit_callbacks(execute=True):
        proposal_send(version=version, actor=actor(manager), at=now)
    assert marked_in_the_email() == ["3"]
    assert recommendation(ProposalVersion.objects.get(pk=version.pk)) == 3

    delete_scenario(client_for(owner), scenario)

    # The PDF and the email say option 3; so does the page.
    assert recommendation(ProposalVersion.objects.get(pk=version.pk)) == 3
    assert marked_on_the_page(client_for(owner), version) == [3]


def test_the_pages_badge_stays_when_usage_for_the_month_is_reported_after_the_send(
    license_, proposal, catalog, manager, owner, client_for, django_capture_on_commit_callbacks, now
):
    """No ROI: the usage grounds. The PDF and the email were drawn on the day of the send
    (14 March); usage the customer's software reports later for March, the month of the
    send, would move a badge worked out again (license_meters reads by period, not by
    recorded_at)."""
    version = make_version(proposal, catalog)  # renew Team, Business 20, Enterprise 25
    ProposalVersion.objects.filter(pk=version.pk).update(status=ProposalStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        proposal_send(version=version, actor=actor(manager), at=now)
    assert marked_in_the_email() == ["2"]
    assert recommendation(ProposalVersion.objects.get(pk=version.pk)) == 2

    # A week later the software reports the rest of March: over Business's 1,000,000.
    UsageRecord.objects.create(
        license=license_,
        metric=LimitMetric.objects.get(key="api-calls"),
        quantity=1_200_000,
        period=date(2026, 3, 1),
        recorded_at=datetime(2026, 3, 21, tzinfo=UTC),
        idempotency_key="late-march",
        batch=uuid.uuid4(),
    )

    # The email and the stored PDF say option 2; so does the page.
    assert recommendation(ProposalVersion.objects.get(pk=version.pk)) == 2
    assert marked_on_the_page(client_for(owner), version) == [2]


def test_no_badge_before_the_pdf_is_rendered(
    version, manager, owner, client_for, django_capture_on_commit_callbacks, now
):
    """The page marks what the PDF marks: until the worker renders it, nothing (the send
    stands; the delivery follows)."""
    ProposalVersion.objects.filter(pk=version.pk).update(status=ProposalStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=False):
        proposal_send(version=version, actor=actor(manager), at=now)

    assert marked_on_the_page(client_for(owner), version) == []
    assert mail.outbox == []


def test_no_badge_for_a_version_rendered_before_the_position_was_kept(
    version, manager, owner, client_for, django_capture_on_commit_callbacks, now
):
    """A version whose PDF was rendered before billing 0029 has no stored position: its
    page shows no badge rather than one worked out again today (its PDF keeps its own)."""
    ProposalVersion.objects.filter(pk=version.pk).update(status=ProposalStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        proposal_send(version=version, actor=actor(manager), at=now)
    assert marked_on_the_page(client_for(owner), version) == [2]
    ProposalVersion.objects.filter(pk=version.pk).update(pdf_recommended_position=None)

    assert marked_on_the_page(client_for(owner), version) == []
