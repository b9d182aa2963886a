"""Rotating the key from the dashboard: the owner chooses how long the old key keeps
working (24 hours by default) and why; the POST rotates once (the form's one-time token)
and redirects to the page that shows the new key once, with a copy button and a .txt
download; a reload or a second submission rotates nothing; the dashboard lists both keys
with the old one's end; outsiders get 404 on every new page."""

import re
from datetime import timedelta

import pytest

from licensing.licenses import keys
from licensing.licenses.services import rotation_token
from licensing.models import LicenseEvent, RetiringKey

KEY = re.compile(r"TW-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]")


@pytest.fixture
def rotate_url(issued):
    return f"/app/northwind/licenses/{issued.license.pk}/rotate-key/"


@pytest.fixture
def shown_url(issued):
    return f"/app/northwind/licenses/{issued.license.pk}/rotate-key/new-key/"


def _form(client, rotate_url, **data) -> dict:
    """The rotation form as the page gives it (its one-time token), with `data` chosen."""
    page = client.get(rotate_url).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    return {"token": token, **data}


def _rotate(client, rotate_url, **data):
    """Submit the rotation and follow its redirect to the page that shows the key."""
    return client.post(rotate_url, _form(client, rotate_url, **data), follow=True)


@pytest.fixture
def download_url(issued):
    return f"/app/northwind/licenses/{issued.license.pk}/key.txt"


def test_it_offers_24_hours_of_overlap_by_default(client_for, owner, now, rotate_url):
    page = client_for(owner).get(rotate_url).content.decode()
    assert re.search(r'value="24h"[^>]*checked', page)
    for label in ("Not at all", "1 hour", "24 hours", "7 days"):
        assert label in page


def test_it_rotates_with_an_overlap_and_lists_both_keys_with_their_end(
    client_for, owner, now, issued, rotate_url
):
    client = client_for(owner)
    response = _rotate(
        client, rotate_url, overlap="24h", reason="person_left", details="Ana moved on."
    )
    page = response.content.decode()
    new_key = KEY.search(page).group()
    issued.license.refresh_from_db()
    assert response.status_code == 200
    assert keys.same_hash(new_key, issued.license.key_hash)
    assert "shown only this once" in page and "data-copy-target" in page
    assert "keeps working until" in page
    retiring = RetiringKey.objects.get(license=issued.license)
    assert retiring.valid_until == now + timedelta(hours=24)
    assert keys.same_hash(issued.key, retiring.key_hash)
    event = LicenseEvent.objects.filter(kind="key_rotated").get()
    assert event.reason == "Someone who knew the key left: Ana moved on. (rotated in the portal)."
    assert event.actor == owner

    dashboard = client.get("/app/northwind/").content.decode()
    assert issued.license.masked_key in dashboard and retiring.masked_key in dashboard
    assert "Being retired" in dashboard
    assert retiring.valid_until.strftime("%Y-%m-%dT%H:%M") in dashboard
    # Shown once: neither key is in the dashboard in full.
    assert new_key not in dashboard and issued.key not in dashboard


def test_it_rotates_with_no_overlap(client_for, owner, now, issued, rotate_url):
    page = _rotate(client_for(owner), rotate_url, overlap="none", reason="leaked").content.decode()
    assert "stopped working just now" in page
    assert not RetiringKey.objects.exists()
    dashboard = client_for(owner).get("/app/northwind/").content.decode()
    assert "Being retired" not in dashboard


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reason": "routine"}, "Choose how long the current key keeps working."),
        ({"overlap": "24h"}, "Choose why; the reason is kept on record."),
        ({"overlap": "1y", "reason": "routine"}, "Choose one of the options."),
    ],
)
def test_it_refuses_an_incomplete_rotation_with_a_message(
    client_for, owner, issued, rotate_url, data, message
):
    client = client_for(owner)
    response = client.post(rotate_url, _form(client, rotate_url) | data)
    assert response.status_code == 422
    assert message in response.content.decode()
    issued.license.refresh_from_db()
    assert keys.same_hash(issued.key, issued.license.key_hash)


def test_the_key_shown_once_downloads_as_a_text_file(
    client_for, owner, now, issued, rotate_url, download_url
):
    client = client_for(owner)
    page = _rotate(client, rotate_url, overlap="1h", reason="routine").content.decode()
    new_key = KEY.search(page).group()
    assert f'action="{download_url}"' in page
    response = client.post(download_url, {"key": new_key})
    assert response.status_code == 200
    assert response.content.decode() == f"{new_key}\n"
    assert (
        response["Content-Disposition"] == 'attachment; filename="tierwise-northwind-team-key.txt"'
    )
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize("key", ["", "not a key", "old"])
def test_the_download_gives_only_the_current_key(
    client_for, owner, now, issued, rotate_url, download_url, key
):
    client = client_for(owner)
    _rotate(client, rotate_url, overlap="24h", reason="routine")
    response = client.post(download_url, {"key": issued.key if key == "old" else key})
    assert response.status_code == 400
    assert "not the license's current key" in response.content.decode()


def test_a_member_cannot_download_and_an_outsider_sees_nothing(
    client_for, teammate, outsider, issued, rotate_url, download_url
):
    assert client_for(teammate).post(download_url, {"key": issued.key}).status_code == 403
    outsider_client = client_for(outsider)
    assert outsider_client.post(download_url, {"key": issued.key}).status_code == 404
    assert outsider_client.get(rotate_url).status_code == 404
    token = rotation_token(issued.license)
    rotation = {"overlap": "24h", "reason": "routine", "token": token}
    assert outsider_client.post(rotate_url, rotation).status_code == 404
    elsewhere = f"/app/elsewhere/licenses/{issued.license.pk}/key.txt"
    assert outsider_client.post(elsewhere, {"key": issued.key}).status_code == 404
    assert not RetiringKey.objects.exists()


def test_the_download_takes_no_get(client_for, owner, download_url):
    assert client_for(owner).get(download_url).status_code == 405


def test_the_post_redirects_and_a_reload_shows_the_key_no_more(
    client_for, owner, now, issued, rotate_url, shown_url
):
    client = client_for(owner)
    response = client.post(rotate_url, _form(client, rotate_url, overlap="24h", reason="routine"))
    assert (response.status_code, response["Location"]) == (302, shown_url)
    assert KEY.search(response.content.decode()) is None
    page = client.get(shown_url)
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    new_key = KEY.search(page.content.decode()).group()
    issued.license.refresh_from_db()
    assert keys.same_hash(new_key, issued.license.key_hash)

    reload = client.get(shown_url, follow=True)
    assert reload.redirect_chain == [("/app/northwind/", 302)]
    assert new_key not in reload.content.decode()
    assert "The new key was shown once" in reload.content.decode()
    # One rotation: the original key overlaps, and the key shown is the one in use.
    assert LicenseEvent.objects.filter(kind="key_rotated").count() == 1
    retiring = RetiringKey.objects.get(license=issued.license)
    assert keys.same_hash(issued.key, retiring.key_hash)
    assert retiring.valid_until == now + timedelta(hours=24)


def test_a_double_submit_rotates_once_and_keeps_the_old_keys_overlap(
    client_for, owner, now, issued, rotate_url, shown_url
):
    client = client_for(owner)
    form = _form(client, rotate_url, overlap="24h", reason="routine")
    first = client.post(rotate_url, form)
    second = client.post(rotate_url, form)  # the same form again: a double click, a re-POST
    assert first["Location"] == second["Location"] == shown_url
    page = client.get(shown_url).content.decode()
    assert "This key was already rotated" in page
    new_key = KEY.search(page).group()  # the first rotation's key, still shown once
    issued.license.refresh_from_db()
    assert keys.same_hash(new_key, issued.license.key_hash)
    assert LicenseEvent.objects.filter(kind="key_rotated").count() == 1
    # The key the customer's software uses keeps its 24 hours: a second rotation would
    # have ended that overlap at once.
    retiring = RetiringKey.objects.get(license=issued.license)
    assert keys.same_hash(issued.key, retiring.key_hash)
    assert retiring.valid_until == now + timedelta(hours=24)


def test_a_form_without_its_token_rotates_nothing(client_for, owner, issued, rotate_url):
    response = client_for(owner).post(rotate_url, {"overlap": "24h", "reason": "routine"})
    assert response.status_code == 422
    assert "This form has expired; open Rotate key again" in response.content.decode()
    issued.license.refresh_from_db()
    assert keys.same_hash(issued.key, issued.license.key_hash)


def test_the_shown_once_page_is_the_owners_only(
    client_for, owner, teammate, outsider, issued, rotate_url, shown_url
):
    rotator = client_for(owner)
    rotator.post(rotate_url, _form(rotator, rotate_url, overlap="1h", reason="routine"))
    assert client_for(teammate).get(shown_url).status_code == 403
    assert client_for(outsider).get(shown_url).status_code == 404
    elsewhere = f"/app/elsewhere/licenses/{issued.license.pk}/rotate-key/new-key/"
    assert client_for(outsider).get(elsewhere).status_code == 404
