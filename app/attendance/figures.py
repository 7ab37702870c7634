"""The one place that turns database rows into the pure rules' inputs and back into figures.

Views, the API, reports, certificates and exports all call :func:`training_figures` (one
training), :func:`trainings_figures` (many at once, e.g. a project's export) or
:func:`participant_figures` (one person: their page, their certificate); the rules themselves
live in ``app.domain``. A fixed number of queries per call, never one per row, and plain rows
rather than ORM objects for the registrations: the work grows with what is shown.

The rules live in ``app.domain`` and are described in ``docs/rules.md``: the status of a
session for a person (``app.domain.participation.session_status``: future, exempt,
late_enrolment, incomplete, present by the Syntra rule, absent), early termination
(``participation.takes_part``), the hours (``app.domain.thresholds.figures_for`` with the
training's ``hours_method``), the exam rule and paid leave per lesson period
(``thresholds.paid_leave_periods`` over ``app.domain.periods.lesson_periods``, the same periods
as the certificates). Approved e-learning hours (``app.attendance.selfreported``) are read in one
query beside the registrations and go through the same ``figures_for``: they are hours given
to that participant and present (see ``docs/rules.md``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Row, SQLColumnExpression, func, select, true

from app.attendance.selfreported import SelfReportLine, approved_lines
from app.domain.attendance import Kind as Direction
from app.domain.attendance import Span, planned_time, presence, span
from app.domain.participation import before_enrolment, held, session_status, takes_part
from app.domain.periods import lesson_periods
from app.domain.thresholds import (
    DEFAULT_HOURS_METHOD,
    HOURS_METHODS,
    ZERO,
    AttendanceFigures,
    HoursMethod,
    PeriodLeave,
    SessionAttendance,
    at_risk,
    exam_eligible,
    figures_for,
    hours_present,
    paid_leave_periods,
    upcoming,
)
from app.extensions import db
from app.models import (
    ClosureDay,
    Enrolment,
    Exemption,
    Justification,
    Kind,
    Participant,
    Registration,
    Session,
    Source,
    Training,
    TrainingEnrolment,
)
from app.models.attendance import justification_sessions
from app.scanning.service import effective_registrations
from app.timing import SessionTimes, is_locked, session_times

Period = tuple[date, date]
# An effective registration as a plain row: ``id``, ``kind``, ``at`` and ``source`` (and its
# ``session_id`` and ``participant_id``), what the pages and exports show of it.
RegistrationRow = Row[int, int, int, Kind | None, datetime | None, Source]
# The rules' own words for a registration's kind (the model's StrEnum is another type).
DIRECTION: dict[Kind, Direction] = {Kind.IN: "in", Kind.OUT: "out"}


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One participant in one session: ``attendance`` is the pure rules' input, ``present_time``
    the hours between check-in and check-out (docs/rules.md, "Hours and thresholds (figures)"), ``registrations`` the effective ones;
    ``hours`` and ``absent`` what the line adds to the hours present and absent under the
    training's hours method (both zero for a session that is future, exempt, before the
    enrolment or incomplete)."""

    session: Session
    times: SessionTimes
    attendance: SessionAttendance
    present_time: timedelta
    registrations: tuple[RegistrationRow, ...]
    hours: timedelta = ZERO
    absent: timedelta = ZERO


def method_of(training: Training) -> HoursMethod:
    """The training's hours method (an unknown stored value falls back to the default)."""
    value = training.hours_method
    return value if value in HOURS_METHODS else DEFAULT_HOURS_METHOD


@dataclass(frozen=True)
class ParticipantFigures:
    """One participant's figures for the training (or the period).

    ``keeps_paid_leave`` is only meaningful when :attr:`paid_leave` is true: kept in every
    lesson period so far (``leave_periods``, one per period with lessons of this person, only
    for someone on paid leave); ``at_risk`` lists the thresholds ("exam", "paid_leave") one
    more unjustified absence would cross; ``self_reports`` the approved e-learning hours that
    count; ``method`` how the hours present were counted.
    """

    participant: Participant
    enrolment: TrainingEnrolment | None
    figures: AttendanceFigures
    sessions: list[SessionLine]
    exam_eligible: bool
    keeps_paid_leave: bool
    at_risk: list[str]
    method: HoursMethod = DEFAULT_HOURS_METHOD
    leave_periods: list[PeriodLeave] = field(default_factory=list)
    self_reports: list[SelfReportLine] = field(default_factory=list)

    @property
    def paid_leave(self) -> bool:
        return bool(self.enrolment and self.enrolment.paid_leave)

    @property
    def leave_state(self) -> str:
        """The verdict over every period: lost in one is lost; otherwise provisional, kept so
        far or kept (``app.domain.thresholds.leave_state``)."""
        states = {leave.state for leave in self.leave_periods}
        for state in ("lost", "provisional", "kept_so_far"):
            if state in states:
                return state
        return "kept"

    @property
    def self_reported(self) -> timedelta:
        """The approved e-learning hours included in the figures."""
        return self.figures.self_reported


@dataclass(frozen=True)
class TrainingFigures:
    """The result of :func:`training_figures`: the sessions (in the period) with their times and
    one :class:`ParticipantFigures` per enrolled participant, by name."""

    training: Training
    period: Period | None
    sessions: list[tuple[Session, SessionTimes]]
    participants: list[ParticipantFigures] = field(default_factory=list)

    @property
    def method(self) -> HoursMethod:
        """How the hours present are counted (the training's setting)."""
        return method_of(self.training)

    def given(self, now: datetime) -> list[tuple[Session, SessionTimes]]:
        """Sessions already held (their end has passed)."""
        return [(s, t) for s, t in self.sessions if t.end <= now]


def training_figures(
    training: Training, now: datetime, period: Period | None = None
) -> TrainingFigures:
    """Per participant: the hours, the thresholds and the per-session detail.

    ``now`` decides which sessions are held (their end has passed); ``period`` (first and last
    day, inclusive) limits the sessions, e.g. to a lesson period for a certificate. Nine queries
    (ten with a period) whatever the number of participants and sessions. Stable API: certificates, the paper list,
    exports, the reports and the JSON API all call it.
    """
    return trainings_figures([training], now, period)[training.id]


def trainings_figures(
    trainings: Sequence[Training], now: datetime, period: Period | None = None
) -> dict[int, TrainingFigures]:
    """:func:`training_figures` for several trainings at once (a project's export), by id, in
    the same nine (or ten) queries: each training is computed once, not once per session or period."""
    facts = _Facts.load([t.id for t in trainings], period)
    return {
        t.id: TrainingFigures(
            t,
            period,
            [(s.session, s.times) for s in facts.sessions.get(t.id, [])],
            [facts.participant(t, pid, now) for pid in facts.people(t.id)],
        )
        for t in trainings
    }


def participant_figures(
    training: Training, participant: Participant, now: datetime, period: Period | None = None
) -> ParticipantFigures | None:
    """One participant's figures, as :func:`training_figures` gives them for that person, from
    that person's rows only (``None`` when not enrolled in a session of the training or period).

    The early warning needs no one else: it looks at this person's lessons still to come.
    """
    facts = _Facts.load([training.id], period, participant)
    if participant.id not in facts.people(training.id):
        return None
    return facts.participant(training, participant.id, now)


@dataclass(frozen=True)
class Lessons:
    """Who has lessons in a training: the participant, their training enrolment and their
    sessions (those they are enrolled in, none after an early termination), in order."""

    participant: Participant
    enrolment: TrainingEnrolment | None
    sessions: list[Session]


def training_lessons(training: Training) -> list[Lessons]:
    """The participants and sessions :func:`training_figures` lists, by name, without the
    attendance (no registrations read, no rule applied): for pages that show what is due per
    participant and period, such as the certificates list. Five queries."""
    facts = _Facts.load([training.id], None, attendance=False)
    return [
        Lessons(
            facts.participants[pid],
            facts.enrolments.get((training.id, pid)),
            [timed.session for timed in facts.their_sessions(training.id, pid)],
        )
        for pid in facts.people(training.id)
    ]


@dataclass(frozen=True, slots=True)
class _Timed:
    """A session with what every participant's line in it shares (read from the ORM object
    once, not once per participant)."""

    session: Session
    id: int
    day: date
    times: SessionTimes
    span: Span
    planned: timedelta


@dataclass
class _Facts:
    """Every row the figures of some trainings (or of one participant) need, by key."""

    sessions: dict[int, list[_Timed]]  # by training, in order
    enrolled: dict[tuple[int, int], set[int]]  # (training, participant): session ids
    participants: dict[int, Participant]
    registrations: dict[tuple[int, int], list[RegistrationRow]]  # (session, participant)
    pairs: dict[tuple[int, int], list[tuple[Direction, datetime]]]  # as the rules take them
    exempt_sessions: set[tuple[int, int]]  # (participant, session)
    exempt_minutes: dict[tuple[int, int], int]  # (training, participant)
    justified: set[tuple[int, int]]  # (participant, session)
    enrolments: dict[tuple[int, int], TrainingEnrolment]  # (training, participant)
    self_reports: dict[tuple[int, int], list[SelfReportLine]] = field(default_factory=dict)
    spans: dict[int, tuple[date, date]] = field(default_factory=dict)  # training: lesson days

    @classmethod
    def load(
        cls,
        training_ids: list[int],
        period: Period | None,
        person: Participant | None = None,
        attendance: bool = True,
    ) -> _Facts:
        """``attendance=False``: who is enrolled in what only (no registrations, exemptions or
        justifications)."""
        # The sessions that count: a cancelled one was given to nobody (no hours, no figures).
        query = select(Session).where(
            Session.training_id.in_(training_ids), Session.cancelled_at.is_(None)
        )
        if period is not None:
            query = query.where(Session.day >= period[0], Session.day <= period[1])
        if person is not None:
            query = query.where(
                Session.id.in_(
                    select(Enrolment.session_id).where(Enrolment.participant_id == person.id)
                )
            )
        rows = list(db.session.scalars(query.order_by(Session.day, Session.start, Session.id)))
        closures = closure_days_for(rows)
        sessions: dict[int, list[_Timed]] = defaultdict(list)
        for session in rows:
            times = session_times(session, closures)
            args = (times.start, times.end, times.break_start, times.break_end)
            sessions[session.training_id].append(
                _Timed(session, session.id, session.day, times, span(*args), planned_time(*args))
            )
        facts = cls(sessions, {}, {}, {}, {}, set(), {}, set(), {})
        ids = [s.id for s in rows]
        if attendance:
            # Before the people: an e-learning participant may have hours and no session.
            facts.self_reports = approved_lines(
                training_ids, period, person.id if person is not None else None
            )
            # The periods are the training's: cut from all its lessons, not only those loaded
            # (the whole training loaded has them already: no query).
            facts.spans = (
                _lesson_spans(training_ids)
                if period is not None or person is not None
                else {
                    tid: (timed[0].day, timed[-1].day) for tid, timed in sessions.items() if timed
                }
            )
        # With the attendance, everyone enrolled in the training is listed, with zeros where
        # nothing counts yet (an e-learning participant before any approved hours, someone
        # enrolled before the first session is planned): never left out of the figures.
        if ids or facts.self_reports or (attendance and training_ids):
            facts._load_people(
                ids, {s.id: s.training_id for s in rows}, training_ids, person, attendance
            )
        return facts

    def _load_people(
        self,
        ids: list[int],
        training_of: dict[int, int],
        training_ids: list[int],
        person: Participant | None,
        attendance: bool,
    ) -> None:
        only = _only(person)
        enrolled: dict[tuple[int, int], set[int]] = defaultdict(set)
        # Plain rows on the connection, without the ORM's per-row bookkeeping (here and for
        # the registrations: the two queries that grow with participants x sessions).
        for pid, sid in db.session.connection().execute(
            select(Enrolment.participant_id, Enrolment.session_id).where(
                Enrolment.session_id.in_(ids), only(Enrolment.participant_id)
            )
        ):
            enrolled[(training_of[sid], pid)].add(sid)
        for key in self.self_reports:
            enrolled.setdefault(key, set())
        self.enrolments = {
            (e.training_id, e.participant_id): e
            for e in db.session.scalars(
                select(TrainingEnrolment).where(
                    TrainingEnrolment.training_id.in_(training_ids),
                    only(TrainingEnrolment.participant_id),
                )
            )
        }
        if attendance:
            for key in self.enrolments:
                enrolled.setdefault(key, set())
        self.enrolled = enrolled
        people = {pid for _, pid in enrolled}
        if person is not None:
            self.participants = {person.id: person} if people else {}
        elif people:
            self.participants = {
                p.id: p
                for p in db.session.scalars(select(Participant).where(Participant.id.in_(people)))
            }
        if attendance:
            self._load_attendance(ids, training_ids, person)

    def _load_attendance(
        self, ids: list[int], training_ids: list[int], person: Participant | None
    ) -> None:
        only = _only(person)
        registrations: dict[tuple[int, int], list[RegistrationRow]] = defaultdict(list)
        pairs: dict[tuple[int, int], list[tuple[Direction, datetime]]] = defaultdict(list)
        query = effective_registrations(ids, [person.id] if person is not None else None)
        for row in (
            db.session.connection()
            .execute(
                query.with_only_columns(
                    Registration.session_id,
                    Registration.participant_id,
                    Registration.id,
                    Registration.kind,
                    Registration.at,
                    Registration.source,
                ).order_by(Registration.at, Registration.id)
            )
            .all()
        ):
            session_id, participant_id, _id, kind, at, _source = row
            registrations[(session_id, participant_id)].append(row)
            if kind is not None and at is not None:
                pairs[(session_id, participant_id)].append((DIRECTION[kind], at))
        self.registrations = registrations
        self.pairs = pairs
        for pid, sid, tid, minutes in db.session.execute(
            select(
                Exemption.participant_id,
                Exemption.session_id,
                Exemption.training_id,
                Exemption.minutes,
            ).where(
                Exemption.training_id.in_(training_ids),
                Exemption.revoked_at.is_(None),
                only(Exemption.participant_id),
            )
        ):
            if sid is not None:
                self.exempt_sessions.add((pid, sid))
            elif minutes:
                key = (tid, pid)
                self.exempt_minutes[key] = self.exempt_minutes.get(key, 0) + minutes
        self.justified = {
            (pid, sid)
            for pid, sid in db.session.execute(
                select(Justification.participant_id, justification_sessions.c.session_id)
                .join(
                    justification_sessions,
                    justification_sessions.c.justification_id == Justification.id,
                )
                .where(
                    justification_sessions.c.session_id.in_(ids),
                    Justification.revoked_at.is_(None),
                    only(Justification.participant_id),
                )
            )
        }

    def people(self, training_id: int) -> list[int]:
        """The participants enrolled in a session of the training, by name."""
        found = [pid for tid, pid in self.enrolled if tid == training_id]
        return sorted(found, key=lambda i: (self.participants[i].name, i))

    def their_sessions(self, training_id: int, pid: int) -> list[_Timed]:
        """The sessions a participant is in, none after an early termination
        (``participation.takes_part``)."""
        enrolment = self.enrolments.get((training_id, pid))
        mine = self.enrolled[(training_id, pid)]
        stopped = enrolment.terminated_on if enrolment is not None else None
        return [
            timed
            for timed in self.sessions[training_id]
            if timed.id in mine and takes_part(timed.day, stopped)
        ]

    def periods(self, training: Training) -> list[tuple[date, date]]:
        """The training's lesson periods, as the certificates cut them (from all its lessons,
        not only those loaded)."""
        found = self.spans.get(training.id)
        return lesson_periods(found[0], found[1], training.per_school_year) if found else []

    def participant(self, training: Training, pid: int, now: datetime) -> ParticipantFigures:
        training_id = training.id
        method = method_of(training)
        enrolment = self.enrolments.get((training_id, pid))
        late_until = enrolment.enrolled_on if enrolment is not None else None
        registrations, pairs = self.registrations, self.pairs
        exempt, justified = self.exempt_sessions, self.justified
        lines = [
            _line(
                timed,
                registrations.get((timed.id, pid), ()),
                pairs.get((timed.id, pid), ()),
                now,
                (pid, timed.id) in exempt,
                (pid, timed.id) in justified,
                before_enrolment(timed.day, late_until),
                method,
            )
            for timed in self.their_sessions(training_id, pid)
        ]
        reports = self.self_reports.get((training_id, pid), [])
        figures = figures_for(
            [*(line.attendance for line in lines), *(r.attendance for r in reports)],
            extra_exempted=timedelta(minutes=self.exempt_minutes.get((training_id, pid), 0)),
            method=method,
        )
        to_come = upcoming(line.attendance for line in lines)
        risks = [risk for risk in at_risk(figures, to_come) if risk != "paid_leave"]
        # Paid educational leave: per lesson period, and only for someone who takes it.
        on_leave = enrolment is not None and enrolment.paid_leave
        periods = (
            paid_leave_periods(
                self.periods(training),
                [
                    *((line.session.day, line.attendance) for line in lines),
                    *((r.day, r.attendance) for r in reports),
                ],
                method,
            )
            if on_leave
            else []
        )
        if any(p.at_risk for p in periods):
            risks.append("paid_leave")
        return ParticipantFigures(
            participant=self.participants[pid],
            enrolment=enrolment,
            figures=figures,
            sessions=lines,
            exam_eligible=exam_eligible(figures),
            keeps_paid_leave=all(p.keeps for p in periods),
            at_risk=risks,
            method=method,
            leave_periods=periods,
            self_reports=reports,
        )


def _lesson_spans(training_ids: list[int]) -> dict[int, tuple[date, date]]:
    """Each training's first and last lesson day (cancelled sessions left out, as the
    certificates' periods do), in one query for all the trainings."""
    if not training_ids:
        return {}
    return {
        tid: (first, last)
        for tid, first, last in db.session.execute(
            select(Session.training_id, func.min(Session.day), func.max(Session.day))
            .where(Session.training_id.in_(training_ids), Session.cancelled_at.is_(None))
            .group_by(Session.training_id)
        )
    }


def _only(
    person: Participant | None,
) -> Callable[[SQLColumnExpression[int]], ColumnElement[bool]]:
    """A filter on a participant id column: that person's rows, or everyone's."""
    return lambda column: (column == person.id) if person is not None else true()


def closure_days_for(sessions: Iterable[Session]) -> list[date]:
    """The closure days every session's deadline may need, in one query (not one per day)."""
    days = [s.day for s in sessions]
    if not days:
        return []
    return list(
        db.session.scalars(
            select(ClosureDay.day).where(
                ClosureDay.day > min(days), ClosureDay.day <= max(days) + timedelta(days=31)
            )
        )
    )


def _line(
    timed: _Timed,
    registrations: Sequence[RegistrationRow],
    pairs: Sequence[tuple[Direction, datetime]],
    now: datetime,
    exempt: bool,
    justified: bool,
    late: bool,
    method: HoursMethod,
) -> SessionLine:
    """``late``: the session's day is before the participant's enrolment in the training."""
    found = presence(timed.span, pairs)
    status = session_status(
        ends_at=timed.times.end,
        now=now,
        exempt=exempt,
        late_enrolment=late,
        incomplete=found.incomplete,
        counts_as_present=found.counts_as_present,
    )
    given = held(ends_at=timed.times.end, now=now)
    attendance = SessionAttendance(
        timed.planned,
        found.present,
        status,
        justified,
        held=given,
        # Ended but not locked: registrations can still come in (docs/rules.md,
        # "Provisional until the session locks").
        open=given and not is_locked(timed.session, now, timed.times),
    )
    counted = status in ("present", "absent")
    here = hours_present(attendance, method) if counted else ZERO
    return SessionLine(
        timed.session,
        timed.times,
        attendance,
        found.present,
        tuple(registrations),
        here,
        timed.planned - here if counted else ZERO,
    )
