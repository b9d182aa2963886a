"""No input reaches a 500. Every URL pattern the resolver knows (our pages, the admin,
allauth, the licensing API) is requested with hostile values in its path parameters, its
query string and, posted, its form fields, as a visitor, as an organization's owner and
as a staff admin; no answer may be a 5xx.

The values: a NUL character (PostgreSQL refuses it in text), 10,000 characters (a
257-character address in email fields, one past what the database keeps), odd unicode
(right-to-left marks, emoji, combining marks) and a lone surrogate sent as the invalid
UTF-8 %ED%A0%80. Each value goes in alone, so one that is refused early (NUL) never hides
what another would have done further in. Run it on SQLite and on PostgreSQL: they differ
exactly where this matters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from billing.models import RoiScenario
from licensing.api.tokens import api_token_create
from licensing.demo.catalog import build_catalog
from portal.models import Role
from tests.factories import InvitationFactory
from tests.helpers.invoices import finalized_invoice
from tests.helpers.licenses import Catalog, issue

NUL = "%00"
SURROGATE = "%ED%A0%80"  # U+D800 encoded as if it were a character: not UTF-8
ODD = quote("\u202e\u200fgnp.exe \U0001f4a5\U0001f9e8 e\u0301\u0308\u20dd \u0627\u200e")
LONG = "9" * 10_000  # digits, so int, slug, str and path converters all let it through
LONG_EMAIL = "a" * 245 + "@example.com"  # 257 characters
PATH_VALUES = [NUL, SURROGATE, ODD, LONG, "9" * 25]  # the last: past a 64-bit id
FIELD_VALUES = [NUL, SURROGATE, ODD, LONG]

# Names read by views or by the framework but not always rendered in a form on the page.
ADMIN_MODEL = re.compile(r"^admin/(?!r/)\w+/\w+/")
PER_MODEL_VIEWS = ("_changelist", "_add", "_change")
COMMON_NAMES = ["q", "next", "page", "p", "o", "e", "currency", "cycle", "tier", "email"]


# --- The URL patterns ----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A URL pattern as literal text with its parameters between: text, parameter, text,
    …, text."""

    parts: tuple[str, ...]
    name: str

    @property
    def params(self) -> tuple[str, ...]:
        return self.parts[1::2]

    @property
    def template(self) -> str:
        """Readable: invitations/<token>/."""
        return self.url([f"<{name}>" for name in self.params])[1:]

    def url(self, values: list[str]) -> str:
        parts = list(self.parts)
        parts[1::2] = values
        return "/" + "".join(parts)


# The converter, if any, is matched and dropped; the name is kept (split keeps groups).
_PARAM = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def _regex_parts(regex: str) -> list[str]:
    """A regex pattern's top-level groups become parameters; the rest is literal text."""
    parts, text, group, depth = [], "", "", 0
    chars = iter(regex.removeprefix("^").removesuffix("$"))
    for char in chars:
        if depth == 0 and char == "\\":
            text += next(chars)
        elif depth == 0 and char != "(":
            text += char
        else:
            group += char
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                named = re.match(r"\(\?P<(\w+)>", group)
                parts += [text, named[1] if named else f"group{len(parts) // 2}"]
                text, group = "", ""
    return [*parts, text]


def _walk(resolver: URLResolver, prefix: tuple[str, ...] = ("",)):
    for entry in resolver.url_patterns:
        if isinstance(entry.pattern, RegexPattern):
            parts = _regex_parts(entry.pattern.regex.pattern)
        else:
            parts = _PARAM.split(str(entry.pattern))
        # The prefix ends with text and the parts start with text: they join.
        combined = (*prefix[:-1], prefix[-1] + parts[0], *parts[1:])
        if isinstance(entry, URLResolver):
            yield from _walk(entry, combined)
        elif isinstance(entry, URLPattern):
            yield Route(combined, entry.name or "")


ROUTES = list(_walk(get_resolver()))


def test_it_walks_every_kind_of_route():
    templates = {route.template for route in ROUTES}
    assert "invitations/<token>/" in templates  # ours
    assert "admin/portal/organization/<object_id>/change/" in templates  # the admin
    assert "accounts/password/reset/key/<uidb36>-<key>/" in templates  # allauth, a regex
    assert "api/v1/licenses/usage" in templates  # the API
    assert len(ROUTES) > 150


# --- The world the personas live in ------------------------------------------------------


@dataclass
class World:
    values: dict[str, str]  # a real, valid value for each parameter name
    api_secret: str

    def valid(self, route: Route) -> list[str]:
        return [self.values.get(f"{route.name}:{name}", self.values.get(name, "1"))
                for name in route.params]  # fmt: skip


@pytest.fixture
def world(now, organization, owner, teammate):
    build_catalog()
    catalog = Catalog()
    issued = issue(organization, catalog)
    token = api_token_create(organization=organization, name="CI", created_by=owner)
    invitation = InvitationFactory(organization=organization, invited_by=owner)
    scenario = RoiScenario.objects.create(
        organization=organization, name="Plan", query={"team_size": "5"}, created_by=owner
    )
    membership = teammate.memberships.get(organization=organization)
    version = catalog.version("team")
    invoice = finalized_invoice(organization)
    return World(
        values={
            "slug": organization.slug,
            "membership_id": str(membership.pk),
            "invitation_id": str(invitation.pk),
            "scenario_id": str(scenario.pk),
            "license_id": str(issued.license.pk),
            "token_id": str(token.token.pk),
            "token": invitation.token,
            "source": "starter",
            "target": "team",
            "number": "1",
            "operation": "suspend",
            "licensing_license_operate:pk": str(issued.license.pk),
            "invoice_detail:number": invoice.number,
            "invoice_pdf:number": invoice.number,
            "billing_invoice_void:pk": str(invoice.pk),
            "pk": str(version.pk),
            "object_id": "1",
            "content_type_id": "1",
            "app_label": "portal",
            "uidb36": "1",
            "key": "set-password",
            "rest": "nowhere",
            "url": "nowhere",
        },
        api_secret=token.secret,
    )


# --- Requests -----------------------------------------------------------------------------


class _Fields(HTMLParser):
    """The names of a page's form fields, and which fields each form posts where."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self.forms: dict[str, set[str]] = {}
        self._action: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._action = urlsplit(attrs.get("action") or "").path
            self.forms.setdefault(self._action, set())
        elif tag in {"input", "select", "textarea", "button"} and attrs.get("name"):
            self.names.add(attrs["name"])
            if self._action is not None:
                self.forms[self._action].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._action = None


def _encoded(names, value: str) -> str:
    """An urlencoded query or body with every name set to `value` (already encoded)."""
    pairs = []
    for name in sorted(names):
        emailish = "email" in name or "login" in name
        pairs.append(f"{quote(name)}={quote(LONG_EMAIL) if value == LONG and emailish else value}")
    return "&".join(pairs)


@dataclass
class Walk:
    client: Client
    failures: list[str] = field(default_factory=list)
    fields: dict[str, set[str]] = field(default_factory=dict)  # path → names seen for it
    shapes_tried: set[str] = field(default_factory=set)

    def check(self, method: str, url: str, response) -> None:
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {method} {url[:160]}")

    def get(self, url: str):
        response = self.client.get(url)
        self.check("GET", url, response)
        return response

    def discover(self, url: str) -> None:
        """GET the page as it is meant to be visited; learn the fields of its forms and
        of the forms on it that post elsewhere."""
        response = self.get(url)
        parser = _Fields()
        if response.get("Content-Type", "").startswith("text/html"):
            parser.feed(response.content.decode(errors="replace"))
        path = urlsplit(url).path
        self.fields.setdefault(path, set()).update(parser.names)
        for action, names in parser.forms.items():
            self.fields.setdefault(action or path, set()).update(names)

    def hostile(self, route: Route, valid: list[str]) -> None:
        base = route.url(valid)
        # The admin serves every model with the same views: their path parameters, and
        # the views whose form is not the model's own, are tried on the first model only.
        shape = ADMIN_MODEL.sub("admin/<model>/", route.template)
        first = shape not in self.shapes_tried
        self.shapes_tried.add(shape)
        for index in range(len(route.params) if first else 0):
            for value in PATH_VALUES:
                values = [*valid]
                values[index] = value
                self.get(route.url(values))
        if not first and not route.name.endswith(PER_MODEL_VIEWS):
            return
        names = self.fields.get(urlsplit(base).path, set()) | set(COMMON_NAMES)
        for value in FIELD_VALUES:
            self.get(f"{base}?{_encoded(names, value)}")
            body = _encoded(names, value)
            response = self.client.post(
                base, body, content_type="application/x-www-form-urlencoded"
            )
            self.check("POST", f"{base} {value[:20]}", response)


PERSONAS = ["visitor", "owner", "staff admin"]


def _walk_as(persona, world, request) -> Walk:
    walk = Walk(Client(raise_request_exception=False))
    if persona == "owner":
        user = request.getfixturevalue("owner")
        walk.client = Client(
            raise_request_exception=False,
            headers={"Authorization": f"Bearer {world.api_secret}"},
        )
    elif persona == "staff admin":
        user = request.getfixturevalue("admin_user")
    else:
        user = None
    routes = [
        route
        for route in ROUTES
        if persona != "owner" or not route.template.startswith("admin/")
        if persona != "staff admin" or route.template.startswith(("admin/", "manage/"))
    ]
    # Two passes: first every page as it is meant to be seen (learning which fields each
    # form posts where), then every page with hostile values.
    for route in routes:
        if user:
            walk.client.force_login(user)
        walk.discover(route.url(world.valid(route)))
    for route in routes:
        if user:
            walk.client.force_login(user)
        walk.hostile(route, world.valid(route))
    return walk


@pytest.mark.fuzz
@pytest.mark.parametrize("persona", PERSONAS)
@override_settings(ACCOUNT_RATE_LIMITS=False, LICENSING_API_RATE_LIMIT=100_000)
def test_no_input_reaches_a_5xx(persona, world, request):
    walk = _walk_as(persona, world, request)
    assert not walk.failures, "\n".join(walk.failures[:40])


# --- What the walk found, each on its own ------------------------------------------------


@pytest.mark.parametrize(
    "url, reason",
    [
        ("/invitations/%00/", "The address contains a NUL character."),
        ("/pricing/?currency=%00", "The query string contains a NUL character."),
        ("/admin/portal/organization/?q=a%00b", "The query string contains a NUL character."),
        ("/pricing/?currency=%ED%A0%80", "The query string is not UTF-8."),
    ],
)
def test_it_refuses_a_nul_or_what_is_not_utf8_with_a_400_that_says_so(client, db, url, reason):
    response = client.get(url)
    assert response.status_code == 400
    assert reason in response.content.decode()


def test_it_refuses_a_nul_in_a_form_field(client, owner):
    response = client.post("/accounts/login/", {"login": owner.email, "password": "a\x00b"})
    assert response.status_code == 400
    assert "A form field contains a NUL character." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_says_so_in_json_under_the_api(client, db):
    response = client.post("/api/v1/licenses/usage?key=%00", {}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "bad_request",
        "detail": "The query string contains a NUL character.",
    }


@pytest.mark.parametrize("token", ["9" * 10_000, quote("\U0001f4a5"), "%ED%A0%80"])
def test_it_finds_no_invitation_for_a_token_of_another_shape(client, db, token):
    assert client.get(f"/invitations/{token}/").status_code == 404


def test_the_admin_shows_the_history_of_a_membership_whose_person_is_gone(
    admin_client, organization, teammate
):
    membership = teammate.memberships.get()
    version = membership.history.latest()
    teammate.delete()
    history = admin_client.get(f"/admin/portal/membership/{membership.pk}/history/")
    assert history.status_code == 200
    assert "of a deleted person or organization" in history.content.decode()
    page = f"/admin/portal/membership/{membership.pk}/history/{version.history_id}/"
    assert admin_client.get(page).status_code == 200


@pytest.mark.parametrize("data", ["9" * 5_000, "[" * 100_000])
def test_the_admin_refuses_json_it_cannot_read_with_a_form_error(admin_client, owner, data):
    response = admin_client.post(
        "/admin/mfa/authenticator/add/", {"user": owner.pk, "type": "totp", "data": data}
    )
    assert response.status_code == 200
    assert "Enter a valid JSON." in response.content.decode()


def test_the_admin_refuses_what_is_not_an_id_in_an_autocomplete_field(admin_client, organization):
    response = admin_client.post(
        "/admin/portal/membership/add/",
        {"user": "\ufffd", "organization": organization.pk, "role": Role.MEMBER},
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
