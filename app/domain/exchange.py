"""The exchange with a school administration package (docs/rules.md, "Exchange").

Pure rules, no framework: which moment of the peer a session falls in, which code a state
travels as (the mapping is data, per connection), which of two registrations for the same
participant and moment wins (the one registered last), the stable id of an event, the state a
session's registrations amount to, and how long a delivery is retried.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

Part = Literal["am", "pm"]
PARTS: tuple[Part, ...] = ("am", "pm")

# Our attendance states, as they travel. A justification travels with its kind.
STATES: tuple[str, ...] = (
    "present",
    "absent",
    "late",
    "left_early",
    "justified_doctor",
    "justified_employer",
    "justified_klein_verlet",
    "justified_other",
    "exempt",
)
PRESENT_STATES = frozenset({"present", "late", "left_early"})

# A default mapping in the style of the packages (a vertical bar for present, letters for the
# kinds of absence). Support edits it per connection: it is data, not code.
DEFAULT_MAPPING: dict[str, str] = {
    "present": "|",
    "absent": "B",
    "late": "L",
    "left_early": "V",
    "justified_doctor": "Z",
    "justified_employer": "W",
    "justified_klein_verlet": "K",
    "justified_other": "G",
    "exempt": "VR",
}

# Kinds of change that can go out (a connection chooses which).
EVENT_KINDS: tuple[str, ...] = ("registration", "mark", "justification", "exemption")

# The noon that splits a day into the peer's two half days, unless a connection says otherwise.
DEFAULT_SPLIT = time(12, 0)
MAX_CODE_LENGTH = 10
_CODE = re.compile(r"^[^\s\x00-\x1f\x7f]{1,10}$")

# Deliveries are retried (the job runner's back-off: 30 s doubling, at most 30 min) for a
# week, then kept as failed until support retries them.
GIVE_UP_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True, order=True)
class Moment:
    """The peer's unit of attendance: a participant's half day."""

    day: date
    part: Part


def moment_of(day: date, start: time, split_at: time = DEFAULT_SPLIT) -> Moment:
    """A session belongs to the half day its start falls in (local time): before the split the
    morning, from the split on the afternoon. A session from 11:00 to 13:00 is a morning one."""
    return Moment(day, "am" if start < split_at else "pm")


def sessions_in_moment(
    sessions: Iterable[tuple[int, date, time]], moment: Moment, split_at: time = DEFAULT_SPLIT
) -> list[int]:
    """The sessions (id, day, start) that fall in ``moment``: an incoming code for a half day
    applies to every one of them (several sessions in one half day share the peer's code)."""
    return [sid for sid, day, start in sessions if moment_of(day, start, split_at) == moment]


@dataclass(frozen=True, slots=True)
class Stamp:
    """When a change was registered where it was made, and its event id (the tie-break)."""

    registered_at: datetime
    event_id: str


def wins(incoming: Stamp, held: Stamp | None) -> bool:
    """The one registered last wins. Equal times are decided by the event id, so both sides
    decide alike whatever the order the events arrive in."""
    if held is None:
        return True
    return (incoming.registered_at, incoming.event_id) > (held.registered_at, held.event_id)


def latest(stamps: Iterable[Stamp]) -> Stamp | None:
    """The stamp every other one loses to (what a side holds for a moment)."""
    best: Stamp | None = None
    for stamp in stamps:
        if wins(stamp, best):
            best = stamp
    return best


def event_id(namespace: str, source: str, source_id: int, session_id: int | None) -> str:
    """A stable id: the same change gets the same id every time it is sent (a retry, the
    one-time push after a live delivery), so a peer that remembers ids applies it once."""
    text = f"{namespace}|{source}|{source_id}|{session_id or ''}"
    return "evt_" + hashlib.sha256(text.encode()).hexdigest()[:32]


def mapping_problems(mapping: Mapping[str, object]) -> list[str]:
    """What is wrong with a codes mapping: a state without a code, an unknown state, a code that
    is empty, too long or holds spaces, a code used for two states (it could not travel back)."""
    problems = [f"missing:{state}" for state in STATES if state not in mapping]
    problems += [f"unknown:{state}" for state in mapping if state not in STATES]
    seen: dict[str, str] = {}
    for state, code in mapping.items():
        if not isinstance(code, str) or not _CODE.match(code):
            problems.append(f"invalid:{state}")
            continue
        if code in seen:
            problems.append(f"duplicate:{code}")
        seen[code] = state
    return problems


def code_for(mapping: Mapping[str, str], state: str) -> str:
    return mapping[state]


def state_for(mapping: Mapping[str, str], code: str) -> str | None:
    """The state a peer's code stands for, or None for a code the mapping does not know."""
    return next((state for state, c in mapping.items() if c == code), None)


# The states as a Dutch-speaking support user reads and types them on the connection's page;
# what is stored and travels stays the names above (the protocol's, docs/exchange.md).
DUTCH_STATE_NAMES: dict[str, str] = {
    "present": "aanwezig",
    "absent": "afwezig",
    "late": "te_laat",
    "left_early": "vroeger_vertrokken",
    "justified_doctor": "gewettigd_dokter",
    "justified_employer": "gewettigd_werkgever",
    "justified_klein_verlet": "gewettigd_klein_verlet",
    "justified_other": "gewettigd_ander",
    "exempt": "vrijgesteld",
}
_FROM_DUTCH = {dutch: state for state, dutch in DUTCH_STATE_NAMES.items()}


def parse_mapping(text: str) -> dict[str, str]:
    """The mapping as support edits it: one ``state = code`` per line, the state by its name
    or by its Dutch name (``aanwezig = |``)."""
    mapping: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        state, sep, code = line.partition("=")
        if not sep:
            raise ValueError(line.strip())
        name = state.strip()
        mapping[_FROM_DUTCH.get(name, name)] = code.strip()
    return mapping


def format_mapping(mapping: Mapping[str, str], names: Mapping[str, str] | None = None) -> str:
    """One ``state = code`` per line; ``names`` shows the states by other names (Dutch)."""
    ordered = [s for s in STATES if s in mapping] + [s for s in mapping if s not in STATES]
    names = names or {}
    return "\n".join(f"{names.get(state, state)} = {mapping[state]}" for state in ordered)


def state_from_registrations(
    start: datetime, end: datetime, registrations: Iterable[tuple[str, datetime]]
) -> str:
    """What a session's effective registrations (kind "in"/"out", time) amount to: nothing is
    absent, a first check-in after the start is late, a last check-out before the end is left
    early (late wins when both), otherwise present."""
    ordered = sorted(registrations, key=lambda r: r[1])
    if not ordered:
        return "absent"
    ins = [at for kind, at in ordered if kind == "in"]
    if ins and ins[0] > start:
        return "late"
    if ordered[-1][0] == "out" and ordered[-1][1] < end:
        return "left_early"
    return "present"


def given_up(first_queued_at: datetime, now: datetime) -> bool:
    """A delivery is retried for a week; then it is failed until support retries it."""
    return now - first_queued_at > GIVE_UP_AFTER


def identifier_allowed(identifier: str, url: str, national_number_allowed: bool) -> bool:
    """The national register number travels only over HTTPS and only where allowed."""
    if identifier != "national_number":
        return identifier in ("external_id", "email")
    return national_number_allowed and url.lower().startswith("https://")
