"""What the scanner can tell on its own: is this our code, is the person on the roster, and
which way the scan probably goes. The server decides; this is what the trainer sees while the
network is down, and it is replaced by the server's answer as soon as that arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from checkin import Direction, Requested, scan_direction
from qr import InvalidCode, load_public_key, verify_code

MESSAGES = {
    "invalid_code": "Geen geldige Aanwezig-code",
    "revoked_code": "Code ingetrokken: de deelnemer kreeg een nieuwe",
    "not_enrolled": "Niet ingeschreven voor deze sessie: stuur naar de balie",
    "unknown_session": "Sessie niet gevonden",
    "too_early": "Te vroeg: registreren kan pas kort voor de start",
    "registration_closed": "Sessie afgesloten: registreren kan niet meer",
    "future_time": "Klok van de laptop staat verkeerd",
    "forbidden": "Dit account mag niet scannen",
    "unauthorized": "Token geweigerd",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    participant_id: int | None = None
    name: str | None = None
    direction: Direction | None = None  # predicted
    repeat: bool = False
    reason: str | None = None  # refusal code

    @property
    def message(self) -> str:
        return MESSAGES.get(self.reason or "", self.reason or "")


# What a server from before the roster carried its repeat interval used (its default setting).
FALLBACK_REPEAT_SECONDS = 120.0


def repeat_interval(roster: dict[str, Any]) -> timedelta:
    """The server's repeat interval, which the roster carries: a scan of the same person within
    it is a repeat. An older server's roster lacks it: then its default."""
    seconds = roster.get("repeat_seconds")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0:
        return timedelta(seconds=seconds)
    return timedelta(seconds=FALLBACK_REPEAT_SECONDS)


class OfflineVerifier:
    """Checks codes with the public key and the session roster cached at start."""

    def __init__(self, public_key_pem: str, roster: dict[str, Any], repeat_interval: timedelta):
        self.key = load_public_key(public_key_pem)
        self.people = {p["id"]: p for p in roster["participants"]}
        self.repeat_interval = repeat_interval
        self.state: dict[int, tuple[Direction, datetime | None]] = {
            p["id"]: (
                p["state"],
                datetime.fromisoformat(p["last_at"]) if p.get("last_at") else None,
            )
            for p in roster["participants"]
        }

    def check(self, text: str, at: datetime, requested: Requested = "auto") -> Verdict:
        try:
            signed = verify_code(self.key, text)
        except InvalidCode:
            return Verdict(False, reason="invalid_code")
        person = self.people.get(signed.participant_id)
        if person is None:
            return Verdict(False, participant_id=signed.participant_id, reason="not_enrolled")
        if signed.key_version != person["key_version"]:
            return Verdict(
                False, participant_id=person["id"], name=person["name"], reason="revoked_code"
            )
        state, last_at = self.state.get(person["id"], ("out", None))
        # The server's own rule (the shared ``checkin`` package), so the prediction the trainer
        # sees offline is the direction the server will record.
        direction, repeat = scan_direction(
            requested,
            state,
            last_at,
            at,
            self.repeat_interval,
        )
        return Verdict(True, person["id"], person["name"], direction, repeat)

    def apply(self, participant_id: int, direction: Direction, at: datetime) -> None:
        """Remember a registration (predicted or confirmed) for the next prediction."""
        self.state[participant_id] = (direction, at)
