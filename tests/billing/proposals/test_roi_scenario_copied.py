"""A version's ROI numbers are its own copy: choosing one of the customer's saved
scenarios copies its numbers, name and id into the version (billing.proposals.services
proposal_edit), so a member deleting the scenario afterwards (portal.views.roi, any
member may) changes nothing in a version awaiting approval, a sent one, its builder
page or its PDF's content."""

import pytest
from django.urls import reverse

from billing.models import ProposalEventKind, ProposalStatus, RoiScenario
from billing.proposals.content import proposal_content
from billing.proposals.documents import content_day
from billing.proposals.services import (
    Edit,
    last_event_id,
    proposal_approve,
    proposal_edit,
    proposal_submit,
)
from portal import clock
from tests.billing.proposal_delivery.data import (
    ROI_INPUTS,
    delete_scenario,
    northwind_license,
    saved_scenario,
)
from tests.factories.proposals import actor, approver, proposal_in, sent, upgrade


@pytest.fixture
def license_(organization, catalog):
    return northwind_license(organization, catalog)


@pytest.fixture
def scenario(license_):
    return saved_scenario(license_.organization)


def roi_said(version) -> tuple:
    """What the version's PDF says of the ROI: its source and each option's figures."""
    roi = proposal_content(version, content_day(version) if version.sent_at else clock.today()).roi
    return roi.source, [(row.option.label, row.result.annual_net) for row in roi.rows]


def builder(client, proposal) -> str:
    response = client.get(reverse("manage_proposal", args=[proposal.number]))
    assert response.status_code == 200
    return response.content.decode()


def test_deleting_the_scenario_leaves_a_version_awaiting_approval_as_submitted(
    license_, scenario, account_manager, teammate, client_for, now
):
    proposal = proposal_in(
        license_, account_manager, options=[upgrade("business", 20, discount="20", term_cycles=3)]
    )
    by = actor(account_manager)
    proposal_edit(proposal=proposal, edit=Edit(roi_scenario=scenario), actor=by, at=now)
    proposal_submit(proposal=proposal, actor=by, at=now)
    version = proposal.versions.get()
    assert version.status == ProposalStatus.AWAITING_APPROVAL
    events_before = proposal.events.count()
    reviewed = last_event_id(proposal)
    said = roi_said(version)

    # A plain member of the customer deletes the organization's saved scenario.
    delete_scenario(client_for(teammate), scenario)

    version.refresh_from_db()
    # The frozen version must still say what was submitted (its ROI projection), or the
    # change must at least be on record.
    assert version.roi_scenario_id == scenario.pk or proposal.events.count() > events_before
    assert (version.roi_inputs, version.roi_scenario_name) == (ROI_INPUTS, "Ops team")
    assert roi_said(version) == said == ("Saved scenario “Ops team”", said[1])
    assert said[1]  # a projection for the option, not an empty one
    # What the admin approves is what was submitted: nothing changed since it was opened.
    proposal_approve(
        proposal=proposal, actor=actor(approver()), comment="Fine.", at=now, reviewed=reviewed
    )
    assert proposal.versions.get().status == ProposalStatus.APPROVED


def test_deleting_the_scenario_changes_nothing_in_a_sent_version_or_its_builder(
    license_, scenario, account_manager, owner, client_for, now
):
    proposal = proposal_in(license_, account_manager, options=[upgrade("business", 20)])
    proposal_edit(
        proposal=proposal, edit=Edit(roi_scenario=scenario), actor=actor(account_manager), at=now
    )
    version = sent(proposal, account_manager)
    said = roi_said(version)
    staff = client_for(account_manager)
    assert "ROI projection: Saved scenario “Ops team”" in builder(staff, proposal)

    delete_scenario(client_for(owner), scenario)

    version.refresh_from_db()
    assert (version.roi_inputs, version.roi_scenario_name, version.roi_scenario_id) == (
        ROI_INPUTS,
        "Ops team",
        scenario.pk,
    )
    assert roi_said(version) == said
    page = builder(client_for(account_manager), proposal)
    assert "ROI projection: Saved scenario “Ops team”" in page
    assert "Keep the numbers copied from “Ops team”" in page


def test_the_builder_keeps_the_copy_of_a_deleted_scenario_when_the_version_is_edited(
    license_, scenario, account_manager, owner, client_for, now
):
    """Saving the cover note with the scenario's copy kept (no scenario chosen: the
    scenario is gone from the list) refuses nothing and keeps the numbers; the next
    version, started from the sent one, copies them too."""
    proposal = proposal_in(license_, account_manager, options=[upgrade("business", 20)])
    proposal_edit(
        proposal=proposal, edit=Edit(roi_scenario=scenario), actor=actor(account_manager), at=now
    )
    sent(proposal, account_manager)
    delete_scenario(client_for(owner), scenario)

    response = client_for(account_manager).post(
        reverse("manage_proposal_details", args=[proposal.number]),
        {"cover_note": "Updated figures.", "valid_until": "2026-04-13", "roi": "scenario"},
    )

    assert response.status_code == 302
    following = proposal.versions.get(number=2)
    assert following.cover_note == "Updated figures."
    assert (following.roi_inputs, following.roi_scenario_name) == (ROI_INPUTS, "Ops team")
    edited = proposal.events.filter(kind=ProposalEventKind.EDITED).latest("pk")
    assert (edited.proposal_version, set(edited.changes)) == (following, {"cover note"})
    assert roi_said(following)[0] == "Saved scenario “Ops team”"


def test_choosing_the_scenario_again_copies_its_numbers_afresh(
    license_, scenario, account_manager, now
):
    """The copy changes only by the account manager's edit, on record: a scenario of
    the same name saved again with other numbers is copied when it is chosen."""
    proposal = proposal_in(license_, account_manager, options=[upgrade("business", 20)])
    by = actor(account_manager)
    proposal_edit(proposal=proposal, edit=Edit(roi_scenario=scenario), actor=by, at=now)
    scenario.delete()
    again = RoiScenario.objects.create(
        organization=license_.organization,
        name="Ops team",
        query={**ROI_INPUTS, "team_size": "35"},
    )

    proposal_edit(proposal=proposal, edit=Edit(roi_scenario=again), actor=by, at=now)

    version = proposal.versions.get()
    assert (version.roi_inputs["team_size"], version.roi_scenario_id) == ("35", again.pk)
    last = proposal.events.filter(kind=ProposalEventKind.EDITED).latest("pk")
    assert set(last.changes) == {"ROI inputs"}
