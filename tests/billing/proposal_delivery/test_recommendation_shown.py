"""The customer's proposal page marks the option the proposal recommends, in words: the
option its PDF and its email mark (billing.proposals.content's one rule, as of the day
it was sent), and none when the proposal gives no grounds for one."""

import re
from datetime import UTC, datetime

from django.core import mail
from django.urls import reverse

from billing.models import ProposalStatus, ProposalVersion
from billing.proposals.content import proposal_content
from billing.proposals.documents import content_day
from billing.proposals.sending import proposal_send
from licensing.licenses.services import Actor
from tests.billing.proposal_delivery.data import OptionSpec, make_version

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
HEADING = re.compile(r'<h3 class="card-title" id="option-\d+-title">(.*?)</h3>', re.DOTALL)
BADGE = '<span class="badge badge-primary">Recommended</span>'


def send(version, manager, capture) -> ProposalVersion:
    """Sends `version` as approved (its discounts were), its PDF rendered and emailed."""
    ProposalVersion.objects.filter(pk=version.pk).update(status=ProposalStatus.APPROVED)
    with capture(execute=True):
        proposal_send(version=version, actor=Actor.of(manager), at=AT)
    version.refresh_from_db()
    return version


def marked_on_the_page(client, version) -> list[int]:
    """The positions of the options whose heading on the customer's page says
    "Recommended"."""
    proposal = version.proposal
    response = client.get(
        reverse("proposal_detail", args=[proposal.organization.slug, proposal.pk])
    )
    assert response.status_code == 200
    headings = HEADING.findall(response.content.decode())
    assert len(headings) == version.options.count()
    return [
        int(re.match(r"Option (\d+):", heading).group(1))
        for heading in headings
        if BADGE in heading
    ]


def marked_in_the_pdf(version) -> list[int]:
    """What the PDF was rendered from (billing.proposals.documents.proposal_pdf)."""
    content = proposal_content(version, content_day(version))
    return [option.position for option in content.options if option.recommended]


def marked_in_the_email() -> list[str]:
    (message, *_) = mail.outbox
    return re.findall(r"^- (Option \d+: .*) \(recommended\)$", message.body, re.MULTILINE)


def test_the_page_marks_the_option_the_pdf_and_the_email_recommend_by_the_roi(
    version, manager, owner, teammate, client_for, django_capture_on_commit_callbacks
):
    send(version, manager, django_capture_on_commit_callbacks)

    assert marked_in_the_pdf(version) == [2]  # the highest net a year in the ROI
    assert marked_in_the_email() == ["Option 2: Business, 3 years"]
    for person in (owner, teammate):  # who answers, and a member who reads
        assert marked_on_the_page(client_for(person), version) == [2]


def test_the_page_marks_the_option_the_usage_grounds_without_the_customers_numbers(
    proposal, catalog, manager, owner, client_for, django_capture_on_commit_callbacks
):
    # No ROI: Business is the first change under whose limits every month of usage
    # stayed (Team as is went over its API calls).
    version = send(make_version(proposal, catalog), manager, django_capture_on_commit_callbacks)

    assert marked_in_the_pdf(version) == [2]
    assert marked_in_the_email() == ["Option 2: Business, 3 years"]
    assert marked_on_the_page(client_for(owner), version) == [2]


def test_the_page_marks_none_when_the_proposal_recommends_none(
    proposal, catalog, manager, owner, client_for, django_capture_on_commit_callbacks
):
    # No ROI, and the only change is a seat more on Team, whose API calls the usage went
    # over (a lower tier or fewer seats are no option: they wait for the term's end).
    options = (OptionSpec("team", 12, renew_as_is=True), OptionSpec("team", 13))
    version = make_version(proposal, catalog, options=options)
    send(version, manager, django_capture_on_commit_callbacks)

    assert marked_in_the_pdf(version) == []
    assert marked_in_the_email() == []
    assert marked_on_the_page(client_for(owner), version) == []
