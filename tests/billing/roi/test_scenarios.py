"""Saved scenarios: save, list, reopen, delete, bad names, and outsiders get 404."""

from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from billing.models import RoiScenario
from tests.helpers.roi import GOOD

QUERY = urlencode({**GOOD, "product": "widget", "hours_business": "4"})
LIST = "/app/northwind/roi/scenarios/"


@pytest.fixture
def scenario(owner, organization, roi_catalog):
    return RoiScenario.objects.create(
        organization=organization,
        name="Fifty people",
        query={**GOOD, "product": "widget"},
        created_by=owner,
    )


def test_it_saves_the_validated_inputs(client_for, teammate, organization, roi_catalog):
    client = client_for(teammate)
    response = client.post(LIST, {"name": "  Renewal 2027 ", "query": QUERY})
    assert response.status_code == 302
    saved = RoiScenario.objects.get(organization=organization)
    assert saved.name == "Renewal 2027"
    assert saved.created_by == teammate
    assert saved.query["hours_business"] == "4"
    assert saved.query["hourly_cost"] == "75"
    assert all(isinstance(value, str) for value in saved.query.values())
    assert urlparse(response.url).path == "/roi/"
    assert parse_qs(urlparse(response.url).query)["hours_business"] == ["4"]
    assert "Saved the scenario" in client.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the scenario a name."),
        ("x" * 81, "Keep the name to 80 characters (it has 81)."),
        ("fifty PEOPLE", "Northwind already has a scenario called"),
    ],
)
def test_it_refuses_a_bad_name_beside_the_field(client_for, owner, scenario, name, message):
    response = client_for(owner).post(LIST, {"name": name, "query": QUERY})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert RoiScenario.objects.count() == 1
    # The calculator is still there with the inputs being saved.
    assert response.context["form"]["hours_business"].value() == "4"


def test_it_refuses_inputs_the_calculator_would_refuse(client_for, owner, roi_catalog):
    query = urlencode({**GOOD, "product": "widget", "team_size": "-1"})
    response = client_for(owner).post(LIST, {"name": "Bad", "query": query})
    assert response.status_code == 422
    assert "The team size must be at least 1." in response.content.decode()
    assert not RoiScenario.objects.exists()


def test_it_lists_reopens_and_deletes(client_for, teammate, scenario):
    client = client_for(teammate)
    page = client.get(LIST).content.decode()
    assert "Fifty people" in page
    opened = client.get(f"{LIST}{scenario.pk}/")
    assert opened.status_code == 302
    assert parse_qs(urlparse(opened.url).query)["team_size"] == ["50"]
    deleted = client.post(f"{LIST}{scenario.pk}/delete/")
    assert (deleted.status_code, deleted["Location"]) == (302, LIST)
    assert not RoiScenario.objects.exists()


def test_it_lets_two_organizations_use_the_same_name(client_for, outsider, scenario):
    response = client_for(outsider).post(
        "/app/elsewhere/roi/scenarios/", {"name": "Fifty people", "query": QUERY}
    )
    assert response.status_code == 302
    assert RoiScenario.objects.filter(name="Fifty people").count() == 2


def test_it_hides_every_scenario_url_from_outsiders(client_for, outsider, scenario):
    client = client_for(outsider)
    assert client.get(LIST).status_code == 404
    assert client.post(LIST, {"name": "Mine now", "query": QUERY}).status_code == 404
    assert client.get(f"{LIST}{scenario.pk}/").status_code == 404
    assert client.post(f"{LIST}{scenario.pk}/delete/").status_code == 404
    # Nor through their own organization's URLs.
    assert client.get(f"/app/elsewhere/roi/scenarios/{scenario.pk}/").status_code == 404
    assert client.post(f"/app/elsewhere/roi/scenarios/{scenario.pk}/delete/").status_code == 404
    assert list(RoiScenario.objects.values_list("pk", "name")) == [(scenario.pk, scenario.name)]


def test_it_sends_visitors_to_sign_in(client, scenario):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={LIST}"


def test_it_deletes_only_by_post(client_for, owner, scenario):
    assert client_for(owner).get(f"{LIST}{scenario.pk}/delete/").status_code == 405
    assert RoiScenario.objects.exists()
