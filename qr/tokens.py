"""Compact Ed25519-signed participant codes.

A code is ``AZ1.`` followed by the URL-safe base64 (no padding) of::

    participant id (4 bytes, big endian) | key version (2 bytes) | Ed25519 signature (64 bytes)

The signature covers the format prefix and the first six bytes, so a code cannot be moved to
another format version. The code holds no personal data: only an id that means nothing
without the server's database, and the key version that lets a promotor revoke a code by
issuing the next version. A scanner with only the public key can check a code offline.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# Increment the digit if the layout of the payload ever changes.
TOKEN_PREFIX = "AZ1."
_BODY = struct.Struct(">IH")
_SIGNATURE_SIZE = 64


class InvalidCode(ValueError):
    """The text is not a code signed by our key (malformed, foreign or tampered)."""


@dataclass(frozen=True, slots=True)
class SignedCode:
    """What a verified code says."""

    participant_id: int
    key_version: int


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padding = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + padding)


def sign_code(private_key: Ed25519PrivateKey, participant_id: int, key_version: int) -> str:
    """Return the printable code for a participant and key version."""
    if not 0 < participant_id < 2**32:
        raise ValueError("participant_id out of range")
    if not 0 < key_version < 2**16:
        raise ValueError("key_version out of range")
    body = _BODY.pack(participant_id, key_version)
    signature = private_key.sign(TOKEN_PREFIX.encode("ascii") + body)
    return TOKEN_PREFIX + _b64encode(body + signature)


def verify_code(public_key: Ed25519PublicKey, text: str) -> SignedCode:
    """Check a scanned text and return what it says, or raise :class:`InvalidCode`."""
    text = text.strip()
    if not text.startswith(TOKEN_PREFIX):
        raise InvalidCode("not an Aanwezig code")
    try:
        raw = _b64decode(text[len(TOKEN_PREFIX) :])
    except (binascii.Error, ValueError) as exc:
        raise InvalidCode("malformed code") from exc
    if len(raw) != _BODY.size + _SIGNATURE_SIZE:
        raise InvalidCode("malformed code")
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    try:
        public_key.verify(signature, TOKEN_PREFIX.encode("ascii") + body)
    except InvalidSignature as exc:
        raise InvalidCode("signature does not match") from exc
    participant_id, key_version = _BODY.unpack(body)
    return SignedCode(participant_id=participant_id, key_version=key_version)


def generate_private_key() -> Ed25519PrivateKey:
    """Make a fresh signing key."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    """Serialise a signing key for storage in the instance folder."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_to_pem(key: Ed25519PublicKey) -> str:
    """Serialise a public key for the scanner (served by the API)."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """Read a PEM signing key; refuse any key type other than Ed25519."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the QR signing key must be an Ed25519 key")
    return key


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """Read a PEM public key as served at /api/v1/qr/public-key."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the QR public key must be an Ed25519 key")
    return key
