"""The customer confirms what the form shows: the Confirm button submits the form's
visible choices with the fingerprint of the preview shown, the server prices those
choices again and refuses a mismatch with the fresh figures, and a choice the tier does
not allow is a 422 with its message in place of the preview (htmx swaps it in; under
DEBUG the page is never replaced by the bare fragment), with no Confirm button."""

import re

import pytest
from django.template.loader import render_to_string

from billing.models import Invoice
from licensing.catalog.publishing import tier_version_create_draft, tier_version_publish
from licensing.licenses.services import Actor, license_suspend
from tests.helpers.checkout import subscribed
from tests.portal.test_checkout_pages import CHANGE, _confirm_form, _start

HTMX = {"HX-Request": "true"}


@pytest.fixture
def team(organization, catalog):
    """Team, 5 seats a month."""
    return subscribed(organization, catalog, seats=5)


@pytest.fixture
def shown(client_for, owner, team):
    """The owner's checkout showing the preview of 8 seats."""
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    assert page.context["preview"].target.seats == 8
    return client, url, page


def test_the_confirm_button_submits_the_forms_visible_choices(shown):
    _, url, page = shown
    html = page.content.decode()
    [button] = re.findall(r"<button[^>]*data-confirms-preview[^>]*>", html)
    assert 'form="checkout-form"' in button and f'formaction="{url}confirm/"' in button
    assert 'formmethod="post"' in button
    assert f'name="digest" value="{page.context["preview"].digest}"' in button
    # The seats are those of the form's one visible box: no copy of the preview's.
    assert len(re.findall(r'name="seats"', html)) == 1
    assert re.search(r'<input type="number" name="seats" value="8"', html)
    form = re.search(r'<form[^>]*id="checkout-form"[^>]*>', html).group()
    assert 'method="post"' in form and "csrfmiddlewaretoken" in html


def test_confirming_other_seats_than_the_preview_is_refused_with_their_figures(shown, team):
    client, url, page = shown
    # The box says 5 while the preview shown is for 8.
    refused = client.post(url + "confirm/", _confirm_form(page, seats="6"))
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Something changed since you saw this preview" in html
    assert "Team, 6 seats, monthly" in html
    assert Invoice.objects.count() == 0
    team.refresh_from_db()
    assert team.seats == 5
    # Confirming the fresh figures buys what the form says.
    client.post(url + "confirm/", _confirm_form(refused))
    team.refresh_from_db()
    assert team.seats == 6
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    "seats, message",
    [
        ("2", "Team is sold from 3 seats; choose 3 or more."),
        ("16", "Team allows at most 15 seats; choose fewer or a higher tier."),
        ("", "Enter how many seats."),
    ],
    ids=["under-the-minimum", "over-the-maximum", "empty"],
)
def test_a_seat_count_the_tier_does_not_allow_shows_its_error_in_place_of_the_preview(
    shown, seats, message
):
    client, url, _ = shown
    typed = client.get(url, CHANGE | {"tier": "team", "seats": seats}, headers=HTMX)
    assert typed.status_code == 422  # htmx swaps a 422 in; it would leave a 400 out
    html = typed.content.decode()
    assert html.lstrip().startswith('<section class="checkout-preview" id="checkout-preview"')
    assert message in html
    assert "data-confirms-preview" not in html and "Confirm" not in html


def test_confirming_a_seat_count_the_tier_does_not_allow_buys_nothing(shown, team):
    client, url, page = shown
    refused = client.post(url + "confirm/", _confirm_form(page, seats="16"))
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "Team allows at most 15 seats" in html
    assert "data-confirms-preview" not in html
    assert re.search(r'<input type="number" name="seats" value="16"', html)
    assert Invoice.objects.count() == 0
    team.refresh_from_db()
    assert team.seats == 5


def test_under_debug_an_error_is_not_one_django_htmx_replaces_the_page_with(shown, settings):
    """django-htmx's DEBUG script replaces the whole page with the body of an htmx
    response of 400, 403, 404 or 500: the checkout's refusals are never one of those."""
    settings.DEBUG = True
    client, url, page = shown
    assert "django_htmx/django-htmx" in render_to_string("base.html")
    typed = client.get(url, CHANGE | {"tier": "team", "seats": "2"}, headers=HTMX)
    confirmed = client.post(url + "confirm/", _confirm_form(page, seats="2"), headers=HTMX)
    stale = client.post(url + "confirm/", _confirm_form(page, seats="9"), headers=HTMX)
    assert [typed.status_code, confirmed.status_code, stale.status_code] == [422, 422, 409]


def test_with_htmx_a_refusal_replaces_the_preview_and_keeps_the_pages_address(shown):
    client, url, page = shown
    stale = client.post(url + "confirm/", _confirm_form(page, seats="9"), headers=HTMX)
    assert stale.status_code == 409
    assert stale["HX-Push-Url"] == "false"
    assert stale.content.decode().lstrip().startswith('<section class="checkout-preview"')


def test_with_htmx_a_confirmation_sends_the_browser_to_the_done_page(shown, team):
    client, url, page = shown
    done = client.post(url + "confirm/", _confirm_form(page), headers=HTMX)
    assert done.status_code == 200
    assert done["HX-Redirect"] == url + "done/"
    team.refresh_from_db()
    assert team.seats == 8


def test_without_javascript_update_the_preview_posts_and_gets_the_previews_address(shown):
    client, url, page = shown
    data = _confirm_form(page, seats="9")
    del data["digest"]
    updated = client.post(url, data)
    assert updated.status_code == 303
    address = updated["Location"]
    assert address.startswith(url + "?") and "seats=9" in address
    assert "csrfmiddlewaretoken" not in address and "digest" not in address
    assert "Team, 9 seats, monthly" in client.get(address).content.decode()


def test_an_outsider_posting_the_form_gets_404(shown, client_for, outsider):
    _, url, page = shown
    other = client_for(outsider)
    assert other.post(url, _confirm_form(page)).status_code == 404


def test_a_preview_made_before_a_new_version_of_the_tier_is_stale(client_for, owner, team):
    # Business at the same price, but a new version published after the preview was
    # shown: confirming must not buy a version the preview did not list.
    client = client_for(owner)
    url = _start(client, "northwind", tier="business")
    page = client.get(url, CHANGE | {"tier": "business", "seats": 12})
    shown = page.context["preview"].version
    draft = tier_version_create_draft(tier=shown.tier, source=shown)
    draft.changelog_note = "Same price, new terms."
    draft.save()
    tier_version_publish(version=draft, notice_days=0)
    refused = client.post(url + "confirm/", _confirm_form(page))
    assert refused.status_code == 409
    assert Invoice.objects.count() == 0
    team.refresh_from_db()
    assert team.version.tier.slug == "team"


def test_a_suspended_license_is_not_changed_from_the_checkout(shown, team):
    client, url, page = shown
    license_suspend(license=team, actor=Actor(label="staff"), reason="Fraud check.")
    refused = client.post(url + "confirm/", _confirm_form(page))
    assert refused.status_code in (409, 422)
    assert "This license is suspended" in refused.content.decode()
    assert Invoice.objects.count() == 0
    preview = client.get(url, CHANGE | {"tier": "team", "seats": 9})
    assert preview.status_code == 422 and "This license is suspended" in preview.content.decode()
