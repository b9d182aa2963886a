"""Every string a person can type reaches every page and email escaped.

The strings (STRINGS) are planted, each set to a script payload, in one organization's
world; every page (PAGES) that shows one is rendered and must carry the escaped form and
never the raw payload. To cover a new user-controlled string, plant it in `_plant` and
name it in STRINGS and in the pages that show it; a new page goes into PAGES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from django.utils.html import escape

from billing.models import ProposalEventKind, ProposalVersion, RoiScenario
from billing.proposals.acceptance import proposal_decline
from billing.proposals.events import proposal_record_event
from licensing.api.tokens import api_token_create
from licensing.demo.catalog import build_catalog
from licensing.licenses.services import Actor, machine_activate
from portal.models import ACCOUNT_MANAGERS_GROUP, Invitation, OutboundEmail, Role, User
from tests.factories import InvitationFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers.licenses import Catalog, issue
from tests.helpers.proposals import sent_version

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Payload:
    text: str
    # A valid address carrying markup in its quoted local part (Django's validator, like
    # RFC 5321, accepts it), for the strings that must be email addresses.
    email: str


PAYLOADS = [
    Payload(
        text='<img src=x onerror="alert(document.domain)">Evil',
        email='"<svg/onload=alert(document.domain)>"@evil.example',
    ),
    Payload(
        text='"><script>alert(1)</script>',
        email='"><script>alert(1)</script>"@evil.example',
    ),
]

# Each user-controlled string: is it an address (else free text)?
STRINGS = {
    "organization name": False,
    "person's first name": False,
    "person's last name": False,
    "person's email": True,
    "invitation email": True,
    "API token name": False,
    "ROI scenario name": False,
    "machine name": False,
    "machine fingerprint": False,
    "proposal cover note": False,
    "discount reason": False,
    "decline reason": False,
    "approval comment": False,
}


@dataclass
class World:
    payload: Payload
    organization: object
    owner: User
    teammate: User
    account_manager: User
    admin: User
    invitation: Invitation
    token: object
    license: object
    proposal: object

    def value(self, string: str) -> str:
        return self.payload.email if STRINGS[string] else self.payload.text


def _plant(payload: Payload) -> World:
    text, email = payload.text, payload.email
    build_catalog()
    organization = OrganizationFactory(name=text, slug="evil")
    owner = MembershipFactory(
        organization=organization,
        role=Role.OWNER,
        user=UserFactory(first_name=text, last_name=text),
    ).user
    teammate = MembershipFactory(
        organization=organization,
        role=Role.MEMBER,
        user=UserFactory(email=email, first_name="", last_name=""),
    ).user
    account_manager = UserFactory(is_staff=True, first_name=text, last_name=text)
    account_manager.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    organization.account_manager = account_manager
    organization.save()
    invitation = InvitationFactory(organization=organization, email=email, invited_by=owner)
    token = api_token_create(organization=organization, name=text, created_by=owner).token
    scenario = RoiScenario.objects.create(
        organization=organization,
        name=text,
        query={"product": "tierwise", "team_size": "10", "currency": "USD"},
        created_by=teammate,
    )
    license = issue(organization, Catalog()).license
    machine_activate(license=license, fingerprint=text, name=text, actor=Actor.of(teammate, "api"))
    admin = UserFactory(is_staff=True, is_superuser=True)
    version = sent_version(
        license,
        Catalog(),
        [
            {
                "tier": "business",
                "seats": 10,
                "discount_percent": Decimal(5),
                "discount_reason": text,
            }
        ],
        prepared_by=account_manager,
        cover_note=text,
    )
    # Its ROI numbers copied from the scenario, with its name, as proposal_edit copies them.
    ProposalVersion.objects.filter(pk=version.pk).update(
        roi_inputs=scenario.query, roi_scenario_name=scenario.name, roi_scenario_id=scenario.pk
    )
    proposal_record_event(
        proposal=version.proposal,
        version=version,
        kind=ProposalEventKind.APPROVED,
        actor=Actor.of(admin, "admin"),
        at=timezone.now(),
        comment=text,
    )
    proposal_decline(version=version, user=owner, reason=text)
    return World(
        payload,
        organization,
        owner,
        teammate,
        account_manager,
        admin,
        invitation,
        token,
        license,
        version.proposal,
    )


Render = Callable[[object, World], str]


@dataclass(frozen=True)
class Page:
    label: str
    # Renders the page in the world and returns its HTML.
    render: Render
    shows: tuple[str, ...]


def _visit(who: str, url: Callable[[World], str], post: bool = False) -> Render:
    """Open the page as `who` (a World attribute, or "visitor"), following redirects; a
    post sends the payload as the form's name (a new token's, say)."""

    def render(client, world: World) -> str:
        if who != "visitor":
            client.force_login(getattr(world, who))
        if post:
            response = client.post(url(world), {"name": world.payload.text}, follow=True)
        else:
            response = client.get(url(world), follow=True)
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    return render


def _signup_after_invitation(client, world: World) -> str:
    client.get(f"/invitations/{world.invitation.token}/")
    return _visit("visitor", lambda w: "/accounts/signup/")(client, world)


def _admin(url: Callable[[World], str]) -> Render:
    return _visit("admin", url)


PEOPLE = ("person's first name", "person's last name", "person's email")
PAGES = [
    Page(
        "invitation, as the invited visitor",
        _visit("visitor", lambda w: f"/invitations/{w.invitation.token}/"),
        ("organization name", "person's first name", "invitation email"),
    ),
    Page(
        "invitation, signed in as someone else",
        _visit("owner", lambda w: f"/invitations/{w.invitation.token}/"),
        ("organization name", "person's first name", "invitation email"),
    ),
    Page(
        "sign-up after opening the invitation",
        _signup_after_invitation,
        ("organization name", "invitation email"),
    ),
    Page(
        "organization dashboard, as owner",
        _visit("owner", lambda w: "/app/evil/"),
        ("organization name", *PEOPLE, "API token name"),
    ),
    Page(
        "organization dashboard, as member",
        _visit("teammate", lambda w: "/app/"),
        ("organization name", "person's first name", "person's email"),
    ),
    Page(
        "members and invitations",
        _visit("owner", lambda w: "/app/evil/members/"),
        ("organization name", *PEOPLE, "invitation email"),
    ),
    Page(
        "organization settings",
        _visit("owner", lambda w: "/app/evil/settings/"),
        ("organization name", "person's first name"),
    ),
    Page(
        "new API token, shown once",
        _visit("owner", lambda w: "/app/evil/api-tokens/", post=True),
        ("organization name", "API token name"),
    ),
    Page(
        "API token revoked",
        _visit("owner", lambda w: f"/app/evil/api-tokens/{w.token.pk}/revoke/", post=True),
        ("organization name", "API token name"),
    ),
    Page(
        "saved ROI scenarios",
        _visit("teammate", lambda w: "/app/evil/roi/scenarios/"),
        ("organization name", "ROI scenario name", "person's email"),
    ),
    Page(
        "ROI calculator, personalised",
        _visit("teammate", lambda w: "/roi/"),
        ("organization name", "person's email"),
    ),
    Page(
        "account manager's accounts",
        _visit("account_manager", lambda w: "/manage/"),
        ("organization name",),
    ),
    Page(
        "account manager's account page",
        _visit("account_manager", lambda w: f"/manage/accounts/{w.organization.pk}/"),
        ("organization name", *PEOPLE),
    ),
    Page(
        "the customer's proposal, declined",
        _visit("owner", lambda w: f"/app/evil/proposals/{w.proposal.pk}/"),
        ("organization name", "proposal cover note", "discount reason", "decline reason"),
    ),
    Page(
        "the proposal builder and its history",
        _visit("account_manager", lambda w: f"/manage/proposals/{w.proposal.number}/"),
        (
            "organization name",
            "proposal cover note",
            "discount reason",
            "decline reason",
            "approval comment",
            "ROI scenario name",
        ),
    ),
    Page(
        "admin: organizations",
        _admin(lambda w: "/admin/portal/organization/"),
        ("organization name",),
    ),
    Page(
        "admin: organization",
        _admin(lambda w: f"/admin/portal/organization/{w.organization.pk}/change/"),
        ("organization name", "person's email", "invitation email"),
    ),
    Page(
        "admin: organization history",
        _admin(lambda w: f"/admin/portal/organization/{w.organization.pk}/history/"),
        ("organization name",),
    ),
    Page("admin: people", _admin(lambda w: "/admin/portal/user/"), PEOPLE),
    Page(
        "admin: person",
        _admin(lambda w: f"/admin/portal/user/{w.owner.pk}/change/"),
        ("person's first name", "person's last name"),
    ),
    Page(
        "admin: memberships",
        _admin(lambda w: "/admin/portal/membership/"),
        ("organization name", "person's email"),
    ),
    Page(
        "admin: API token",
        _admin(lambda w: f"/admin/licensing/apitoken/{w.token.pk}/change/"),
        ("organization name", "API token name"),
    ),
    Page(
        "admin: license",
        _admin(lambda w: f"/admin/licensing/license/{w.license.pk}/change/"),
        ("organization name", "machine name", "machine fingerprint", "person's email"),
    ),
    Page(
        "admin: machines",
        _admin(lambda w: "/admin/licensing/machine/"),
        ("machine name",),
    ),
]


def _assert_escaped(html: str, world: World, shows: tuple[str, ...]) -> None:
    for string in shows:
        value = world.value(string)
        assert value not in html, f"the {string} appears unescaped"
        assert escape(value) in html, f"the {string} is missing (escaped)"


@pytest.fixture(params=PAYLOADS, ids=["img-onerror", "attribute-breakout"])
def world(request, now) -> World:
    return _plant(request.param)


@pytest.mark.parametrize("page", PAGES, ids=[page.label for page in PAGES])
def test_it_escapes_every_user_string_on_the_page(client, world, page):
    _assert_escaped(page.render(client, world), world, page.shows)


def test_it_lists_a_page_for_every_string():
    shown = {string for page in PAGES for string in page.shows}
    assert shown == set(STRINGS)


def test_it_escapes_the_invitation_email(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/app/evil/members/invite/", {"email": "new@example.com", "role": Role.MEMBER}
        )
    assert response.status_code == 302
    [message] = mail.outbox
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    _assert_escaped(html, world, ("organization name", "person's first name"))
    # Plain text is never parsed as markup, so the subject and text body keep the name
    # exactly as typed; escaping them would print "&lt;" to the reader.
    assert world.payload.text in message.subject
    assert world.payload.text in message.body
    assert "&lt;" not in message.body

    # The outbox as staff read it in the admin.
    outbound = OutboundEmail.objects.get(to="new@example.com")
    page = _admin(lambda w: f"/admin/portal/outboundemail/{outbound.pk}/change/")
    _assert_escaped(page(client, world), world, ("organization name",))
