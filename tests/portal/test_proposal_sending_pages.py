"""Sending from the builder over HTTP: the confirmation names who receives the PDF, the
send emails it (attached) once the delivery runs, refusals answer 400 with the reason and
write nothing, another account manager gets 404; the sent versions with their status and
downloads; the account's page lists the organization's proposals."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from billing.models import BillingDetails, ProposalEvent, ProposalEventKind, ProposalStatus
from portal.models import ACCOUNT_MANAGERS_GROUP
from tests.factories import OrganizationFactory, UserFactory
from tests.factories.proposals import proposal_in, sent
from tests.helpers.proposals import team_for_2026

pytestmark = pytest.mark.django_db


@pytest.fixture
def license(organization, catalog, now):
    return team_for_2026(organization, catalog)


@pytest.fixture
def approved(license, account_manager):
    return proposal_in(license, account_manager, ProposalStatus.APPROVED)


@pytest.fixture
def billing_address(organization):
    BillingDetails.objects.update_or_create(
        organization=organization, defaults={"billing_emails": ["ap@northwind.example"]}
    )
    return "ap@northwind.example"


def page(response) -> str:
    return response.content.decode()


def test_the_confirmation_names_every_recipient_and_nobody_else(
    client_for, account_manager, approved, owner, billing_admin, teammate, billing_address
):
    body = page(client_for(account_manager).get(f"/manage/proposals/{approved.number}/"))
    assert "Send P-2026-0001 v1 to the customer" in body
    for address in (owner.email, billing_admin.email, billing_address):
        assert f'<li class="break">{address}</li>' in body
    assert teammate.email not in body


def test_sending_from_the_builder_emails_the_pdf_and_lists_the_sent_version(
    client_for, account_manager, approved, owner, django_capture_on_commit_callbacks
):
    client = client_for(account_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/manage/proposals/{approved.number}/send/", {"version": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/manage/proposals/{approved.number}/"
    version = approved.versions.get()
    assert version.status == ProposalStatus.SENT and version.sent_by == account_manager
    [message] = mail.outbox
    assert message.to == [owner.email]
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("P-2026-0001 v1.pdf", "application/pdf")
    assert content == bytes(version.pdf)

    body = page(client.get(f"/manage/proposals/{approved.number}/"))
    assert "P-2026-0001 v1 sent to the customer." in body
    pdf_url = f"/manage/proposals/{approved.pk}/versions/1.pdf"
    assert f'href="{pdf_url}"' in body
    assert client.get(pdf_url).content == bytes(version.pdf)
    assert "Send to the customer</button>" not in body  # sent: nothing left to send


def test_a_sent_version_whose_pdf_is_not_rendered_says_it_is_being_prepared(
    client_for, account_manager, approved
):
    sent(approved, account_manager)  # the on-commit delivery never runs here

    body = page(client_for(account_manager).get(f"/manage/proposals/{approved.number}/"))
    assert "Being prepared" in body
    assert f"/manage/proposals/{approved.pk}/versions/1.pdf" not in body


def test_the_builder_shows_superseded_and_sent_versions_and_the_history(
    client_for, account_manager, license, now
):
    proposal = proposal_in(license, account_manager, ProposalStatus.APPROVED)
    sent(proposal, account_manager)
    client = client_for(account_manager)
    # v2: a change after sending makes a new draft; renewing as is needs no approval.
    client.post(f"/manage/proposals/{proposal.number}/options/2/remove/")
    response = client.post(f"/manage/proposals/{proposal.number}/send/", {"version": "2"})
    assert response.status_code == 302

    versions = dict(proposal.versions.values_list("number", "status"))
    assert versions == {1: ProposalStatus.SUPERSEDED, 2: ProposalStatus.SENT}
    body = page(client.get(f"/manage/proposals/{proposal.number}/"))
    assert "Superseded by P-2026-0001 v2." in body
    assert "Sent P-2026-0001 v2. It supersedes P-2026-0001 v1." in body
    assert body.count("Being prepared") == 2


def test_a_version_needing_approval_is_refused_with_the_reason(
    client_for, account_manager, license
):
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)

    response = client_for(account_manager).post(
        f"/manage/proposals/{proposal.number}/send/", {"version": "1"}
    )

    assert response.status_code == 400
    assert "P-2026-0001 v1 is awaiting approval; it cannot be sent." in page(response)
    assert not ProposalEvent.objects.filter(kind=ProposalEventKind.SENT).exists()


@pytest.mark.parametrize("posted", [{}, {"version": "7"}, {"version": "x"}])
def test_a_send_naming_another_version_answers_400_and_sends_nothing(
    client_for, account_manager, approved, posted
):
    response = client_for(account_manager).post(
        f"/manage/proposals/{approved.number}/send/", posted
    )

    assert response.status_code == 400
    assert "P-2026-0001 v1 is the newest version" in page(response)
    assert approved.versions.get().status == ProposalStatus.APPROVED


def test_another_account_manager_gets_404_and_sends_nothing(client_for, account_manager, approved):
    other = UserFactory(is_staff=True)
    other.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    OrganizationFactory(account_manager=other)

    response = client_for(other).post(
        f"/manage/proposals/{approved.number}/send/", {"version": "1"}
    )

    assert response.status_code == 404
    assert approved.versions.get().status == ProposalStatus.APPROVED


def test_the_accounts_page_lists_the_organizations_proposals(
    client_for, account_manager, approved, organization
):
    client = client_for(account_manager)
    body = page(client.get(f"/manage/accounts/{organization.pk}/"))
    assert "P-2026-0001 v1" in body
    assert f'href="/manage/proposals/{approved.number}/"' in body
    assert f'href="/manage/proposals/organizations/{organization.slug}/"' in body
    assert "New proposal" in body


def test_the_book_links_to_the_proposals_and_marks_an_open_one(
    client_for, account_manager, approved, organization
):
    quiet = OrganizationFactory(name="Quiet", account_manager=account_manager)

    body = page(client_for(account_manager).get("/manage/"))

    assert 'href="/manage/proposals/"' in body
    assert body.count("Open proposal<span") == 1
    assert f'href="/manage/proposals/organizations/{organization.slug}/"' in body
    assert f'href="/manage/proposals/organizations/{quiet.slug}/"' not in body


def test_a_sent_version_past_its_validity_says_it_expired(
    client_for, account_manager, approved, time_machine
):
    version = sent(approved, account_manager)
    client = client_for(account_manager)
    body = page(client.get(f"/manage/proposals/{approved.number}/"))
    until = '<time datetime="2026-04-13">13 Apr 2026</time>'
    assert f"with the customer until {until}." in body

    time_machine.move_to(date(2026, 4, 14))  # the day after its last valid day
    body = page(client_for(account_manager).get(f"/manage/proposals/{approved.number}/"))
    assert f"it expired on {until} unanswered, and can no longer be accepted" in body
    assert "with the customer until" not in body
    assert version.valid_until == date(2026, 4, 13)


@pytest.mark.parametrize("status", [ProposalStatus.DRAFT, ProposalStatus.APPROVED])
def test_a_version_that_cannot_be_sent_says_why_where_the_send_button_was(
    client_for, account_manager, license, status
):
    """The customer added seats after "renew as is" was written: the builder said "it can
    be sent as it is" (or "ready to send") and showed no Send button, and no reason."""
    proposal = proposal_in(license, account_manager, status)  # option 1 renews as is
    type(license).objects.filter(pk=license.pk).update(seats=license.seats + 2)
    body = page(client_for(account_manager).get(f"/manage/proposals/{proposal.number}/"))
    assert "Option 1 renews as is, but the license has changed since it was added" in body
    assert "Send to the customer" not in body
    assert "it can be sent as it is" not in body and ": ready to send." not in body
