"""The account manager's proposal pages over HTTP: who sees what, the builder's forms
(bad input answers 400 with messages and writes nothing), and the admins' approvals."""

import re
from datetime import date

import pytest
from django.contrib.auth.models import Group

from billing.models import Proposal, ProposalEvent, ProposalOption, ProposalStatus
from billing.proposals.services import proposal_option_set, proposal_recall, proposal_submit
from portal.models import ACCOUNT_MANAGERS_GROUP
from tests.factories import OrganizationFactory, UserFactory
from tests.factories.proposals import actor, approver, proposal_in, published, upgrade
from tests.helpers.proposals import team_for_2026

pytestmark = pytest.mark.django_db


@pytest.fixture
def license(organization, catalog, now):
    return team_for_2026(organization, catalog)


@pytest.fixture
def draft(license, account_manager):
    return proposal_in(license, account_manager)


def option_post(**fields):
    data = {
        "new-tier_version": published("business").pk,
        "new-seats": "12",
        "new-cycle": "annual",
        "new-term_cycles": "3",
        "new-billing": "upfront",
        "new-discount_percent": "20",
        "new-discount_reason": "Three-year commitment",
    }
    data.update({f"new-{k}": v for k, v in fields.items()})
    return data


def page(response) -> str:
    return response.content.decode()


def test_it_lists_my_proposals_with_status_and_validity(client_for, account_manager, draft):
    response = client_for(account_manager).get("/manage/proposals/")
    assert response.status_code == 200
    assert "P-2026-0001 v1" in page(response)
    assert "Draft" in page(response) and "13 Apr 2026" in page(response)


def test_an_account_manager_starts_a_proposal_for_a_license(
    client_for, account_manager, license, organization
):
    client = client_for(account_manager)
    listing = client.get(f"/manage/proposals/organizations/{organization.slug}/")
    assert "New proposal" in page(listing)
    response = client.post(
        f"/manage/proposals/organizations/{organization.slug}/licenses/{license.pk}/new/"
    )
    proposal = Proposal.objects.get()
    assert response["Location"] == f"/manage/proposals/{proposal.number}/"
    assert proposal.prepared_by == account_manager


def test_the_builder_shows_each_options_price_path(client_for, account_manager, draft):
    client = client_for(account_manager)
    response = client.post(f"/manage/proposals/{draft.number}/options/", option_post())
    assert response.status_code == 302
    body = page(client.get(f"/manage/proposals/{draft.number}/"))
    # Option 2: 12 Business seats at $390 a year, 20% off, 3 years up front.
    assert "$4,680.00" in body and "\u2212$936.00" in body and "$3,744.00" in body
    assert "$11,232.00" in body  # the net total, all invoiced on the first day
    assert "Submit for approval" in body


@pytest.mark.parametrize(("given", "shown"), [("20", "20"), ("12.5", "12.5"), ("100", "100")])
def test_the_option_form_shows_the_discount_as_it_was_typed(
    client_for, account_manager, draft, given, shown
):
    client = client_for(account_manager)
    client.post(f"/manage/proposals/{draft.number}/options/", option_post(discount_percent=given))
    body = page(client.get(f"/manage/proposals/{draft.number}/"))
    field = re.search(r'<input[^>]*name="option2-discount_percent"[^>]*>', body).group()
    assert f'value="{shown}"' in field  # never 2E+1


def test_the_builder_says_when_each_option_starts(client_for, account_manager, draft):
    client = client_for(account_manager)
    client.post(f"/manage/proposals/{draft.number}/options/", option_post())
    body = page(client.get(f"/manage/proposals/{draft.number}/"))
    # Option 1 renews as is at the term's end; option 2 changes the plan on acceptance.
    assert 'At the term\'s end, <time datetime="2027-01-01">1 Jan 2027</time>' in body
    assert "On acceptance" in body
    assert "Each option starts on" not in body


def test_an_option_renewing_as_is_says_when_it_no_longer_matches_the_license(
    client_for, account_manager, draft, license
):
    client = client_for(account_manager)
    body = page(client.get(f"/manage/proposals/{draft.number}/"))
    assert "(as is)" in body and "Renew as is" in body
    assert "No longer matches the license" not in body

    # The customer added two seats after "renew as is" was written.
    type(license).objects.filter(pk=license.pk).update(seats=license.seats + 2)
    body = page(client.get(f"/manage/proposals/{draft.number}/"))

    # Beside "(as is)" in the table and the option's "Renew as is" badge.
    compare = re.search(r'<table class="table proposal-compare">.*?</table>', body, re.S).group()
    assert re.search(r"\(as is\)</span> <span[^>]*>No longer matches the license<", compare)
    card = re.search(r'<h3 id="option-1-title".*?</h3>\s*<p[^>]*>.*?</p>', body, re.S).group()
    assert re.search(r"Renew as is</span> <span[^>]*>No longer matches the license<", card)
    assert f"{license.seats + 2} seats" in card
    assert "so renewing as is would be a different plan" in card


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"seats": "lots"}, "Enter a whole number of seats."),
        ({"seats": "51"}, "Business allows at most 50 seats."),
        ({"seats": "5"}, "Business is sold from 10 seats."),
        ({"discount_percent": "120"}, "A discount is 0 to 100%."),
        ({"discount_percent": "-1"}, "A discount is 0 to 100%."),
        ({"discount_percent": "1000"}, "A discount is 0 to 100%."),
        ({"discount_percent": "abc"}, "Enter the discount as a number, e.g. 20 or 12.5."),
        ({"discount_percent": "99.999"}, "Use at most two decimal places."),
        ({"discount_percent": "12.3456"}, "Use at most two decimal places."),
        ({"discount_percent": "1e2"}, "Enter the discount as digits, e.g. 20 or 12.5, not as 1e2."),
        ({"discount_percent": "2.5E+1"}, "not as 1e2."),
        ({"discount_reason": ""}, "Say why the discount is given."),
        ({"tier_version": "999999"}, "Choose one of the tiers on offer."),
        ({"cycle": "monthly"}, "A monthly option&#x27;s term is one month."),
        ({"term_cycles": "5"}, "Choose a term of 1 to 3 years."),
    ],
)
def test_the_builder_answers_bad_input_with_400_and_writes_nothing(
    client_for, account_manager, draft, fields, message
):
    before = ProposalEvent.objects.count()
    response = client_for(account_manager).post(
        f"/manage/proposals/{draft.number}/options/", option_post(**fields)
    )
    assert response.status_code == 400
    assert message in page(response)
    assert ProposalOption.objects.count() == 1  # the draft's renew-as-is option
    assert ProposalEvent.objects.count() == before


@pytest.mark.parametrize("given", ["12.3456", "99.999", "1e2", "1E1"])
def test_a_discount_within_range_is_never_told_the_range(client_for, account_manager, draft, given):
    response = client_for(account_manager).post(
        f"/manage/proposals/{draft.number}/options/", option_post(discount_percent=given)
    )
    assert response.status_code == 400
    assert "A discount is 0 to 100%." not in page(response)


def test_the_details_form_refuses_a_past_date(client_for, account_manager, draft):
    response = client_for(account_manager).post(
        f"/manage/proposals/{draft.number}/details/",
        {"cover_note": "Hello", "valid_until": "2026-03-01", "roi": "none"},
    )
    assert response.status_code == 400
    assert "The offer must stay open after today." in page(response)
    assert draft.versions.get().cover_note == ""


def test_the_details_form_saves_the_note_and_validity(client_for, account_manager, draft):
    response = client_for(account_manager).post(
        f"/manage/proposals/{draft.number}/details/",
        {"cover_note": "Dear Olivia", "valid_until": "2026-04-30", "roi": "none"},
    )
    assert response.status_code == 302
    version = draft.versions.get()
    assert (version.cover_note, version.valid_until) == ("Dear Olivia", date(2026, 4, 30))


def test_the_history_says_who_did_what(client_for, account_manager, draft):
    body = page(client_for(account_manager).get(f"/manage/proposals/{draft.number}/"))
    assert "History" in body and "Created" in body and account_manager.email in body


def test_another_account_manager_gets_404(client_for, draft, organization, license):
    other = UserFactory(is_staff=True)
    other.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    OrganizationFactory(account_manager=other)
    client = client_for(other)
    assert client.get(f"/manage/proposals/{draft.number}/").status_code == 404
    assert (
        client.post(f"/manage/proposals/{draft.number}/options/", option_post()).status_code == 404
    )
    assert client.get(f"/manage/proposals/organizations/{organization.slug}/").status_code == 404
    assert (
        client.post(
            f"/manage/proposals/organizations/{organization.slug}/licenses/{license.pk}/new/"
        ).status_code
        == 404
    )
    assert "P-2026-0001" not in page(client.get("/manage/proposals/"))


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_customers_get_403(client_for, draft, request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/manage/proposals/").status_code == 403
    assert client.get(f"/manage/proposals/{draft.number}/").status_code == 403
    assert client.post(f"/manage/proposals/{draft.number}/withdraw/").status_code == 403
    assert draft.versions.get().status == ProposalStatus.DRAFT


def test_signed_out_visitors_are_sent_to_sign_in(client, draft):
    assert client.get(f"/manage/proposals/{draft.number}/")["Location"].startswith(
        "/accounts/login/"
    )


def test_an_admin_approves_from_the_approvals_page(client_for, license, account_manager):
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)
    client = client_for(approver())
    listing = page(client.get("/manage/proposals/approvals/"))
    assert proposal.number in listing
    # Why it waits, as the builder said it (walker: only "Largest discount" was shown).
    why = "Option 2: 20% off is above the approval threshold of 15%."
    assert why in listing
    builder = page(client.get(f"/manage/proposals/{proposal.number}/"))
    assert why in builder
    [reviewed] = re.findall(r'name="reviewed" value="(\d+)"', builder)
    response = client.post(
        f"/manage/proposals/{proposal.number}/approve/", {"comment": "OK", "reviewed": reviewed}
    )
    assert response.status_code == 302
    assert proposal.versions.get().status == ProposalStatus.APPROVED


def test_an_approval_of_a_version_changed_since_it_was_opened_is_400(
    client_for, license, account_manager, now
):
    # The admin opens the builder at 20 %; meanwhile the manager withdraws it from
    # approval, raises it to 60 % and submits it again.
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)
    client = client_for(approver())
    builder = page(client.get(f"/manage/proposals/{proposal.number}/"))
    [reviewed] = re.findall(r'name="reviewed" value="(\d+)"', builder)
    by = actor(account_manager)
    proposal_recall(proposal=proposal, actor=by, at=now)
    proposal_option_set(
        proposal=proposal,
        position=2,
        option=upgrade("business", 12, discount="60", term_cycles=3),
        actor=by,
        at=now,
    )
    proposal_submit(proposal=proposal, actor=by, at=now)

    for sent_along in ({"reviewed": reviewed}, {}):
        response = client.post(
            f"/manage/proposals/{proposal.number}/approve/", {"comment": "OK", **sent_along}
        )
        assert response.status_code == 400
        assert "changed since you opened it: review it again" in page(response)
    assert proposal.versions.get().status == ProposalStatus.AWAITING_APPROVAL
    assert not ProposalEvent.objects.filter(proposal=proposal, kind="approved").exists()


def test_a_version_awaiting_approval_offers_no_edit_and_refuses_one(
    client_for, license, account_manager
):
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)
    url = f"/manage/proposals/{proposal.number}"
    client = client_for(account_manager)
    builder = page(client.get(f"{url}/"))
    assert "It stays as it was submitted until then" in builder
    for offered in ("/options/", "/details/", "Add option", "Save option", "Remove option"):
        assert offered not in builder
    events = ProposalEvent.objects.filter(proposal=proposal).count()
    frozen = "P-2026-0001 v1 is awaiting approval: it stays as submitted."

    for path, data in (
        ("/options/", option_post()),
        ("/options/2/", {k.replace("new-", "option2-"): v for k, v in option_post().items()}),
        ("/options/1/remove/", {}),
        ("/details/", {"cover_note": "Changed", "valid_until": "2026-04-30", "roi": "none"}),
        ("/details/", {"cover_note": "Changed", "valid_until": "2026-03-01", "roi": "none"}),
    ):
        response = client.post(f"{url}{path}", data)
        assert response.status_code == 400, path
        assert frozen in page(response), path

    version = proposal.versions.get()
    assert (version.status, version.cover_note, version.valid_until) == (
        ProposalStatus.AWAITING_APPROVAL,
        "",
        date(2026, 4, 13),
    )
    assert list(version.options.values_list("seats", "discount_percent")) == [(5, 0), (12, 20)]
    assert ProposalEvent.objects.filter(proposal=proposal).count() == events


def test_back_to_draft_reopens_the_builder(client_for, license, account_manager):
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)
    url = f"/manage/proposals/{proposal.number}"
    client = client_for(account_manager)
    builder = page(client.get(f"{url}/"))
    # A POST form of its own, with its CSRF token, whose label is not one word away from
    # "Withdraw the proposal" (the other button of the section).
    assert re.search(
        rf'<form method="post" action="{url}/recall/">\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken" value="[^"]+">\s*<button[^>]*>Back to draft<',
        builder,
    )
    assert "takes this version out of approval so it can be changed" in builder
    assert "Withdraw from approval" not in builder
    assert client.get(f"{url}/recall/").status_code == 405

    response = client.post(f"{url}/recall/", follow=True)

    assert response.redirect_chain == [(f"{url}/", 302)]
    assert "Back to draft: out of approval, it can be changed." in page(response)
    assert "Withdrawn from approval: back to draft" in page(response)  # the history
    assert "Add option" in page(response) and "Submit for approval" in page(response)
    assert proposal.versions.get().status == ProposalStatus.DRAFT
    event = ProposalEvent.objects.filter(proposal=proposal).latest("pk")
    assert (event.kind, event.actor) == ("recalled", account_manager)

    saved = client.post(
        f"{url}/details/", {"cover_note": "Hi", "valid_until": "2026-04-30", "roi": "none"}
    )
    assert saved.status_code == 302
    assert proposal.versions.get().cover_note == "Hi"


def test_withdrawing_from_approval_is_refused_once_it_is_not_waiting(
    client_for, license, account_manager
):
    proposal = proposal_in(license, account_manager, ProposalStatus.APPROVED)
    response = client_for(account_manager).post(f"/manage/proposals/{proposal.number}/recall/")
    assert response.status_code == 400
    assert "P-2026-0001 v1 is not awaiting approval (Approved, ready to send)." in page(response)
    assert proposal.versions.get().status == ProposalStatus.APPROVED


def test_only_those_who_see_the_proposal_withdraw_it_from_approval(
    client_for, license, account_manager, owner
):
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)
    other = UserFactory(is_staff=True)
    other.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    url = f"/manage/proposals/{proposal.number}/recall/"
    assert client_for(other).post(url).status_code == 404
    assert client_for(owner).post(url).status_code == 403
    assert proposal.versions.get().status == ProposalStatus.AWAITING_APPROVAL
    assert not ProposalEvent.objects.filter(proposal=proposal, kind="recalled").exists()


def test_a_rejection_without_a_comment_is_400(client_for, license, account_manager):
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)
    response = client_for(approver()).post(
        f"/manage/proposals/{proposal.number}/reject/", {"comment": " "}
    )
    assert response.status_code == 400
    assert "Say why it is rejected" in page(response)
    assert proposal.versions.get().status == ProposalStatus.AWAITING_APPROVAL


def test_an_over_long_approval_comment_is_400_and_approves_nothing(
    client_for, license, account_manager
):
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)
    response = client_for(approver()).post(
        f"/manage/proposals/{proposal.number}/approve/", {"comment": "x" * 2001}
    )
    assert response.status_code == 400
    assert "at most 2000 characters" in page(response)
    assert proposal.versions.get().status == ProposalStatus.AWAITING_APPROVAL
    assert not ProposalEvent.objects.filter(proposal=proposal, kind="approved").exists()


def test_an_account_manager_cannot_approve(client_for, license, account_manager):
    proposal = proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)
    client = client_for(account_manager)
    refused = client.get("/manage/proposals/approvals/")
    assert refused.status_code == 403
    # Staff are told whom to ask (walker: they were sent to "an owner of your organization").
    assert "ask an admin to change your staff role" in page(refused)
    assert "an owner of your organization" not in page(refused)
    # Her own account's proposal: she may see it, not approve or reject it (403, as the
    # approvals page; an account not hers is a 404).
    for decision in ("approve", "reject"):
        refused = client.post(f"/manage/proposals/{proposal.number}/{decision}/")
        assert refused.status_code == 403
        assert "Approvals are for admins." in refused.content.decode()
    assert proposal.versions.get().status == ProposalStatus.AWAITING_APPROVAL


def test_the_roi_link_is_checked_by_the_calculators_form(client_for, account_manager, draft):
    client = client_for(account_manager)
    url = f"/manage/proposals/{draft.number}/details/"
    data = {"valid_until": "2026-04-13", "roi": "inputs"}
    bad = client.post(url, {**data, "roi_link": "http://testserver/roi/?team_size=lots"})
    assert bad.status_code == 400
    assert "Enter a whole number of people, e.g. 25." in page(bad)
    assert draft.versions.get().roi_inputs == {}

    good = client.post(url, {**data, "roi_link": "http://testserver/roi/?team_size=40"})
    assert good.status_code == 302
    assert draft.versions.get().roi_inputs["team_size"] == "40"


def test_the_admins_index_leads_to_the_proposals_waiting_for_approval(
    client_for, license, account_manager
):
    """Admins sign in to the Django admin: its index says how many proposals wait for
    their approval and links the queue, the book and the proposals."""
    client = client_for(approver())
    before = client.get("/admin/").content.decode()
    assert 'href="/manage/proposals/approvals/"' in before
    assert "No proposal is waiting for approval" in before

    proposal_in(license, account_manager, ProposalStatus.AWAITING_APPROVAL)

    after = client.get("/admin/").content.decode()
    assert "1 proposal waiting for your approval" in after
    assert 'href="/manage/"' in after and 'href="/manage/proposals/"' in after


def test_an_accepted_proposal_keeps_the_dates_it_was_accepted_with(
    client_for, license, account_manager, catalog, now
):
    """Opened days after the customer accepted, the builder still shows each option
    starting, and invoiced, on the day it was accepted."""
    import time_machine

    from tests.helpers.proposals import sent_version

    version = sent_version(
        license,
        catalog,
        [{"tier": "business", "seats": 10}],
        prepared_by=account_manager,
    )
    type(version).objects.filter(pk=version.pk).update(
        status=ProposalStatus.ACCEPTED, accepted_option=version.options.get(), answered_at=now
    )

    with time_machine.travel(date(2026, 3, 24), tick=False):
        page = client_for(account_manager).get(f"/manage/proposals/{version.proposal.number}/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "14 Mar 2026" in text
    assert "24 Mar 2026" not in text
