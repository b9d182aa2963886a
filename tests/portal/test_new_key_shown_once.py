"""A first purchase's license key is shown once, on the confirmation, with a copy button
and a .txt download; a reload, the back button or anyone else sees only the masked key."""

import re

from billing.details.services import billing_details_update
from licensing.licenses import keys
from licensing.models import License
from portal.models import Organization
from tests.portal.test_checkout_pages import _confirm_form, _start

KEY = re.compile(r"TW-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]")
BUY = {"tier": "team", "seats": 5, "cycle": "monthly", "currency": "USD", "submitted": 1}


def _buy(client):
    # A first purchase asks who the invoice is made out to, once.
    organization = Organization.objects.get(slug="northwind")
    billing_details_update(
        organization=organization,
        actor=organization.memberships.get(role="owner").user,
        legal_name="Northwind Ltd",
        address_line1="1 Harbour Road",
        city="Cork",
        country="IE",
    )
    url = _start(client, "northwind", tier="team")
    page = client.get(url, BUY)
    assert page.status_code == 200, page.content.decode()
    confirmed = client.post(url + "confirm/", _confirm_form(page))
    assert confirmed.status_code == 302 and confirmed["Location"].endswith("/done/")
    return confirmed["Location"]


def test_a_purchase_shows_its_new_key_once_with_copy_and_download(client_for, owner, catalog, now):
    client = client_for(owner)
    done = _buy(client)
    first = client.get(done)
    page = first.content.decode()
    key = KEY.search(page).group()
    license = License.objects.get()
    assert keys.same_hash(key, license.key_hash)
    assert "shown only this once" in page
    assert "<h1>Your purchase is confirmed</h1>" in page and "Your change is" not in page
    assert 'data-copy-target="secret-value"' in page and "js/copy-secret.js" in page
    download = f"/app/northwind/licenses/{license.pk}/key.txt"
    assert f'action="{download}"' in page
    assert "no-store" in first["Cache-Control"] or "max-age=0" in first["Cache-Control"]
    # The download works from that page, without JavaScript: a plain form post.
    text = client.post(download, {"key": key})
    assert (text.status_code, text.content.decode()) == (200, f"{key}\n")

    # Never again: a reload shows the masked key and how to get a new one.
    again = client.get(done).content.decode()
    assert KEY.search(again) is None
    assert license.masked_key in again and "was shown once" in again
    assert "checkout_new_key" not in client.session


def test_a_plan_change_shows_no_key(client_for, owner, catalog, now):
    from tests.helpers.checkout import subscribed
    from tests.portal.test_checkout_pages import CHANGE

    subscribed(owner.memberships.get().organization, catalog, seats=5)
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    done = client.get(client.post(url + "confirm/", _confirm_form(page))["Location"])
    html = done.content.decode()
    assert KEY.search(html) is None and "Your license key" not in html
    assert "<h1>Your change is confirmed</h1>" in html and "purchase" not in html.lower()


def test_another_member_opening_the_confirmation_never_sees_the_key(
    client, client_for, owner, billing_admin, outsider, catalog, now
):
    done = _buy(client_for(owner))
    client.logout()
    other = client_for(billing_admin).get(done).content.decode()
    assert KEY.search(other) is None and "was shown once" in other
    client.logout()
    assert client_for(outsider).get(done).status_code == 404
