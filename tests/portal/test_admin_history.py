import pytest

from tests.factories import OrganizationFactory


@pytest.mark.parametrize(
    "path",
    [
        "/admin/portal/organization/abc/history/",
        "/admin/portal/organization/{pk}/history/abc/",
        "/admin/licensing/tier/abc/history/",
        "/admin/licensing/tierversion/1/history/abc/",
    ],
)
def test_it_answers_a_malformed_history_url_with_404(client_for, admin_user, path):
    organization = OrganizationFactory()
    response = client_for(admin_user).get(path.format(pk=organization.pk))
    assert response.status_code == 404


def test_it_still_shows_the_history_of_a_real_object(client_for, admin_user):
    organization = OrganizationFactory(name="Historic Ltd")
    response = client_for(admin_user).get(f"/admin/portal/organization/{organization.pk}/history/")
    assert response.status_code == 200
    assert "Historic Ltd" in response.content.decode()
