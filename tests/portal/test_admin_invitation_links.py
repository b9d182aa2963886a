"""Staff never get a link that accepts an invitation: the organization's admin page lists
its invitations without Django's "View on site" (which led to the invitation's token
URL), and the admin's view-on-site shortcut has no page to send anyone to for an
invitation — not the admin, nor an account manager, of this customer or another."""

import pytest
from django.contrib.contenttypes.models import ContentType

from portal.models import Invitation
from tests.factories import InvitationFactory


def _page(organization) -> str:
    return f"/admin/portal/organization/{organization.pk}/change/"


def _view_on_site(invitation) -> str:
    """The admin's shortcut /admin/r/<content type>/<id>/, which "View on site" links to."""
    content_type = ContentType.objects.get_for_model(Invitation)
    return f"/admin/r/{content_type.pk}/{invitation.pk}/"


@pytest.fixture
def pending(organization, owner):
    return InvitationFactory(
        organization=organization, email="pending@example.test", invited_by=owner
    )


def test_the_organization_page_lists_an_invitation_without_its_link(
    admin_client, organization, pending
):
    page = admin_client.get(_page(organization))

    html = page.content.decode()
    assert page.status_code == 200
    assert "pending@example.test" in html
    assert pending.token not in html
    assert "/invitations/" not in html
    assert _view_on_site(pending) not in html
    assert "View on site" not in html.split('id="invitations-group"')[1]


def test_the_view_on_site_shortcut_has_no_page_for_an_invitation(
    admin_client, client_for, account_manager, outsider, organization, pending
):
    theirs = InvitationFactory(organization=outsider.memberships.get().organization)

    for client, invitation in (
        (admin_client, pending),
        (client_for(account_manager), pending),
        (client_for(account_manager), theirs),
    ):
        response = client.get(_view_on_site(invitation))
        assert response.status_code == 404
        assert invitation.token not in response.get("Location", "")
