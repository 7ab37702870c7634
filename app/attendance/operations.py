"""State changes for attendance: roll call, late arrivals, corrections, exemptions, justifications.

Registrations go through ``app.scanning.service.register`` so the window, the audit and the
append-only rule are the same as for a scan. The caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.utils import secure_filename

from app import audit, checks, signals
from app.audit import Actor
from app.db import LOCK_SESSION, lock_key, lock_people
from app.domain.certificates import LeaveRegime
from app.domain.cutoff import BRUSSELS, scan_opens
from app.domain.justification import justification_in_time
from app.domain.scanning import FUTURE_MARGIN
from app.errors import Refusal
from app.extensions import db
from app.models import (
    Enrolment,
    Exemption,
    Justification,
    JustificationKind,
    Kind,
    Participant,
    Role,
    RollCallMark,
    Session,
    Source,
    TrainingEnrolment,
)
from app.reasons import LATE_ARRIVAL, LEFT_AT_END, LEFT_EARLY
from app.scanning.roster import RosterEntry, roster
from app.scanning.service import check_window, refuse, register
from app.timing import SessionTimes, session_times

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_TYPES = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}


def exempt_participant_ids(session: Session) -> set[int]:
    return set(
        db.session.scalars(
            select(Exemption.participant_id).where(
                Exemption.session_id == session.id, Exemption.revoked_at.is_(None)
            )
        )
    )


@dataclass(frozen=True)
class RollCallLine:
    """One participant on the roll call: present or not, and a short remark."""

    participant_id: int
    present: bool
    remark: str = ""


def roll_call_marks(session: Session) -> dict[int, RollCallMark]:
    """The latest mark per participant (the state the roll call shows when opened again)."""
    latest: dict[int, RollCallMark] = {}
    for mark in db.session.scalars(
        select(RollCallMark)
        .where(RollCallMark.session_id == session.id)
        .order_by(RollCallMark.marked_at, RollCallMark.id)
    ):
        latest[mark.participant_id] = mark
    return latest


def confirm_roll_call(
    actor: Actor,
    session: Session,
    lines: Iterable[RollCallLine],
    now: datetime,
    check_in_at_start: bool = True,
    *,
    early_minutes: int,
) -> int:
    """Write the roll call (seed 000). Returns how many check-ins it recorded.

    Each participant ticked present who has no registration yet gets a check-in: at the
    session's start, or at the moment of the roll call when the trainer chooses so or the
    start is still to come (never a time in the future). Nothing else is written: no check-out
    (the software never invents one; the trainer closes the session after its end, or the
    scanner records when they leave), nothing for the absent. Every participant's mark and
    remark is kept, so the roll call shows it again. Participants already registered (scanned)
    and the exempted are left as they are.
    """
    times = session_times(session)
    _check_open(session, times, now, early_minutes)
    _lock_roster(session)  # confirmed twice at once: the check-ins are written once
    at = min(times.start if check_in_at_start else now, now)
    marks = {line.participant_id: line for line in lines}
    exempt = exempt_participant_ids(session)
    earlier = roll_call_marks(session)
    count = 0
    for entry in roster(session):
        pid = entry.participant.id
        if pid in exempt or pid not in marks:
            continue
        line = marks[pid]
        remark = checks.text((line.remark or "").strip()[:500], "remark")
        mark = RollCallMark(
            session_id=session.id,
            participant_id=pid,
            present=line.present,
            remark=remark,
            marked_at=now,
            marked_by_id=actor.user_id,
        )
        db.session.add(mark)
        db.session.flush()
        audit.record(actor, "roll_call.mark", mark, after=audit.snapshot(mark))
        before = earlier.get(pid)
        # A roll call confirmed again tells the administration package only what changed.
        if before is None or (before.present, before.remark) != (line.present, remark):
            signals.attendance_changed.send(
                "mark",
                source_id=mark.id,
                session_id=session.id,
                participant_id=pid,
                registered_at=now,
                state="present" if line.present else "absent",
                remark=remark,
            )
        if line.present and not entry.registrations:
            register(
                actor,
                session,
                pid,
                Kind.IN,
                at,
                now,
                Source.MANUAL,
                reason=remark or None,
                early_minutes=early_minutes,
            )
            count += 1
    return count


def close_session(
    actor: Actor,
    session: Session,
    now: datetime,
    left_at: datetime | None = None,
    *,
    early_minutes: int,
) -> int:
    """After the session's end: everyone still in left at the end (or at ``left_at``).

    Writes their check-outs in one step, audited; returns how many. Refused before the end
    (nobody is known to have left yet) and for a time outside the session or in the future.
    """
    times = session_times(session)
    if now < times.end:
        raise Refusal(
            "not_ended",
            _l("The session has not ended yet: the check-outs are recorded after its end."),
            status=409,
        )
    at = left_at or times.end
    if not times.start < at <= times.end:
        raise Refusal("outside_session", _l("The time must fall within the session."))
    _not_in_future(at, now)
    # Closed twice at once: the second waits, then finds nobody still in.
    _lock_roster(session)
    still_in = incomplete(session)
    for entry in still_in:
        if entry.last_at is not None and at <= entry.last_at:
            raise Refusal(
                "before_check_in",
                _l(
                    "%(name)s checked in at %(at)s, after that time.",
                    name=entry.participant.name,
                    at=entry.last_at.astimezone(BRUSSELS).strftime("%H:%M"),
                ),
            )
    for entry in still_in:
        register(
            actor,
            session,
            entry.participant.id,
            Kind.OUT,
            at,
            now,
            Source.MANUAL,
            reason=LEFT_AT_END,
            early_minutes=early_minutes,
        )
    return len(still_in)


def _lock_roster(session: Session) -> None:
    """The session's lock, then each enrolled person's (the lock a scan takes), so that a
    roll call or a closing and a scan at the door do not both write for one person. Always
    the session before the people: two of these cannot wait for each other."""
    lock_key(LOCK_SESSION, session.id)
    lock_people(
        db.session.scalars(
            select(Enrolment.participant_id).where(Enrolment.session_id == session.id)
        )
    )


def left_early(
    actor: Actor,
    session: Session,
    participant: Participant,
    left_at: datetime,
    now: datetime,
    *,
    early_minutes: int,
) -> int:
    """A participant who left before the end: a check-out at that time (never in the future)."""
    times = session_times(session)
    if not times.start < left_at < times.end:
        raise Refusal("outside_session", _l("The time must fall within the session."))
    _not_in_future(left_at, now)
    _check_open(session, times, now, early_minutes)
    lock_people([participant.id])  # as a scan: the roster read below is then the latest
    entry = next((e for e in roster(session) if e.participant.id == participant.id), None)
    if entry is None:
        raise Refusal("not_enrolled", _l("This participant is not enrolled in this session."))
    if entry.state != "in":
        raise Refusal("not_checked_in", _l("This participant is not checked in."), status=409)
    if entry.last_at is not None and left_at <= entry.last_at:
        raise Refusal("before_check_in", _l("The time must be after the check-in."))
    return register(
        actor,
        session,
        participant.id,
        Kind.OUT,
        left_at,
        now,
        Source.MANUAL,
        reason=LEFT_EARLY,
        early_minutes=early_minutes,
    )


def registration_refusal(session: Session, now: datetime, early_minutes: int) -> Refusal | None:
    """Why nobody can register by hand in this session now (too early, locked), or ``None``."""
    try:
        _check_open(session, session_times(session), now, early_minutes)
    except Refusal as refusal:
        return refusal
    return None


def _check_open(session: Session, times: SessionTimes, now: datetime, early_minutes: int) -> None:
    """Registering by hand needs the session to have opened and not to be locked."""
    if now < scan_opens(times.start, early_minutes):
        raise refuse("too_early")
    check_window(session, times.start, now, early_minutes)


def _not_in_future(at: datetime, now: datetime) -> None:
    if at > now + FUTURE_MARGIN:
        # Not the scanner's words ("the scan time"): a time typed in by the trainer.
        raise Refusal(
            "future_time",
            _l("That time lies in the future: a registration is never recorded ahead of time."),
        )


def late_arrival(
    actor: Actor,
    session: Session,
    participant: Participant,
    arrived: datetime,
    now: datetime,
    *,
    early_minutes: int,
) -> list[int]:
    """A late arrival registered afterwards (seed 000).

    - Nothing registered yet (unticked at the roll call): an "in" at the arrival time, source
      manual. No check-out: when they leave is registered when they leave (or at the end).
    - Ticked present at the roll call (its manual "in" at the start): a correction replaces that
      "in" by one at the arrival time (``voids_id`` names it, reason "late arrival"); the "out"
      stays.
    - Anything else (scanned in, or a later manual time already): refused, the registrations
      already tell when the person came.
    """
    times = session_times(session)
    if not times.start <= arrived < times.end:
        raise Refusal("outside_session", _l("The arrival time must fall within the session."))
    _not_in_future(arrived, now)
    lock_people([participant.id])  # as a scan: the roster read below is then the latest
    entry = next((e for e in roster(session) if e.participant.id == participant.id), None)
    if entry is None:
        raise Refusal("not_enrolled", _l("This participant is not enrolled in this session."))
    if participant.id in exempt_participant_ids(session):
        raise Refusal("exempt", _l("This participant is exempted from this session."))
    _check_open(session, times, now, early_minutes)
    history = entry.registrations
    if not history:
        return [
            register(
                actor,
                session,
                participant.id,
                Kind.IN,
                arrived,
                now,
                Source.MANUAL,
                reason=LATE_ARRIVAL,
                early_minutes=early_minutes,
            )
        ]
    first = history[0]
    if (
        first.kind == Kind.IN
        and first.source == Source.MANUAL
        and first.at == times.start
        and arrived > first.at
    ):
        return [
            register(
                actor,
                session,
                participant.id,
                Kind.IN,
                arrived,
                now,
                Source.CORRECTION,
                reason=LATE_ARRIVAL,
                voids_id=first.id,
                early_minutes=early_minutes,
            )
        ]
    raise Refusal(
        "already_registered",
        _l(
            "This participant already has registrations in this session: they already show "
            "when the participant arrived."
        ),
        status=409,
    )


def incomplete(session: Session) -> list[RosterEntry]:
    """Roster entries still checked in: a check-in without a check-out after it."""
    return [e for e in roster(session) if e.state == "in"]


def resolve_incomplete(
    actor: Actor,
    session: Session,
    participant: Participant,
    left_at: datetime,
    reason: str,
    now: datetime,
    *,
    early_minutes: int,
) -> int:
    """Close an open check-in with the time the person left and why it was not scanned."""
    if not reason or not reason.strip():
        raise Refusal("reason_required", _l("Give the reason."))
    lock_people([participant.id])  # as a scan: the roster read below is then the latest
    entry = next((e for e in incomplete(session) if e.participant.id == participant.id), None)
    if entry is None:
        raise Refusal("not_incomplete", _l("This participant has no open check-in."), status=409)
    if entry.last_at is not None and left_at <= entry.last_at:
        raise Refusal("before_check_in", _l("The time must be after the check-in."))
    _not_in_future(left_at, now)
    return register(
        actor,
        session,
        participant.id,
        Kind.OUT,
        left_at,
        now,
        Source.CORRECTION,
        reason=reason.strip(),
        early_minutes=early_minutes,
    )


def add_exemption(
    actor: Actor,
    enrolment: TrainingEnrolment,
    session: Session | None,
    minutes: int | None,
    reason: str,
) -> Exemption:
    if (session is None) == (not minutes):
        raise Refusal("exemption_kind", _l("Choose a session or give a number of minutes."))
    if minutes is not None and minutes <= 0:
        raise Refusal("exemption_minutes", _l("The number of minutes must be positive."))
    exemption = Exemption(
        training_id=enrolment.training_id,
        participant_id=enrolment.participant_id,
        session_id=session.id if session else None,
        minutes=minutes,
        reason=reason or "",
        created_by_id=actor.user_id,
    )
    db.session.add(exemption)
    db.session.flush()
    audit.record(actor, "exemption.create", exemption, after=audit.snapshot(exemption))
    if session is not None:
        signals.attendance_changed.send(
            "exemption",
            source_id=exemption.id,
            session_id=session.id,
            participant_id=exemption.participant_id,
            registered_at=exemption.created_at,
            state="exempt",
            remark=exemption.reason,
        )
    return exemption


def revoke_exemption(actor: Actor, exemption: Exemption, now: datetime) -> None:
    before = audit.snapshot(exemption)
    exemption.revoked_at = now
    db.session.flush()
    audit.record(actor, "exemption.revoke", exemption, before, audit.snapshot(exemption))


def update_training_enrolment(
    actor: Actor,
    enrolment: TrainingEnrolment,
    enrolled_on: date,
    paid_leave: bool,
    terminated_on: date | None,
    leave_regime: LeaveRegime | str | None = None,
) -> None:
    """``leave_regime`` None keeps the one recorded (betaald educatief verlof by default)."""
    checks.day(enrolled_on, "enrolled_on")
    checks.optional_day(terminated_on, "terminated_on")
    try:
        regime = LeaveRegime(leave_regime) if leave_regime else enrolment.leave_regime
    except ValueError as exc:
        raise Refusal(
            "bad_leave_regime", _l("Choose the regime of the paid leave."), field="leave_regime"
        ) from exc
    before = audit.snapshot(enrolment)
    enrolment.enrolled_on = enrolled_on
    enrolment.paid_leave = paid_leave
    enrolment.leave_regime = regime
    enrolment.terminated_on = terminated_on
    db.session.flush()
    audit.record(actor, "training_enrolment.change", enrolment, before, audit.snapshot(enrolment))


def document_type(data: bytes) -> tuple[str, str]:
    """The content type and extension, recognised by the file's first bytes, not its name."""
    for magic, kind in DOCUMENT_TYPES.items():
        if data.startswith(magic):
            return kind
    raise Refusal("bad_document", _l("The document must be a PDF, PNG or JPEG file."))


def record_justification(
    actor: Actor,
    participant: Participant,
    sessions: list[Session],
    kind: JustificationKind,
    handed_in: date,
    note: str,
    document: tuple[str, bytes] | None,
    override_reason: str | None,
    today: date | None = None,
) -> Justification:
    """Record a justified absence; late ones only with support's override and reason.

    In time (docs/rules.md, "Justified absences and the 14-day rule"; ``justification_in_time``) for every session it names: handed in at most 14
    days after the absence and not after the training's exam. An admin (support) may accept a
    late one by giving the reason, which is kept with it. A hand-in date after ``today`` is
    refused: the deadline is measured against when the document really came in.
    """
    if not sessions:
        raise Refusal("no_sessions", _l("Choose the sessions the absence concerns."))
    checks.day(handed_in, "handed_in")
    checks.text(note or "", "note", one_line=False)
    if today is not None and handed_in > today:
        raise Refusal("handed_in_future", _l("The hand-in date cannot lie in the future."))
    exam = sessions[0].training.exam_date
    late = [s for s in sessions if not justification_in_time(s.day, handed_in, exam)]
    support_override = (
        actor.user is not None
        and actor.user.role == Role.ADMIN
        and bool((override_reason or "").strip())
    )
    if late and not support_override:
        raise Refusal(
            "justification_late",
            _l(
                "Handed in too late: a justification must come within 14 days of the absence "
                "and before the exam. Only support can accept it, with a reason."
            ),
        )
    justification = Justification(
        participant=participant,
        kind=kind,
        handed_in_on=handed_in,
        note=note or "",
        override_reason=(override_reason or "").strip() or None if late else None,
        created_by_id=actor.user_id,
    )
    justification.sessions = sessions
    if document is not None:
        _store_document(justification, *document)
    db.session.add(justification)
    db.session.flush()
    audit.record(
        actor,
        "justification.create",
        justification,
        after={**audit.snapshot(justification), "sessions": [s.id for s in sessions]},
    )
    for session in sessions:
        signals.attendance_changed.send(
            "justification",
            source_id=justification.id,
            session_id=session.id,
            participant_id=participant.id,
            registered_at=justification.created_at,
            state=f"justified_{kind.value}",
            remark=justification.note,
        )
    return justification


def revoke_justification(actor: Actor, justification: Justification, now: datetime) -> None:
    """Withdraw a justification recorded by mistake; the row and its document stay."""
    if justification.revoked_at is not None:
        raise Refusal("already_revoked", _l("This justification was already revoked."), status=409)
    before = audit.snapshot(justification)
    justification.revoked_at = now
    db.session.flush()
    audit.record(
        actor, "justification.revoke", justification, before, audit.snapshot(justification)
    )


def _store_document(justification: Justification, filename: str, data: bytes) -> None:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Refusal("document_too_large", _l("The document may be at most 5 MB."))
    content_type, extension = document_type(data)
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + extension
    (folder / name).write_bytes(data)
    justification.document_path = name
    # The name a download gets: the person's own, with the extension of what the file is.
    stem = secure_filename(Path(filename or "").stem)[:200] or "document"
    justification.document_name = stem + extension
    justification.document_type = content_type


def document_download_name(justification: Justification) -> str:
    """The name to serve a document under: its stem, and the extension of its detected type
    (also for documents stored before names were cleaned, such as ``invoice.html``)."""
    extension = {kind: ext for kind, ext in DOCUMENT_TYPES.values()}.get(
        justification.document_type or "", ".bin"
    )
    stem = secure_filename(Path(justification.document_name or "").stem) or "document"
    return stem + extension


def upload_folder() -> Path:
    """Outside the web root: documents are served only through an authorised route."""
    return Path(current_app.instance_path) / "uploads" / "justifications"
