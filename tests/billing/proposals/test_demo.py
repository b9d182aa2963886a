from django.core.management import call_command

from billing.models import Proposal, ProposalStatus


def test_the_demo_has_a_draft_and_a_proposal_awaiting_approval_once(db):
    call_command("demo", force=True, verbosity=0)
    call_command("demo", force=True, verbosity=0)

    statuses = {
        proposal.organization.slug: proposal.versions.get().status
        for proposal in Proposal.objects.all()
    }
    assert statuses == {
        "northwind-analytics": ProposalStatus.DRAFT,
        "acme-robotics": ProposalStatus.AWAITING_APPROVAL,
    }
    acme = Proposal.objects.get(organization__slug="acme-robotics").versions.get()
    assert acme.options.filter(discount_percent=20).exists()
    assert acme.proposal.prepared_by.email == "maya@tierwise.test"
