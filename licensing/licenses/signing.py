"""Ed25519 signatures for license files.

A license file is two lines of ASCII:

    <payload: canonical JSON, one line>\\n
    <signature: standard base64 of the Ed25519 signature over the payload line's bytes>\\n

The verifier checks the exact bytes (the signature is over the payload line as written,
and the signature line must be the canonical base64 of the signature), so changing any
single byte of the file fails verification.

The private key comes from LICENSE_SIGNING_KEY (a PEM, or the PEM in base64). Without it,
a development or test run (DEBUG) generates one into var/ on first use
(LICENSE_SIGNING_KEY_DEV_FILE); production refuses to sign without the setting.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORMAT = "tierwise-license/1"


class VerificationError(ValueError):
    """The file is not a license file signed by the key given."""


def _load_private_key(text: str) -> Ed25519PrivateKey:
    data = text.strip().encode()
    if not data.startswith(b"-----BEGIN"):
        try:
            data = base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise ImproperlyConfigured(
                "LICENSE_SIGNING_KEY must be an Ed25519 private key in PEM, or that PEM in base64."
            ) from exc
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("LICENSE_SIGNING_KEY must be an Ed25519 private key.")
    return key


def _development_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a name of its own, then linked into place: the link fails
        # if another process got there first (its key is kept), and no process ever
        # reads a key file that is still being written.
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return _load_private_key(path.read_text())


@lru_cache(maxsize=1)
def signing_key() -> Ed25519PrivateKey:
    configured = settings.LICENSE_SIGNING_KEY
    if configured:
        return _load_private_key(configured)
    if not settings.LICENSE_SIGNING_KEY_DEV_FILE:
        raise ImproperlyConfigured("Set LICENSE_SIGNING_KEY to sign license files.")
    return _development_key(Path(settings.LICENSE_SIGNING_KEY_DEV_FILE))


def public_key_pem(private_key: Ed25519PrivateKey | None = None) -> str:
    key = (private_key or signing_key()).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(private_key: Ed25519PrivateKey | None = None) -> str:
    """A short fingerprint of the public key, so a file says which key signed it."""
    raw = (
        (private_key or signing_key())
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return hashlib.sha256(raw).hexdigest()[:16]


def canonical_json(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(payload: dict, private_key: Ed25519PrivateKey | None = None) -> str:
    line = canonical_json(payload)
    signature = (private_key or signing_key()).sign(line)
    return (line + b"\n" + base64.b64encode(signature) + b"\n").decode("ascii")


def verify(body: str | bytes, public_key: Ed25519PublicKey | str) -> dict:
    """The payload of a license file, or VerificationError."""
    if isinstance(public_key, str):
        public_key = serialization.load_pem_public_key(public_key.encode())
    data = body.encode() if isinstance(body, str) else body
    parts = data.split(b"\n")
    if len(parts) != 3 or parts[2] != b"":
        raise VerificationError("A license file has exactly two lines.")
    line, encoded = parts[0], parts[1]
    try:
        signature = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise VerificationError("The signature line is not base64.") from exc
    if base64.b64encode(signature) != encoded:
        raise VerificationError("The signature line is not in canonical form.")
    try:
        public_key.verify(signature, line)
    except InvalidSignature as exc:
        raise VerificationError("The signature does not match: the file was changed.") from exc
    payload = json.loads(line)
    if payload.get("format") != FORMAT:
        raise VerificationError(f"Unknown format {payload.get('format')!r}.")
    return payload
