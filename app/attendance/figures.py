"""The one place that turns database rows into the pure rules' inputs and back into figures.

Views, the API, reports, certificates and exports all call :func:`training_figures`; the rules
themselves live in ``app.domain``. A fixed number of queries per call, never one per row.

Status of one participant in one session, first match wins:

- ``future``: the session has not ended yet (counts nowhere);
- ``exempt``: a non-revoked Exemption names the session (blank on the lists);
- ``late_enrolment``: the session's day is before ``TrainingEnrolment.enrolled_on``;
- ``incomplete``: a check-in without a check-out (``is_incomplete``), until someone resolves it;
- ``present``: the Syntra rule (``counts_as_present``);
- ``absent``: otherwise, ``justified`` when a non-revoked Justification names the session.

Exemptions in minutes (``Exemption.minutes``, no session) reduce the counting hours as a whole.
Sessions on days after ``TrainingEnrolment.terminated_on`` (early termination) are left out of
that participant's figures: they are no longer in the training, so those lessons are neither
given to them nor missed by them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.domain.attendance import counts_as_present, is_incomplete, planned_time, present_time
from app.domain.thresholds import (
    AttendanceFigures,
    SessionAttendance,
    at_risk,
    exam_eligible,
    figures_for,
    keeps_paid_leave,
)
from app.extensions import db
from app.models import (
    ClosureDay,
    Enrolment,
    Exemption,
    Justification,
    Participant,
    Registration,
    Session,
    Training,
    TrainingEnrolment,
)
from app.models.attendance import justification_sessions
from app.planning.timing import SessionTimes, session_times
from app.scanning.service import effective_registrations


@dataclass(frozen=True)
class SessionLine:
    """One participant in one session: ``attendance`` is the pure rules' input, ``present_time``
    the hours between check-in and check-out (rule 4), ``registrations`` the effective ones."""

    session: Session
    times: SessionTimes
    attendance: SessionAttendance
    present_time: timedelta
    registrations: tuple[Registration, ...]


@dataclass(frozen=True)
class ParticipantFigures:
    """One participant's figures for the training (or the period).

    ``keeps_paid_leave`` is only meaningful when :attr:`paid_leave` is true; ``at_risk`` lists
    the thresholds ("exam", "paid_leave") one more unjustified absence would cross.
    """

    participant: Participant
    enrolment: TrainingEnrolment | None
    figures: AttendanceFigures
    sessions: list[SessionLine]
    exam_eligible: bool
    keeps_paid_leave: bool
    at_risk: list[str]

    @property
    def paid_leave(self) -> bool:
        return bool(self.enrolment and self.enrolment.paid_leave)


@dataclass(frozen=True)
class TrainingFigures:
    """The result of :func:`training_figures`: the sessions (in the period) with their times and
    one :class:`ParticipantFigures` per enrolled participant, by name."""

    training: Training
    period: tuple[date, date] | None
    sessions: list[tuple[Session, SessionTimes]]
    participants: list[ParticipantFigures] = field(default_factory=list)

    def given(self, now: datetime) -> list[tuple[Session, SessionTimes]]:
        """Sessions already held (their end has passed)."""
        return [(s, t) for s, t in self.sessions if t.end <= now]


def training_sessions(training: Training, period: tuple[date, date] | None = None) -> list[Session]:
    """The sessions that count: a cancelled one was given to nobody (no hours, no figures)."""
    query = select(Session).where(
        Session.training_id == training.id, Session.cancelled_at.is_(None)
    )
    if period is not None:
        query = query.where(Session.day >= period[0], Session.day <= period[1])
    return list(db.session.scalars(query.order_by(Session.day, Session.start)))


def training_figures(
    training: Training, now: datetime, period: tuple[date, date] | None = None
) -> TrainingFigures:
    """Per participant: the hours, the thresholds and the per-session detail.

    ``now`` decides which sessions are held (their end has passed); ``period`` (first and last
    day, inclusive) limits the sessions, e.g. to a lesson period for a certificate. Eight queries
    whatever the number of participants and sessions. Stable API: certificates, the paper list,
    exports, the reports and the JSON API all call it.
    """
    sessions = training_sessions(training, period)
    closures = _closure_days(sessions)
    timed = [(s, session_times(s, closures)) for s in sessions]
    session_ids = [s.id for s in sessions]
    if not session_ids:
        return TrainingFigures(training, period, timed, [])
    enrolled = _enrolled(session_ids)
    participants = {
        p.id: p
        for p in db.session.scalars(
            select(Participant).where(Participant.id.in_({pid for pid, _ in enrolled}))
        )
    }
    registrations = _registrations(session_ids)
    exempt_sessions, exempt_minutes = _exemptions(training.id)
    justified = _justified(session_ids)
    enrolments = {
        e.participant_id: e
        for e in db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.training_id == training.id)
        )
    }
    by_participant: dict[int, set[int]] = defaultdict(set)
    for participant_id, session_id in enrolled:
        by_participant[participant_id].add(session_id)
    result = []
    for participant_id in sorted(by_participant, key=lambda i: (participants[i].name, i)):
        lines = [
            _line(
                session,
                times,
                registrations.get((session.id, participant_id), ()),
                now,
                exempt=(participant_id, session.id) in exempt_sessions,
                justified=(participant_id, session.id) in justified,
                enrolment=enrolments.get(participant_id),
            )
            for session, times in timed
            if session.id in by_participant[participant_id]
            and not _terminated_before(enrolments.get(participant_id), session)
        ]
        figures = figures_for(
            [line.attendance for line in lines],
            extra_exempted=timedelta(minutes=exempt_minutes.get(participant_id, 0)),
        )
        upcoming = [line.attendance.planned for line in lines if line.attendance.status == "future"]
        result.append(
            ParticipantFigures(
                participant=participants[participant_id],
                enrolment=enrolments.get(participant_id),
                figures=figures,
                sessions=lines,
                exam_eligible=exam_eligible(figures),
                keeps_paid_leave=keeps_paid_leave(figures),
                at_risk=at_risk(figures, upcoming[0], sum(upcoming, timedelta(0)))
                if upcoming
                else [],
            )
        )
    return TrainingFigures(training, period, timed, result)


def _closure_days(sessions: list[Session]) -> list[date]:
    """The closure days every session's deadline may need, in one query (not one per day)."""
    if not sessions:
        return []
    first, last = min(s.day for s in sessions), max(s.day for s in sessions)
    return list(
        db.session.scalars(
            select(ClosureDay.day).where(
                ClosureDay.day > first, ClosureDay.day <= last + timedelta(days=31)
            )
        )
    )


def _terminated_before(enrolment: TrainingEnrolment | None, session: Session) -> bool:
    """The participant left the training early, before this session's day."""
    return (
        enrolment is not None
        and enrolment.terminated_on is not None
        and session.day > enrolment.terminated_on
    )


def _enrolled(session_ids: list[int]) -> list[tuple[int, int]]:
    return list(
        db.session.execute(
            select(Enrolment.participant_id, Enrolment.session_id).where(
                Enrolment.session_id.in_(session_ids)
            )
        )
    )


def _registrations(session_ids: list[int]) -> dict[tuple[int, int], tuple[Registration, ...]]:
    found: dict[tuple[int, int], list[Registration]] = defaultdict(list)
    rows = db.session.scalars(
        effective_registrations(session_ids).order_by(Registration.at, Registration.id)
    )
    for registration in rows:
        found[(registration.session_id, registration.participant_id)].append(registration)
    return {key: tuple(value) for key, value in found.items()}


def _exemptions(training_id: int) -> tuple[set[tuple[int, int]], dict[int, int]]:
    sessions: set[tuple[int, int]] = set()
    minutes: dict[int, int] = defaultdict(int)
    for exemption in db.session.scalars(
        select(Exemption).where(
            Exemption.training_id == training_id, Exemption.revoked_at.is_(None)
        )
    ):
        if exemption.session_id is not None:
            sessions.add((exemption.participant_id, exemption.session_id))
        elif exemption.minutes:
            minutes[exemption.participant_id] += exemption.minutes
    return sessions, minutes


def _justified(session_ids: list[int]) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(Justification.participant_id, justification_sessions.c.session_id)
        .join(justification_sessions, justification_sessions.c.justification_id == Justification.id)
        .where(
            justification_sessions.c.session_id.in_(session_ids),
            Justification.revoked_at.is_(None),
        )
    )
    return {(participant_id, session_id) for participant_id, session_id in rows}


def _line(
    session: Session,
    times: SessionTimes,
    registrations: tuple[Registration, ...],
    now: datetime,
    *,
    exempt: bool,
    justified: bool,
    enrolment: TrainingEnrolment | None,
) -> SessionLine:
    pairs = [(r.kind.value, r.at) for r in registrations if r.kind is not None and r.at is not None]
    args = (times.start, times.end, times.break_start, times.break_end)
    planned = planned_time(*args)
    present = present_time(*args, pairs)
    if times.end > now:
        status = "future"
    elif exempt:
        status = "exempt"
    elif enrolment is not None and session.day < enrolment.enrolled_on:
        status = "late_enrolment"
    elif is_incomplete(pairs):
        status = "incomplete"
    elif counts_as_present(*args, pairs):
        status = "present"
    else:
        status = "absent"
    attendance = SessionAttendance(
        planned=planned, present=present, status=status, justified=justified
    )  # type: ignore[arg-type]
    return SessionLine(session, times, attendance, present, registrations)
