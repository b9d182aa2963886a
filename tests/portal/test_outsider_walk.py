"""Every page and action under /app/<slug>/, and every staff page, walked from the URL
resolver, so a view added later is covered without editing a list: an outsider (the
owner of another organization, or an account manager of other customers) gets 404 and
changes nothing; an anonymous visitor is sent to log in."""

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver

from billing.checkout.services import checkout_start
from billing.models import RoiScenario
from licensing.api.tokens import api_token_create
from licensing.models import ApiToken, License, LicenseEvent, Trial
from portal.models import ACCOUNT_MANAGERS_GROUP, Invitation, Membership, Organization
from tests.factories import InvitationFactory, OrganizationFactory, UserFactory
from tests.helpers.invoices import finalized_invoice
from tests.helpers.licenses import issue
from tests.helpers.proposals import sent_version
from tests.helpers.trials import running_trial

APP_PREFIX = "app/<slug:slug>/"
STAFF_PREFIXES = ("manage/",)


def _routes(patterns, prefix=""):
    """(route, pattern) for every URL pattern, with its full route string."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _app_routes():
    return sorted(
        route for route, _ in _routes(get_resolver().url_patterns) if route.startswith(APP_PREFIX)
    )


def _staff_routes():
    return sorted(
        route
        for route, _ in _routes(get_resolver().url_patterns)
        if route.startswith(STAFF_PREFIXES)
    )


@pytest.fixture
def northwind(organization, owner, teammate, catalog):
    """Northwind with one of everything a route can name."""
    issued = issue(organization, catalog)
    proposal = sent_version(issued.license, catalog, [{"seats": 5}])
    token = api_token_create(organization=organization, name="CI", created_by=owner)
    scenario = RoiScenario.objects.create(
        organization=organization, name="Plan", query={"team_size": "5"}, created_by=owner
    )
    return {
        "slug": organization.slug,
        "organization_id": organization.pk,
        "membership_id": Membership.objects.get(user=teammate).pk,
        "invitation_id": InvitationFactory(organization=organization).pk,
        "license_id": issued.license.pk,
        "token_id": token.token.pk,
        "scenario_id": scenario.pk,
        "number": finalized_invoice(organization).number,
        "token": checkout_start(
            organization=organization, license=issued.license, user=owner
        ).token,
        "trial_id": running_trial(issued.license, "business").pk,
        "tier": "enterprise",
        "proposal_id": proposal.proposal_id,
        "version_number": proposal.number,
        "position": proposal.options.get().position,
        "option_id": proposal.options.get().pk,
    }


def _url(route: str, objects: dict) -> str:
    """The route with each <converter:name> filled with the object of that name."""
    url, rest = "/", route
    while "<" in rest:
        before, _, after = rest.partition("<")
        spec, _, rest = after.partition(">")
        name = spec.split(":")[-1]
        assert name in objects, f"{route}: say which Northwind object fills <{spec}>"
        url += before + str(objects[name])
    return url + rest


def _state():
    """Everything an outsider's request could change."""
    return (
        list(Organization.objects.order_by("pk").values_list("name", "slug")),
        list(Membership.objects.order_by("pk").values_list("user_id", "role")),
        list(Invitation.objects.order_by("pk").values_list("email", "revoked_at")),
        list(License.objects.order_by("pk").values_list("key_hash", "revision", "status")),
        LicenseEvent.objects.count(),
        list(ApiToken.objects.order_by("pk").values_list("name", "revoked_at")),
        list(RoiScenario.objects.order_by("pk").values_list("name", flat=True)),
        list(Trial.objects.order_by("pk").values_list("organization_id", "tier_id", "status")),
    )


def test_the_walk_covers_every_app_route():
    routes = _app_routes()
    assert f"{APP_PREFIX}members/" in routes and f"{APP_PREFIX}api-tokens/" in routes
    assert len(routes) >= 13


@pytest.fixture
def other_account_manager(db):
    """Staff who manage other customers, not Northwind."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    OrganizationFactory(account_manager=user)
    return user


@pytest.mark.parametrize("who", ["outsider", "other_account_manager"])
def test_an_outsider_gets_404_on_every_app_route_and_changes_nothing(
    client_for, northwind, request, who
):
    client = client_for(request.getfixturevalue(who))
    before = _state()
    for route in _app_routes():
        url = _url(route, northwind)
        answers = {
            "get": client.get(url),
            "post": client.post(url, {"name": "Taken", "email": "x@example.com"}),
        }
        statuses = {method: answer.status_code for method, answer in answers.items()}
        # 405 only for the method a view does not take at all.
        assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (url, statuses)
        for answer in answers.values():
            assert "Northwind" not in answer.content.decode(), url
    assert _state() == before


def test_an_anonymous_visitor_is_sent_to_log_in_from_every_app_and_staff_route(client, northwind):
    before = _state()
    for route in _app_routes() + _staff_routes():
        url = _url(route, northwind)
        for method, data in (("get", {}), ("post", {"name": "Taken"})):
            answer = getattr(client, method)(url, data)
            if answer.status_code == 405:
                continue
            assert answer.status_code == 302, (method, url, answer.status_code)
            assert answer["Location"] == f"/accounts/login/?next={url}", (method, url)
    assert _state() == before


def test_a_customer_cannot_open_any_staff_page(client_for, outsider, northwind):
    client = client_for(outsider)
    for route in _staff_routes():
        url = _url(route, northwind)
        answer = client.get(url)
        if answer.status_code == 405:  # a form's action: the POST is refused too
            answer = client.post(url, {})
        # Staff pages refuse customers outright (403), and show no customer's data.
        assert answer.status_code == 403, route
        assert "Northwind" not in answer.content.decode(), route
