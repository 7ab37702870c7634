"""The pairing code: what the tokens page shows as a QR code and the scanner reads.

A small JSON object, as pretix's handshake is: the server's address and a pairing token that
the scanner exchanges (once, within minutes) for its own token::

    {"aanwezig_pairing": 1, "url": "https://aanwezig.example.org", "token": "azp_..."}

The digit is the format's version. Shared by server and scanner; no IO here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

PAIRING_KEY = "aanwezig_pairing"
PAIRING_VERSION = 1
PAIRING_PREFIX = "azp_"
MAX_PAIRING_TEXT = 1000


@dataclass(frozen=True, slots=True)
class PairingCode:
    url: str
    token: str


def pairing_text(url: str, token: str) -> str:
    """The text of the QR code for ``url`` and a plain pairing ``token``."""
    return json.dumps(
        {PAIRING_KEY: PAIRING_VERSION, "url": url, "token": token}, separators=(",", ":")
    )


def parse_pairing_text(text: str) -> PairingCode | None:
    """The pairing code in a scanned text, or None when the text is not one (a participant's
    code, or anything else)."""
    text = text.strip()
    if not text.startswith("{") or len(text) > MAX_PAIRING_TEXT:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get(PAIRING_KEY) != PAIRING_VERSION:
        return None
    url, token = data.get("url"), data.get("token")
    if not isinstance(url, str) or not isinstance(token, str):
        return None
    if not token.startswith(PAIRING_PREFIX) or not url.strip():
        return None
    return PairingCode(url=url.strip(), token=token)
