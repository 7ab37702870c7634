"""Keys kept in the instance folder: the Flask secret, the QR signing key, the NRN key.

Each is taken from configuration when given, otherwise created on first start and stored with
owner-only permissions, so a fresh checkout works and a deployment can inject its own.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app

import qr


def _read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = make()
    # Written whole under a temporary name, then linked into place: os.link fails when the
    # name exists, so two processes starting at once (the web servers and workers of one
    # deploy, on a shared instance folder) never write two different keys, and neither ever
    # reads a key the other is still writing.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_bytes()
    finally:
        os.unlink(temporary)
    return data


def init_keys(app: Flask) -> None:
    """Load or create every key the app needs; store them on ``app.extensions``."""
    instance = Path(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _read_or_create(
            instance / "secret_key", lambda: secrets.token_hex(32).encode()
        ).decode()
    pem = app.config.get("QR_PRIVATE_KEY")
    pem_bytes = (
        pem.encode()
        if pem
        else _read_or_create(
            instance / "qr_signing_key.pem",
            lambda: qr.private_key_to_pem(qr.generate_private_key()),
        )
    )
    nrn_key = app.config.get("NATIONAL_NUMBER_KEY")
    nrn_bytes = (
        nrn_key.encode()
        if nrn_key
        else _read_or_create(instance / "national_number.key", Fernet.generate_key)
    )
    app.extensions["aanwezig.qr_key"] = qr.load_private_key(pem_bytes)
    app.extensions["aanwezig.fernet"] = Fernet(nrn_bytes.strip())
    # A separate key for the blind index, derived so one secret serves both purposes safely.
    app.extensions["aanwezig.nrn_index_key"] = hashlib.sha256(b"nrn-index:" + nrn_bytes).digest()


def qr_private_key() -> Ed25519PrivateKey:
    return current_app.extensions["aanwezig.qr_key"]


def qr_public_key() -> Ed25519PublicKey:
    return qr_private_key().public_key()


def encrypt_national_number(digits: str) -> bytes:
    return current_app.extensions["aanwezig.fernet"].encrypt(digits.encode())


def decrypt_national_number(token: bytes) -> str:
    return current_app.extensions["aanwezig.fernet"].decrypt(token).decode()


def national_number_index(digits: str) -> str:
    """A keyed hash: equal numbers give equal indexes, but the index reveals nothing."""
    key = current_app.extensions["aanwezig.nrn_index_key"]
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token() -> str:
    return "azt_" + secrets.token_urlsafe(32)


def encrypt_secret(secret: str) -> bytes:
    """A shared secret (an exchange connection's) at rest: the same key as the NRN."""
    return current_app.extensions["aanwezig.fernet"].encrypt(secret.encode())


def decrypt_secret(token: bytes) -> str:
    return current_app.extensions["aanwezig.fernet"].decrypt(token).decode()
