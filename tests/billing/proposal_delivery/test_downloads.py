"""Every sent version's PDF stays downloadable: by the organization's account manager
and admins under /manage/, by its members under /proposals/; everyone else gets 404."""

from datetime import datetime

import pytest
from django.contrib.auth.models import Group

from billing.models import ProposalVersion
from portal.models import ACCOUNT_MANAGERS_GROUP
from tests.billing.proposal_delivery.data import OptionSpec, make_version
from tests.factories import UserFactory
from tests.factories.proposals import sent

AT = datetime.fromisoformat("2026-03-14T09:30:00+00:00")


@pytest.fixture
def two_sent(proposal, catalog, manager):
    """v1 superseded by v2, both sent (billing.proposals.sending) with their PDFs stored
    (stand-ins: the delivery that renders them is test_sending's)."""
    make_version(proposal, catalog, options=[OptionSpec("business", 20)])
    first = sent(proposal, manager, at=AT)
    make_version(proposal, catalog, number=2, options=[OptionSpec("business", 25)])
    second = sent(proposal, manager, at=AT)
    for version, pdf in ((first, b"%PDF v1"), (second, b"%PDF v2")):
        ProposalVersion.objects.filter(pk=version.pk).update(pdf=pdf, pdf_rendered_at=AT)
    return proposal


def staff_url(proposal, number):
    return f"/manage/proposals/{proposal.pk}/versions/{number}.pdf"


def customer_url(proposal, number):
    return f"/proposals/{proposal.pk}/versions/{number}.pdf"


@pytest.mark.parametrize("who", ["manager", "admin_user"])
def test_the_account_manager_and_admins_download_every_sent_version(
    request, client_for, two_sent, who
):
    client = client_for(request.getfixturevalue(who))

    for number, body in ((1, b"%PDF v1"), (2, b"%PDF v2")):
        response = client.get(staff_url(two_sent, number))
        assert response.status_code == 200
        assert response.content == body
        assert response["Content-Type"] == "application/pdf"
        assert (
            response["Content-Disposition"] == f'attachment; filename="P-2026-0042 v{number}.pdf"'
        )


def test_another_account_manager_gets_404_and_customers_403_under_manage(
    client_for, two_sent, owner
):
    other = UserFactory(is_staff=True)
    other.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))

    assert client_for(other).get(staff_url(two_sent, 1)).status_code == 404
    # As every /manage/ page (portal.access.require_account_manager): staff only.
    assert client_for(owner).get(staff_url(two_sent, 1)).status_code == 403


@pytest.mark.parametrize("who", ["owner", "billing_admin", "teammate"])
def test_members_download_every_sent_version(request, client_for, two_sent, who):
    client = client_for(request.getfixturevalue(who))

    assert client.get(customer_url(two_sent, 1)).content == b"%PDF v1"
    assert client.get(customer_url(two_sent, 2)).content == b"%PDF v2"


def test_outsiders_get_404_and_strangers_sign_in(client, client_for, two_sent, outsider):
    assert client.get(customer_url(two_sent, 1)).status_code == 302  # to sign in
    assert client_for(outsider).get(customer_url(two_sent, 1)).status_code == 404


def test_a_version_never_sent_has_no_pdf(client_for, proposal, catalog, owner, manager):
    make_version(proposal, catalog, options=[OptionSpec("business", 20)])

    assert client_for(owner).get(customer_url(proposal, 1)).status_code == 404
    assert client_for(manager).get(staff_url(proposal, 1)).status_code == 404


def test_a_pdf_not_rendered_yet_says_so(client_for, proposal, catalog, owner, manager):
    make_version(proposal, catalog, options=[OptionSpec("business", 20)])
    sent(proposal, manager, at=AT)  # the delivery, run on commit, never runs here

    response = client_for(owner).get(customer_url(proposal, 1))

    assert response.status_code == 409
    assert "being prepared" in response.content.decode()
