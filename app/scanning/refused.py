"""Refused scans: kept with their reason, caller and time, and counted for the session page.

A scanner that refuses a code shows it for a few seconds; afterwards nobody knows that three
people were turned away at the door. Keeping the refusals (as pretix keeps its failed
check-ins) lets the trainer and support see it: "3 geweigerde scans: 2 niet ingeschreven".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.db import keep_despite_refusal
from app.extensions import db
from app.models import Participant, RefusedScan, Session
from app.scoping import Principal
from app.security import qr_public_key
from qr import InvalidCode, verify_code

# Short labels for the counts on the session page (the scanner shows the full message).
LABELS = {
    "invalid_code": _l("not a valid code"),
    "revoked_code": _l("revoked code"),
    "not_enrolled": _l("not enrolled"),
    "too_early": _l("too early"),
    "registration_closed": _l("registration closed"),
    "future_time": _l("time in the future"),
    "nonce_reused": _l("nonce used twice"),
    "cancelled": _l("session cancelled"),
    "forbidden": _l("not allowed"),
}


def keep(caller: Principal, session_id: int, code: str, reason: str, now: datetime) -> None:
    """Keep a refused scan (the request itself is answered with the refusal).

    The session is kept only when it exists and the refusal was not "unknown session" (an id
    out of the caller's scope says nothing about that session); the participant only when the
    code is genuine and theirs exists.
    """
    session = None
    if reason != "unknown_session":
        session = db.session.get(Session, session_id)
    try:
        participant_id: int | None = verify_code(qr_public_key(), code).participant_id
    except InvalidCode:
        participant_id = None
    if participant_id is not None and db.session.get(Participant, participant_id) is None:
        participant_id = None
    keep_despite_refusal(
        RefusedScan,
        received_at=now,
        session_id=session.id if session is not None else None,
        participant_id=participant_id,
        reason=reason[:40],
        user_id=caller.id,
        token_id=caller.token_id,
    )


@dataclass(frozen=True)
class RefusedCounts:
    total: int
    by_reason: list[tuple[str, int]]  # label, count; most frequent first

    def __bool__(self) -> bool:
        return self.total > 0


def counts_for_session(session_id: int) -> RefusedCounts:
    """How many scans for this session were refused, per reason (one query)."""
    rows = db.session.execute(
        select(RefusedScan.reason, func.count())
        .where(RefusedScan.session_id == session_id)
        .group_by(RefusedScan.reason)
    ).all()
    per_reason = Counter({reason: count for reason, count in rows})
    return RefusedCounts(
        total=sum(per_reason.values()),
        by_reason=[
            (str(LABELS.get(reason, reason)), count) for reason, count in per_reason.most_common()
        ],
    )
