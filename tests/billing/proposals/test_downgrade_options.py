"""An option of a lower tier than the license's takes effect on acceptance, while a
downgrade takes effect at the end of the term (../shared/PRODUCT.md, rule 4): the
builder refuses one; one that became a downgrade since (the license moved up after it
was added) is marked in the builder, not sent and not accepted, and nothing changes."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing.models import Checkout, Invoice, Proposal
from billing.proposals.acceptance import ProposalRefused, accept_preview, proposal_accept
from billing.proposals.options import OptionInput
from billing.proposals.options import ProposalRefused as OptionRefused
from billing.proposals.sending import proposal_send, send_refusal
from billing.proposals.services import proposal_create, proposal_option_set
from licensing.licenses.services import Actor
from tests.helpers.checkout import confirm
from tests.helpers.proposals import sent_version

TODAY_OPTION = {"tier": "team", "seats": 8, "cycle": "annual"}
LOWERED = r"would now lower it \(from Business, 10 seats, to Team, 8 seats\)"


def _moved_up_to_business(license, owner):
    confirm(license.organization, license, owner, tier="business", seats=10, cycle="annual")
    license.refresh_from_db()
    assert license.version.tier.slug == "business"


def _refused(proposal, option, account_manager, now) -> dict[str, str]:
    """The builder's refusal of `option`, by field."""
    with pytest.raises(OptionRefused) as refused:
        proposal_option_set(
            proposal=proposal, position=None, option=option, actor=Actor.of(account_manager), at=now
        )
    return refused.value.errors


def test_the_builder_refuses_an_option_of_a_lower_tier(license, catalog, account_manager, now):
    proposal = proposal_create(license=license, actor=Actor.of(account_manager), at=now)
    starter = OptionInput(tier_version=catalog.version("starter"), seats=3, cycle="annual")
    refused = _refused(proposal, starter, account_manager, now)
    assert "Starter does not rank above the license's Team" in refused["tier_version"]
    assert "takes effect at the end of the term" in refused["tier_version"]
    same = OptionInput(tier_version=catalog.version("team"), seats=8, cycle="annual")
    assert proposal_option_set(
        proposal=proposal, position=None, option=same, actor=Actor.of(account_manager), at=now
    )


def test_an_option_that_became_a_downgrade_is_neither_sent_nor_accepted(
    license, catalog, owner, account_manager, client_for, now
):
    draft = sent_version(license, catalog, [TODAY_OPTION], prepared_by=account_manager)
    draft.status = "draft"
    draft.sent_at = None
    draft.save()
    sent = sent_version(license, catalog, [TODAY_OPTION], prepared_by=account_manager)
    _moved_up_to_business(license, owner)
    invoices = Invoice.objects.count()

    why = send_refusal(draft, today=now.date())
    assert why.startswith(
        "Option 1 is now a downgrade: Team does not rank above the license's Business"
    )
    with pytest.raises(ValidationError, match="Option 1 is now a downgrade"):
        proposal_send(version=draft, actor=Actor.of(account_manager), at=now)

    option = sent.options.get()
    for answer in (accept_preview, proposal_accept):
        with pytest.raises(ProposalRefused, match=LOWERED):
            answer(version=sent, option=option, user=owner)
    license.refresh_from_db()
    assert license.version.tier.slug == "business" and license.seats == 10
    assert Invoice.objects.count() == invoices
    assert not Checkout.objects.filter(proposal_option=option).exists()

    page = client_for(account_manager).get(
        reverse("manage_proposal", args=[Proposal.objects.get(pk=draft.proposal_id).number])
    )
    assert "Now a downgrade" in page.content.decode()


def test_another_tier_of_the_same_rank_waits_as_in_the_checkout(
    license, catalog, account_manager, now
):
    """Tier.order is not unique (a tier made in the admin ranks 0 unless set): another
    tier of the same rank is not a move up, so the checkout schedules it for the term's
    end, and the builder refuses it as an option taking effect on acceptance; the
    license's own tier (another version, more seats) stays an option."""
    from licensing.models import Tier

    team = Tier.objects.get(slug="team")
    Tier.objects.filter(slug="starter").update(order=team.order)
    proposal = proposal_create(license=license, actor=Actor.of(account_manager), at=now)
    starter = OptionInput(tier_version=catalog.version("starter"), seats=3, cycle="annual")
    refused = _refused(proposal, starter, account_manager, now)
    assert "Starter does not rank above the license's Team" in refused["tier_version"]


def test_the_builder_refuses_fewer_seats_than_the_license_has(
    license, catalog, account_manager, now
):
    """Fewer seats wait for the term's end in the checkout: as an option taking effect on
    acceptance they are refused (the license has 5); as many or more are an option."""
    proposal = proposal_create(license=license, actor=Actor.of(account_manager), at=now)
    fewer = OptionInput(tier_version=catalog.version("team"), seats=4, cycle="annual")
    refused = _refused(proposal, fewer, account_manager, now)
    assert refused["seats"].startswith("The license has 5 seats")
    same = OptionInput(tier_version=catalog.version("team"), seats=5, cycle="annual")
    assert proposal_option_set(
        proposal=proposal, position=None, option=same, actor=Actor.of(account_manager), at=now
    )


def test_the_customers_page_marks_an_option_it_can_no_longer_accept(
    license, catalog, owner, account_manager, client_for, now
):
    sent = sent_version(
        license,
        catalog,
        [TODAY_OPTION, {"tier": "business", "seats": 12}],
        prepared_by=account_manager,
    )
    _moved_up_to_business(license, owner)
    page = (
        client_for(owner)
        .get(reverse("proposal_detail", args=[license.organization.slug, sent.proposal_id]))
        .content.decode()
    )
    team, business = sent.options.order_by("position")
    accept = "/app/{}/proposals/{}/accept/{}/"
    assert accept.format("northwind", sent.proposal_id, team.pk) not in page
    assert accept.format("northwind", sent.proposal_id, business.pk) in page
    assert "No longer available" in page
    assert "this option would now lower it (from Business, 10 seats, to Team, 8 seats)" in page
