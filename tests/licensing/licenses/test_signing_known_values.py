"""License file signatures against fixed values. Ed25519 is deterministic, so with the key
set in LICENSE_SIGNING_KEY a payload has exactly one signed file: any change to the format,
the canonical JSON (non-ASCII names included), the key in use or its fingerprint shows."""

import base64
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured

from licensing.licenses import signing

# The Ed25519 key whose 32-byte seed is 00 01 02 … 1f: a test key, never a real one.
PRIVATE_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f
-----END PRIVATE KEY-----
"""
PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=
-----END PUBLIC KEY-----
"""
KEY_ID = "56475aa75463474c"  # sha256 of the raw public key 03a107bf…5531b8, first 16

PAYLOAD = {
    "format": "tierwise-license/1",
    "organization": {"name": "Müller & Søn — 東京", "slug": "muller"},
    "seats": 5,
}
LINE = (
    '{"format":"tierwise-license/1","organization":{"name":"M\\u00fcller & S\\u00f8n '
    '\\u2014 \\u6771\\u4eac","slug":"muller"},"seats":5}'
)
SIGNATURE = (
    "s9C6fIonSTeZ82nHOGfhg+Sjy9G9IMqFcFLvomfZtTqlImjQgHPseUJrAAhaJxlg7jKk43iHZTe/XgXDOOGvCw=="
)
FILE = f"{LINE}\n{SIGNATURE}\n"


@pytest.fixture
def signing_settings(settings):
    """The settings signing reads; the key they give is cached, so it is forgotten before
    and after."""
    signing.signing_key.cache_clear()
    yield settings
    signing.signing_key.cache_clear()


@pytest.fixture
def configured(signing_settings):
    signing_settings.LICENSE_SIGNING_KEY = PRIVATE_PEM
    signing_settings.LICENSE_SIGNING_KEY_DEV_FILE = ""
    return signing_settings


def test_it_signs_with_the_configured_key(configured):
    assert signing.sign(PAYLOAD) == FILE
    assert signing.public_key_pem() == PUBLIC_PEM
    assert signing.key_id() == KEY_ID


def test_it_reads_the_key_as_pem_or_as_pem_in_base64(configured):
    configured.LICENSE_SIGNING_KEY = f"\n  {base64.b64encode(PRIVATE_PEM.encode()).decode()}  \n"
    assert signing.key_id() == KEY_ID


def test_it_refuses_a_base64_key_with_stray_characters(configured):
    encoded = base64.b64encode(PRIVATE_PEM.encode()).decode()
    configured.LICENSE_SIGNING_KEY = f"{encoded[:20]}*{encoded[20:]}"
    message = "LICENSE_SIGNING_KEY must be an Ed25519 private key in PEM, or that PEM in base64."
    with pytest.raises(ImproperlyConfigured, match=f"^{re.escape(message)}$"):
        signing.sign(PAYLOAD)


def test_it_writes_non_ascii_names_as_escapes_in_canonical_json():
    assert signing.canonical_json(PAYLOAD) == LINE.encode("ascii")
    assert signing.canonical_json({"b": 1, "a": [1, 2]}) == b'{"a":[1,2],"b":1}'


def test_it_verifies_the_file_and_gives_back_the_payload_intact(configured):
    assert signing.verify(FILE, PUBLIC_PEM) == PAYLOAD
    public_key = serialization.load_pem_public_key(PUBLIC_PEM.encode())
    assert (
        signing.verify(FILE.encode(), public_key)["organization"]["name"] == "Müller & Søn — 東京"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{LINE}\n{SIGNATURE}", "A license file has exactly two lines."),
        (f"{LINE}\n{SIGNATURE}\n\n", "A license file has exactly two lines."),
        (f"{LINE}\n{SIGNATURE}\nmore", "A license file has exactly two lines."),
        (f"{LINE}\n{SIGNATURE[:-3]}!==\n", "The signature line is not base64."),
        (f"{LINE}\n{SIGNATURE[:10]}*{SIGNATURE[10:]}\n", "The signature line is not base64."),
        # The last data character's low bits are padding: "x" decodes like "w", but
        # only "w" is what the signer wrote.
        (f"{LINE}\n{SIGNATURE[:-3]}x==\n", "The signature line is not in canonical form."),
        (
            FILE.replace('"seats":5', '"seats":6'),
            "The signature does not match: the file was changed.",
        ),
    ],
)
def test_it_refuses_a_file_that_is_not_exactly_as_signed(body, message):
    with pytest.raises(signing.VerificationError, match=f"^{re.escape(message)}$"):
        signing.verify(body, PUBLIC_PEM)


@pytest.mark.parametrize(
    ("payload", "message"),
    [({"format": "other/1"}, "Unknown format 'other/1'."), ({"seats": 5}, "Unknown format None.")],
)
def test_it_refuses_a_signed_file_of_another_format(configured, payload, message):
    with pytest.raises(signing.VerificationError, match=f"^{re.escape(message)}$"):
        signing.verify(signing.sign(payload), PUBLIC_PEM)


@pytest.mark.parametrize(
    ("configured_key", "message"),
    [
        (
            "not a key!",
            "LICENSE_SIGNING_KEY must be an Ed25519 private key in PEM, or that PEM in base64.",
        ),
        (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode(),
            "LICENSE_SIGNING_KEY must be an Ed25519 private key.",
        ),
    ],
)
def test_it_refuses_a_signing_key_that_is_not_ed25519(configured, configured_key, message):
    configured.LICENSE_SIGNING_KEY = configured_key
    with pytest.raises(ImproperlyConfigured, match=f"^{re.escape(message)}$"):
        signing.sign(PAYLOAD)


def test_without_a_key_or_a_development_file_it_refuses_to_sign(signing_settings):
    signing_settings.LICENSE_SIGNING_KEY = ""
    signing_settings.LICENSE_SIGNING_KEY_DEV_FILE = ""
    message = "Set LICENSE_SIGNING_KEY to sign license files."
    with pytest.raises(ImproperlyConfigured, match=f"^{re.escape(message)}$"):
        signing.sign(PAYLOAD)


@pytest.mark.parametrize("where", ["dev.pem", "var/keys/dev.pem"])
def test_a_development_run_makes_its_own_key_once_readable_only_by_its_owner(
    signing_settings, tmp_path, where
):
    path = tmp_path / where
    signing_settings.LICENSE_SIGNING_KEY = ""
    signing_settings.LICENSE_SIGNING_KEY_DEV_FILE = str(path)

    first = signing.key_id()
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    signing.signing_key.cache_clear()
    assert signing.key_id() == first


def test_a_development_key_already_written_is_kept(signing_settings, tmp_path):
    path = tmp_path / "dev.pem"
    path.write_text(PRIVATE_PEM)
    signing_settings.LICENSE_SIGNING_KEY = ""
    signing_settings.LICENSE_SIGNING_KEY_DEV_FILE = str(path)
    assert signing.sign(PAYLOAD) == FILE
    assert path.read_text() == PRIVATE_PEM


def test_two_runs_making_the_key_at_once_keep_the_first_whole(
    signing_settings, tmp_path, monkeypatch
):
    path = tmp_path / "dev.pem"
    signing_settings.LICENSE_SIGNING_KEY = ""
    signing_settings.LICENSE_SIGNING_KEY_DEV_FILE = str(path)
    link = os.link

    def another_process_first(source, destination):
        # Beside the key, so the link is on one file system (and never a copy).
        assert Path(source).parent == path.parent
        path.write_text(PRIVATE_PEM)  # the other process linked its whole key first
        link(source, destination)

    monkeypatch.setattr(os, "link", another_process_first)

    assert signing.sign(PAYLOAD) == FILE
    assert path.read_text() == PRIVATE_PEM
    assert [p.name for p in tmp_path.iterdir()] == ["dev.pem"]  # no draft left behind
