"""On PostgreSQL, two acceptances of one proposal at the same moment (the owner and the
billing admin each clicking Confirm on a different option): they queue on the proposal's
row (lock 0), so one makes its change, with one checkout and one invoice, and the other
is refused, saying the proposal was accepted already. Behind the lock, the partial unique
constraint allows one confirmed checkout per proposal."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.models import Checkout, CheckoutStatus, Invoice, ProposalStatus, ProposalVersion
from billing.proposals.acceptance import (
    Acceptance,
    ProposalRefused,
    accept_preview,
    proposal_accept,
)
from licensing.models import EventKind, LicenseEvent
from tests.helpers.concurrency import run_together
from tests.helpers.proposals import sent_version, team_for_2026
from tests.helpers.services import NEEDS_POSTGRESQL

pytestmark = pytest.mark.integration


@pytest.fixture
def version(organization, catalog, now):
    license = team_for_2026(organization, catalog)
    return sent_version(
        license,
        catalog,
        [
            {"tier": "team", "seats": 8},
            {
                "tier": "business",
                "seats": 10,
                "term_cycles": 3,
                "discount_percent": Decimal(20),
                "discount_reason": "three-year commitment",
            },
        ],
    )


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_acceptances_at_once_make_one_change_and_one_clear_refusal(
    version, owner, billing_admin
):
    first, second = version.options.order_by("position")
    shown = {
        first.pk: accept_preview(version=version, option=first, user=owner).digest,
        second.pk: accept_preview(version=version, option=second, user=billing_admin).digest,
    }

    def accepting(option, user):
        return lambda: proposal_accept(
            version=version, option=option, user=user, digest=shown[option.pk]
        )

    outcomes = run_together([accepting(first, owner), accepting(second, billing_admin)])

    accepted = [outcome for outcome in outcomes if isinstance(outcome, Acceptance)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ProposalRefused)]
    assert len(accepted) == 1 and len(refused) == 1, outcomes
    assert "accepted already" in refused[0].message
    winner = accepted[0]
    checkout = Checkout.objects.get(proposal=version.proposal)
    assert checkout.pk == winner.checkout.pk
    assert checkout.status == CheckoutStatus.CONFIRMED
    assert checkout.proposal_option_id == winner.option.pk
    assert Invoice.objects.get().pk == checkout.invoice_id
    version.refresh_from_db()
    assert (version.status, version.accepted_option_id) == (
        ProposalStatus.ACCEPTED,
        winner.option.pk,
    )
    license = version.proposal.license
    assert LicenseEvent.objects.filter(license=license, kind=EventKind.SEATS).count() == 1
    print(
        f"\ntwo acceptances of {version.label} at once: option {winner.option.position} "
        f"accepted (checkout {checkout.pk}), the other refused: {refused[0].message}"
    )


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_the_database_allows_one_confirmed_checkout_per_proposal(version, owner):
    option = version.options.first()
    proposal_accept(version=version, option=option, user=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Checkout.objects.create(
            organization=version.proposal.organization,
            license=version.proposal.license,
            proposal=version.proposal,
            proposal_option=option,
            status=CheckoutStatus.CONFIRMED,
        )


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_the_database_allows_one_accepted_version_per_proposal(version, owner, catalog):
    # A version started from the sent one before the customer accepted it: whatever a
    # path forgets, the second acceptance (a renewal as is makes no checkout) is refused.
    proposal_accept(version=version, option=version.options.first(), user=owner)
    following = sent_version(
        version.proposal.license,
        catalog,
        [{"seats": 5, "renew_as_is": True}],
        proposal=version.proposal,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalVersion.objects.filter(pk=following.pk).update(
            status=ProposalStatus.ACCEPTED, accepted_option=following.options.get()
        )
