"""The Content-Security-Policy and Permissions-Policy on every kind of response, and what
keeps pages within the policy: templates with no inline code, charts without pygal's
inline style and script, and chart stylesheets that match the charts' styles."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from billing.roi import chart as roi_chart
from licensing.demo.catalog import build_catalog
from licensing.usage import charts
from portal.management.commands.chart_css import STYLESHEETS
from tests.helpers.licenses import Catalog, issue

ROOT = Path(__file__).resolve().parents[2]

REQUIRED_CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "connect-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}
DENIED_FEATURES = {"camera", "microphone", "geolocation", "payment", "usb"}


def directives(header: str) -> dict[str, set[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


@pytest.mark.parametrize(
    ("who", "method", "path", "status", "content_type"),
    [
        ("visitor", "get", "/", 200, "text/html"),
        ("visitor", "get", "/pricing/", 200, "text/html"),
        ("owner", "get", "/app/northwind/", 200, "text/html"),
        ("admin_user", "get", "/admin/", 200, "text/html"),
        ("visitor", "get", "/api/v1/openapi.json", 200, "application/json"),
        ("visitor", "post", "/api/v1/licenses/validate", 401, "application/json"),
        ("visitor", "get", "/no-such-page/", 404, "text/html"),
        ("visitor", "get", "/static/images/favicon.svg", 200, "image/svg+xml"),
    ],
    ids=["home", "pricing", "dashboard", "admin", "api-json", "api-error", "404", "static"],
)
@pytest.mark.django_db
def test_it_sends_both_policies_on_every_kind_of_response(
    request, client, who, method, path, status, content_type
):
    if who != "visitor":
        client.force_login(request.getfixturevalue(who))
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith(content_type)

    policy = directives(response["Content-Security-Policy"])
    for name, sources in REQUIRED_CSP.items():
        assert policy[name] == sources, name
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set().union(*policy.values())

    features = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    assert set(features) >= DENIED_FEATURES
    assert set(features.values()) == {"()"}


# Templates rendered into the site's pages (emails are not: mail clients need inline
# styles, and the text ones are not markup).
PAGE_TEMPLATES = [
    path
    for folder in [*settings.TEMPLATES[0]["DIRS"], *ROOT.glob("*/templates")]
    for path in Path(folder).rglob("*.html")
    if "emails" not in path.parts
]
FORBIDDEN = {
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)", re.I),
    "an event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "an hx-on attribute": re.compile(r"\bhx-on", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "the |safe filter": re.compile(r"\|\s*safe(seq)?\b"),
    "autoescape off": re.compile(r"autoescape\s+off"),
}


@pytest.mark.parametrize(
    "template", PAGE_TEMPLATES, ids=[str(p.relative_to(ROOT)) for p in PAGE_TEMPLATES]
)
def test_it_keeps_templates_free_of_inline_code_and_unescaped_output(template):
    text = template.read_text()
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}"


def test_it_finds_the_templates():
    assert len(PAGE_TEMPLATES) > 30
    assert ROOT / "templates" / "base.html" in PAGE_TEMPLATES


INLINE_CODE = re.compile(r"<script\b(?![^>]*\bsrc=)|<style\b|\sstyle\s*=|\son[a-z]+\s*=", re.I)


@pytest.fixture
def licensed(organization, now):
    build_catalog()
    issue(organization, Catalog())


@pytest.mark.parametrize(
    ("path", "scope", "data"),
    [
        ("/app/northwind/", charts.METER_SCOPE, "licensed"),
        ("/roi/", roi_chart.SCOPE, "roi_catalog"),
    ],
    ids=["meter charts", "roi charts"],
)
def test_it_draws_charts_with_nothing_inline(request, client_for, owner, path, scope, data):
    request.getfixturevalue(data)
    html = client_for(owner).get(path).content.decode()
    assert f'class="pygal-chart {scope}"' in html
    assert not INLINE_CODE.search(html), INLINE_CODE.search(html).group(0)


@pytest.mark.parametrize("path, build", STYLESHEETS, ids=[p.name for p, _ in STYLESHEETS])
def test_it_ships_each_chart_stylesheet_as_the_chart_style_writes_it(path, build):
    assert path.read_text() == build(), (
        f"{path.relative_to(ROOT)} is out of date with the chart's style: "
        "run `python manage.py chart_css`."
    )
