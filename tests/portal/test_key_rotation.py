"""Rotating the key from the dashboard: the owner chooses how long the old key keeps
working (24 hours by default) and why; the new key is shown once with a copy button and
a .txt download; the dashboard lists both keys with the old one's end; outsiders get 404
on every new page."""

import re
from datetime import timedelta

import pytest

from licensing.licenses import keys
from licensing.models import LicenseEvent, RetiringKey

KEY = re.compile(r"TW-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]")


@pytest.fixture
def rotate_url(issued):
    return f"/app/northwind/licenses/{issued.license.pk}/rotate-key/"


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
    response = client.post(
        rotate_url, {"overlap": "24h", "reason": "person_left", "details": "Ana moved on."}
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
    page = (
        client_for(owner).post(rotate_url, {"overlap": "none", "reason": "leaked"}).content.decode()
    )
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
    response = client_for(owner).post(rotate_url, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    issued.license.refresh_from_db()
    assert keys.same_hash(issued.key, issued.license.key_hash)


def test_the_key_shown_once_downloads_as_a_text_file(
    client_for, owner, now, issued, rotate_url, download_url
):
    client = client_for(owner)
    page = client.post(rotate_url, {"overlap": "1h", "reason": "routine"}).content.decode()
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
    client.post(rotate_url, {"overlap": "24h", "reason": "routine"})
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
    assert (
        outsider_client.post(rotate_url, {"overlap": "24h", "reason": "routine"}).status_code == 404
    )
    elsewhere = f"/app/elsewhere/licenses/{issued.license.pk}/key.txt"
    assert outsider_client.post(elsewhere, {"key": issued.key}).status_code == 404
    assert not RetiringKey.objects.exists()


def test_the_download_takes_no_get(client_for, owner, download_url):
    assert client_for(owner).get(download_url).status_code == 405
