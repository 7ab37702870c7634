"""Pairing a scanner: a pairing token works once, and only for a few minutes.

The token is shown as a QR code on a screen that others may see (a projector, a shared desk),
so it must be worthless soon after: it becomes the scanner's own token on its first use and
expires after ``PAIRING_VALID`` if it is never used.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

PAIRING_VALID = timedelta(minutes=5)

PairingRefusal = Literal["pairing_used", "pairing_expired"]


def pairing_expires_at(issued_at: datetime) -> datetime:
    return issued_at + PAIRING_VALID


def pairing_refusal(
    expires_at: datetime, used_at: datetime | None, now: datetime
) -> PairingRefusal | None:
    """Why a pairing token can no longer be exchanged, or None when it still can.

    A used token stays used even before it would have expired; a token expires at
    ``expires_at`` itself.
    """
    if used_at is not None:
        return "pairing_used"
    if now >= expires_at:
        return "pairing_expired"
    return None
