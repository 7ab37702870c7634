"""Signed participant codes: signing, verifying and rendering, shared by server and scanner.

This package does no IO of its own and never imports ``app``: the scanner ships it alone.
"""

from qr.tokens import (
    TOKEN_PREFIX,
    InvalidCode,
    SignedCode,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_to_pem,
    sign_code,
    verify_code,
)

__all__ = [
    "TOKEN_PREFIX",
    "InvalidCode",
    "SignedCode",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "private_key_to_pem",
    "public_key_to_pem",
    "sign_code",
    "verify_code",
]
