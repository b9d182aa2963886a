import pytest

from billing.models import BillingDetails
from tests.billing.proposal_delivery.data import (
    ROI_INPUTS,
    make_proposal,
    make_version,
    northwind_license,
)


@pytest.fixture
def manager(account_manager):
    account_manager.first_name, account_manager.last_name = "Maya", "Lindqvist"
    account_manager.save()
    return account_manager


@pytest.fixture
def license_(organization, catalog):
    return northwind_license(organization, catalog)


@pytest.fixture
def proposal(license_, manager):
    return make_proposal(license_, prepared_by=manager)


@pytest.fixture
def version(proposal, catalog):
    """v1: the three options (a 20 % discount on option 2), with the customer's numbers."""
    return make_version(
        proposal,
        catalog,
        roi_inputs=ROI_INPUTS,
        cover_note="Your API use outgrew Team this year.\nHere are three ways forward.",
    )


@pytest.fixture
def billing_address(organization):
    BillingDetails.objects.update_or_create(
        organization=organization, defaults={"billing_emails": ["ap@northwind.example"]}
    )
    return "ap@northwind.example"
