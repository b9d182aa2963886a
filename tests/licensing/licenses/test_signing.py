"""Signed license files: issued on every change to what they say, verifiable offline
with the public key served at a fixed URL, and broken by any single changed byte."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licensing.licenses import signing
from licensing.licenses.services import (
    entitlement_override_grant,
    license_change_seats,
    license_latest_file,
    license_suspend,
    machine_activate,
)
from tests.helpers.licenses import SYSTEM


def test_it_signs_and_verifies_the_whole_license(issued, organization, client):
    body = license_latest_file(issued.license).body
    public_pem = client.get("/.well-known/tierwise-license-key.pem").content.decode()

    payload = signing.verify(body, public_pem)

    assert payload["organization"] == {"slug": organization.slug, "name": organization.name}
    assert payload["product"]["slug"] == "tierwise-licensing"
    assert payload["tier"] == {"slug": "team", "name": "Team"}
    assert (payload["version"], payload["legacy"], payload["seats"]) == (2, False, 5)
    assert payload["expires_on"] == "2026-12-31"
    assert payload["issued_at"].startswith("2026-03-14")
    assert "coupons" in payload["entitlements"]["features"]
    assert payload["entitlements"]["limits"]["seats"]["value"] == 5  # bought, not the tier's 15
    assert payload["entitlements"]["limits"]["api-calls"]["value"] == 100_000
    assert payload["key_id"] == signing.key_id()


def test_it_rejects_a_file_with_any_single_byte_changed(issued):
    body = license_latest_file(issued.license).body.encode()
    public_pem = signing.public_key_pem()
    for position in range(len(body)):
        for delta in (1, 32):
            tampered = bytearray(body)
            tampered[position] = (tampered[position] + delta) % 256
            with pytest.raises((signing.VerificationError, ValueError)):
                signing.verify(bytes(tampered), public_pem)


def test_it_rejects_a_file_signed_by_another_key(issued):
    payload = json.loads(license_latest_file(issued.license).body.splitlines()[0])
    forged = signing.sign(payload | {"seats": 500}, Ed25519PrivateKey.generate())
    with pytest.raises(signing.VerificationError):
        signing.verify(forged, signing.public_key_pem())


def test_it_issues_a_new_file_whenever_entitlements_change(issued, catalog):
    license = issued.license
    assert license.files.count() == 1
    entitlement_override_grant(
        license=license, actor=SYSTEM, reason="Pilot.", metric=catalog.metric("storage"), value=500
    )
    license_change_seats(license=license, seats=7, actor=SYSTEM, reason="Two more people.")
    assert license.files.count() == 3
    latest = signing.verify(license_latest_file(license).body, signing.public_key_pem())
    assert latest["entitlements"]["limits"]["storage"]["value"] == 500
    assert (latest["seats"], latest["status"]) == (7, "active")
    license_suspend(license=license, actor=SYSTEM, reason="Unpaid.")
    assert license.files.count() == 4
    latest = signing.verify(license_latest_file(license).body, signing.public_key_pem())
    # Suspended, it grants nothing, as the API says (test_unusable_file.py).
    assert (latest["status"], latest["entitlements"]["limits"]) == ("suspended", {})


def test_it_does_not_reissue_when_nothing_in_the_file_changed(issued):
    machine_activate(license=issued.license, fingerprint="host-1", actor=SYSTEM)
    assert issued.license.files.count() == 1
