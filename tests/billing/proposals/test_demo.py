from django.core.management import call_command

from billing.models import Checkout, CheckoutStatus, Proposal, ProposalStatus
from portal.models import OutboundEmail


def test_the_demo_has_a_proposal_in_each_state_once(db):
    call_command("demo", force=True, verbosity=0)
    call_command("demo", force=True, verbosity=0)

    statuses = {
        proposal.organization.slug: proposal.versions.get().status
        for proposal in Proposal.objects.all()
    }
    assert statuses == {
        "northwind-analytics": ProposalStatus.DRAFT,
        "acme-robotics": ProposalStatus.AWAITING_APPROVAL,
        "globex-health": ProposalStatus.SENT,
        "vandelay-industries": ProposalStatus.ACCEPTED,
    }
    acme = Proposal.objects.get(organization__slug="acme-robotics").versions.get()
    assert acme.options.filter(discount_percent=20).exists()
    assert acme.proposal.prepared_by.email == "maya@tierwise.test"


def test_the_demos_sent_proposal_has_its_pdf_and_one_email_without_a_worker(db):
    call_command("demo", force=True, verbosity=0)
    call_command("demo", force=True, verbosity=0)

    version = Proposal.objects.get(organization__slug="globex-health").versions.get()
    assert version.sent_at is not None and version.pdf_attempts == 1
    assert bytes(version.pdf).startswith(b"%PDF")
    # The owner, the billing admin and the billing address, once each however often the
    # demo runs.
    assert sorted(
        OutboundEmail.objects.filter(subject__startswith=f"Proposal {version.label}").values_list(
            "to", flat=True
        )
    ) == ["gina@globex.test", "hugo@globex.test", "rechnungen@globex.test"]


def test_the_demos_accepted_proposal_bought_what_it_offered(db):
    call_command("demo", force=True, verbosity=0)
    call_command("demo", force=True, verbosity=0)

    version = Proposal.objects.get(organization__slug="vandelay-industries").versions.get()
    option = version.accepted_option
    license = version.proposal.license
    license.refresh_from_db()
    assert (license.version.tier.slug, license.seats) == ("business", option.seats)
    assert option.discount_percent == 10
    checkout = Checkout.objects.get(proposal=version.proposal)
    assert checkout.proposal_option == option
    assert checkout.status == CheckoutStatus.CONFIRMED
    assert checkout.invoice is not None and checkout.invoice.total > 0
