"""Issuing certificates and following up which are due.

An issued certificate is never changed: its PDF and the figures it shows are stored together
and a guard refuses any later update or delete. A correction is a new certificate naming the
one it replaces (``corrects_id``) and why; its PDF says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, event, inspect, select
from sqlalchemy.orm import Mapper

from app import audit, checks
from app.attendance.figures import Lessons, training_lessons
from app.audit import Actor
from app.certificates import contents, pdf
from app.certificates.organisation import current as current_organisation
from app.db import lock_people
from app.domain import national_number
from app.domain.certificates import (
    DueState,
    LeaveRegime,
    attendance_certificate_available_from,
    certificates_bind,
    due_state,
    exam_dates_problem,
    second_sitting_notice_available_from,
    second_sitting_notice_due,
    second_sitting_participation_available_from,
    second_sitting_participation_due,
    sittings_problem,
    under_vov,
)
from app.domain.cutoff import BRUSSELS
from app.domain.periods import certificate_due, regular_enrolment_certificate_due
from app.errors import Refusal
from app.extensions import db
from app.models import Certificate, CertificateKind, Participant, Training, TrainingEnrolment
from app.security import decrypt_national_number

Period = tuple[date, date]
# The certificates of seed 002, for betaald educatief verlof; under Vlaams opleidingsverlof the
# organisation registers in the Flemish government's application instead.
BEV_KINDS = frozenset(
    {
        CertificateKind.REGULAR_ENROLMENT,
        CertificateKind.DILIGENCE,
        CertificateKind.RESIT_NOTICE,
        CertificateKind.RESIT_PARTICIPATION,
    }
)
FILE_NAMES = {
    CertificateKind.DILIGENCE: "nauwgezetheid",
    CertificateKind.REGULAR_ENROLMENT: "inschrijving",
    CertificateKind.RESIT_NOTICE: "2de-zittijd-1",
    CertificateKind.RESIT_PARTICIPATION: "2de-zittijd-2",
    CertificateKind.ATTENDANCE: "deelname",
}


class CertificateImmutable(RuntimeError):
    """Raised when code tries to change or delete an issued certificate."""


@event.listens_for(Certificate, "before_update")
def _refuse_update(
    _mapper: Mapper[Certificate], connection: Connection, target: Certificate
) -> None:
    """The only change ever allowed: filling in the empty PDF right after the number is known
    (the number is the id, and it is printed on the PDF)."""
    changed = {a.key for a in inspect(target).attrs if a.history.has_changes()}
    if not changed:
        return
    stored = connection.scalar(
        select(Certificate.__table__.c.pdf).where(Certificate.__table__.c.id == target.id)
    )
    if changed != {"pdf"} or stored != b"":
        raise CertificateImmutable(f"certificate {target.id} was issued and cannot change")


@event.listens_for(Certificate, "before_delete")
def _refuse_delete(
    _mapper: Mapper[Certificate], _connection: Connection, target: Certificate
) -> None:
    raise CertificateImmutable(f"certificate {target.id} was issued and cannot be deleted")


def _for_the_participant(figures: dict[str, Any], participant: Participant) -> dict[str, Any]:
    """The PDF is the participant's own document, their proof for the employer: it carries
    their national register number in full. The stored figures, which pages and the API show,
    keep it masked."""
    token = participant.national_number_encrypted
    if token is None:
        return figures
    full = national_number.formatted(decrypt_national_number(token))
    return {**figures, "participant": {**figures["participant"], "national_number": full}}


def issued(training: Training) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.training_id == training.id)
            .order_by(Certificate.id)
        )
    )


def _key(certificate: Certificate) -> tuple[int, str, date | None]:
    return certificate.participant_id, certificate.kind.value, certificate.period_start


def _current(
    kind: CertificateKind, training: Training, participant: Participant, period: Period | None
) -> Certificate | None:
    """The latest certificate for this participant, kind and period (a correction replaces)."""
    query = select(Certificate).where(
        Certificate.training_id == training.id,
        Certificate.participant_id == participant.id,
        Certificate.kind == kind,
    )
    query = query.where(
        Certificate.period_start == period[0] if period else Certificate.period_start.is_(None)
    )
    return db.session.scalars(query.order_by(Certificate.id.desc())).first()


def issue(
    actor: Actor,
    kind: CertificateKind,
    training: Training,
    participant: Participant,
    now: datetime,
    period: Period | None = None,
) -> Certificate:
    """Issue a first certificate; a second one for the same period must be a correction."""
    if kind == CertificateKind.DILIGENCE and period not in contents.periods(training):
        raise Refusal("period_required", _l("Choose one of the training's lesson periods."))
    if kind != CertificateKind.DILIGENCE:
        period = None
    lock_people([participant.id])  # two issues at once: the second finds the first's certificate
    if kind in BEV_KINDS and _vov(training, participant):
        raise Refusal(
            "vov_registers",
            _l(
                "This participant is on Vlaams opleidingsverlof: the organisation registers the "
                "enrolment and the attendance in the Flemish government's application instead "
                "of issuing this certificate."
            ),
        )
    if _current(kind, training, participant, period) is not None:
        raise Refusal(
            "already_issued",
            _l("This certificate was already issued: issue a correction instead."),
            status=409,
        )
    return _store(actor, kind, training, participant, now, period, None, None)


def _enrolment(training: Training, participant: Participant) -> TrainingEnrolment | None:
    return db.session.scalars(
        select(TrainingEnrolment).where(
            TrainingEnrolment.training_id == training.id,
            TrainingEnrolment.participant_id == participant.id,
        )
    ).first()


def _vov(training: Training, participant: Participant) -> bool:
    enrolment = _enrolment(training, participant)
    return enrolment is not None and under_vov(enrolment.paid_leave, enrolment.leave_regime)


def correct(actor: Actor, old: Certificate, reason: str, now: datetime) -> Certificate:
    """A new certificate for the same participant, kind and period, naming ``old`` and why."""
    reason = (reason or "").strip()
    if not reason:
        raise Refusal("reason_required", _l("Give the reason for the correction."))
    period = (old.period_start, old.period_end) if old.period_start and old.period_end else None
    lock_people([old.participant_id])
    current = _current(old.kind, old.training, old.participant, period)
    if current is not None and current.id != old.id:
        raise Refusal(
            "already_corrected",
            _l("This certificate was already replaced by nr. %(number)s: correct that one.",
               number=current.id),
            status=409,
        )  # fmt: skip
    return _store(actor, old.kind, old.training, old.participant, now, period, old, reason)


def _store(
    actor: Actor,
    kind: CertificateKind,
    training: Training,
    participant: Participant,
    now: datetime,
    period: Period | None,
    corrects: Certificate | None,
    reason: str | None,
) -> Certificate:
    correction = (
        {
            "number": corrects.id,
            "issued_on": _local_day(corrects.issued_at).isoformat(),
            "reason": reason,
        }
        if corrects
        else None
    )
    if kind == CertificateKind.DILIGENCE:
        assert period is not None
        figures = contents.diligence(training, participant, period, now, correction)
    else:
        figures = BUILDERS[kind](training, participant, now, correction)
    certificate = Certificate(
        kind=kind,
        training=training,
        participant=participant,
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        figures=figures,
        pdf=b"",
        issued_at=now,
        issued_by_id=actor.user_id,
        corrects_id=corrects.id if corrects else None,
        correction_reason=reason if corrects else None,
    )
    db.session.add(certificate)
    db.session.flush()  # the certificate's number is its id
    organisation = current_organisation()
    stamp = organisation.stamp if organisation and figures["organisation"].get("stamp") else None
    certificate.pdf = pdf.render(
        kind.value, _for_the_participant(figures, participant), certificate.id, stamp
    )
    db.session.flush()
    audit.record(
        actor,
        "certificate.issue" if corrects is None else "certificate.correct",
        certificate,
        after={
            "kind": kind.value,
            "training_id": training.id,
            "participant_id": participant.id,
            "period": figures.get("period"),
            "corrects_id": certificate.corrects_id,
            "correction_reason": certificate.correction_reason,
            "figures": {
                k: figures[k] for k in ("hours", "attendance", "exam_dates") if k in figures
            },
        },
    )
    return certificate


BUILDERS = {
    CertificateKind.REGULAR_ENROLMENT: contents.regular_enrolment,
    CertificateKind.RESIT_NOTICE: contents.resit_notice,
    CertificateKind.RESIT_PARTICIPATION: contents.resit_participation,
    CertificateKind.ATTENDANCE: contents.attendance,
}


@dataclass
class DueLine:
    """One certificate a participant should get: its deadline and what was issued for it."""

    participant: Participant
    kind: CertificateKind
    period: Period | None
    due: date | None  # None: no deadline (on request)
    paid_leave: bool
    state: str  # a DueState: issued, overdue, due, upcoming, optional, register (VOV)
    certificates: list[Certificate] = field(default_factory=list)  # oldest first
    regime: str | None = None  # the paid-leave regime (bev, vov), None without paid leave

    @property
    def certificate(self) -> Certificate | None:
        """The one in force: the latest (a correction replaces the one before)."""
        return self.certificates[-1] if self.certificates else None

    @property
    def issued_late(self) -> bool:
        first = self.certificates[0] if self.certificates else None
        return first is not None and self.due is not None and _local_day(first.issued_at) > self.due


def _local_day(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


def due_list(training: Training, now: datetime) -> list[DueLine]:
    """Per participant: the regular enrolment certificate, one diligence certificate per lesson
    period they have lessons in, the two second-sitting certificates when they take part in it,
    and, for those not on betaald educatief verlof, the attendance certificate once their last
    lesson is over; each with its deadline and state (:func:`app.domain.certificates.due_state`).

    Deadlines bind for participants on betaald educatief verlof (the certificates exist for it);
    for the others the certificates can be issued on request and are never overdue. Under Vlaams
    opleidingsverlof the organisation registers in the Flemish government's application instead:
    those lines say so and have no deadline here.
    """
    span = contents.training_span(training)
    if span is None:
        return []
    chains: dict[tuple[int, str, date | None], list[Certificate]] = defaultdict(list)
    for certificate in issued(training):
        chains[_key(certificate)].append(certificate)
    # Who has lessons in each period needs no attendance figures: the lessons (termination
    # included) are the same the figures would list, per period or for the whole training.
    people = training_lessons(training)
    days = {p.participant.id: {s.day for s in p.sessions} for p in people}
    in_period: dict[Period, set[int]] = {
        period: {
            pid for pid, held in days.items() if any(period[0] <= d <= period[1] for d in held)
        }
        for period in contents.periods(training)
    }
    lines: list[DueLine] = []
    for person in people:
        lines.extend(_lines_of(training, person, span, chains, in_period, days, now))
    return lines


def _lines_of(
    training: Training,
    person: Lessons,
    span: Period,
    chains: dict[tuple[int, str, date | None], list[Certificate]],
    in_period: dict[Period, set[int]],
    days: dict[int, set[date]],
    now: datetime,
) -> list[DueLine]:
    pid = person.participant.id
    enrolment = person.enrolment
    paid = bool(enrolment and enrolment.paid_leave)
    regime = enrolment.leave_regime if enrolment else None
    binding = certificates_bind(paid, regime)
    vov = under_vov(paid, regime)
    wanted: list[tuple[CertificateKind, Period | None, date | None, date]] = []
    enrolled_on = enrolment.enrolled_on if enrolment else span[0]
    wanted.append(
        (
            CertificateKind.REGULAR_ENROLMENT,
            None,
            regular_enrolment_certificate_due(span[0], enrolled_on),
            enrolled_on,
        )
    )
    for covered, present in in_period.items():
        if pid in present:
            wanted.append(
                (
                    CertificateKind.DILIGENCE,
                    covered,
                    certificate_due(covered[1]),
                    covered[1] + timedelta(days=1),
                )
            )
    if enrolment is not None and enrolment.second_sitting:
        if training.first_sitting_end is not None:
            wanted.append(
                (
                    CertificateKind.RESIT_NOTICE,
                    None,
                    second_sitting_notice_due(training.first_sitting_end),
                    second_sitting_notice_available_from(training.first_sitting_end),
                )
            )
        if training.second_sitting_end is not None:
            wanted.append(
                (
                    CertificateKind.RESIT_PARTICIPATION,
                    None,
                    second_sitting_participation_due(training.second_sitting_end),
                    second_sitting_participation_available_from(training.second_sitting_end),
                )
            )
    if not binding:
        last_day = max(days[pid]) if days.get(pid) else span[1]
        available = attendance_certificate_available_from(last_day)
        wanted.append((CertificateKind.ATTENDANCE, None, None, available))
    result = []
    for kind, period, due, available_from in wanted:
        found = chains.get((pid, kind.value, period[0] if period else None), [])
        if vov and kind in BEV_KINDS and not found:
            state, due = DueState.REGISTER, None
        else:
            state = due_state(bool(found), due, available_from, binding, now)
        result.append(
            DueLine(
                person.participant, kind, period, due, paid, state.value, found,
                regime=LeaveRegime(regime or LeaveRegime.BEV).value if paid else None,
            )
        )  # fmt: skip
    return result


# The states a bulk issue takes: a deadline binds and has come (or passed). Upcoming ones are
# not over yet, optional ones are issued on request, VOV ones are registered elsewhere.
BULK_STATES = ("due", "overdue")


def bulk_due(lines: list[DueLine]) -> list[DueLine]:
    """The certificates "issue all due" would issue, from the due list."""
    return [line for line in lines if line.state in BULK_STATES]


def issue_due(
    actor: Actor, training: Training, now: datetime
) -> tuple[list[Certificate], list[tuple[DueLine, Refusal]]]:
    """Issue every due or overdue certificate of the training in one step, each exactly as
    :func:`issue` stores it (its own PDF and figures, issued now). One that is refused (say,
    an incomplete registration in its period) is left out with its reason; the others stand."""
    issued: list[Certificate] = []
    refused: list[tuple[DueLine, Refusal]] = []
    for line in bulk_due(due_list(training, now)):
        try:
            # A savepoint each: a refusal half-way leaves nothing of that certificate behind.
            with db.session.begin_nested():
                issued.append(issue(actor, line.kind, training, line.participant, now, line.period))
        except Refusal as refusal:
            refused.append((line, refusal))
    return issued, refused


def summary(lines: list[DueLine]) -> dict[str, Any]:
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        counts[line.state] += 1
    return dict(counts)


# --- The second sitting -------------------------------------------------------------------------

_SITTING_MESSAGES = {
    "second_without_first": _l("Give the end of the first sitting before that of the second."),
    "second_not_after_first": _l("The second sitting ends after the first."),
    "no_exam_dates": _l("Give the dates of the exams taken in the second sitting."),
    "before_second_sitting": _l(
        "An exam of the second sitting must fall after the end of the first sitting."
    ),
    "after_second_sitting": _l(
        "An exam of the second sitting must fall on or before the end of the second sitting."
    ),
}
MAX_EXAM_DATES = 30


def set_sittings(
    actor: Actor, training: Training, first_end: date | None, second_end: date | None
) -> None:
    """The end dates of the first and the second sitting (the second-sitting deadlines)."""
    checks.optional_day(first_end, "first_sitting_end")
    checks.optional_day(second_end, "second_sitting_end")
    problem = sittings_problem(first_end, second_end)
    if problem:
        raise Refusal(problem, _SITTING_MESSAGES[problem], field="second_sitting_end")
    fields = ("first_sitting_end", "second_sitting_end")
    before = audit.snapshot(training, fields)
    training.first_sitting_end = first_end
    training.second_sitting_end = second_end
    db.session.flush()
    audit.record(actor, "training.sittings", training, before, audit.snapshot(training, fields))


def mark_second_sitting(
    actor: Actor,
    training: Training,
    participant: Participant,
    takes_part: bool,
    exam_dates: list[date],
) -> TrainingEnrolment:
    """Whether the participant takes part in the second sitting, and the dates of the exams they
    took in it (none yet is fine: certificate 2 asks for them)."""
    enrolment = _enrolment(training, participant)
    if enrolment is None:
        raise Refusal(
            "not_enrolled", _l("This participant has no lessons in this training or period.")
        )
    if len(exam_dates) > MAX_EXAM_DATES:
        raise Refusal(
            "too_many_exam_dates",
            _l("At most %(n)s exam dates.", n=MAX_EXAM_DATES),
            field="exam_dates",
        )
    for value in exam_dates:
        checks.day(value, "exam_dates")
    if not takes_part and exam_dates:
        raise Refusal(
            "exam_dates_without_second_sitting",
            _l("Exam dates of the second sitting need the participant to take part in it."),
            field="exam_dates",
        )
    if exam_dates:
        problem = exam_dates_problem(
            exam_dates, training.first_sitting_end, training.second_sitting_end
        )
        if problem:
            raise Refusal(problem, _SITTING_MESSAGES[problem], field="exam_dates")
    fields = ("second_sitting", "second_sitting_exams")
    before = audit.snapshot(enrolment, fields)
    enrolment.second_sitting = takes_part
    enrolment.second_sitting_exams = sorted({d.isoformat() for d in exam_dates})
    db.session.flush()
    audit.record(
        actor, "training_enrolment.second_sitting", enrolment, before,
        audit.snapshot(enrolment, fields),
    )  # fmt: skip
    return enrolment
