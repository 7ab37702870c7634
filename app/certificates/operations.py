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
from sqlalchemy import event, inspect, select

from app import audit
from app.attendance.figures import training_lessons
from app.audit import Actor
from app.certificates import contents, pdf
from app.domain.cutoff import BRUSSELS
from app.domain.periods import certificate_due, regular_enrolment_certificate_due
from app.errors import Refusal
from app.extensions import db
from app.models import Certificate, CertificateKind, Participant, Training

Period = tuple[date, date]


class CertificateImmutable(RuntimeError):
    """Raised when code tries to change or delete an issued certificate."""


@event.listens_for(Certificate, "before_update")
def _refuse_update(_mapper, connection, target: Certificate) -> None:  # type: ignore[no-untyped-def]
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
def _refuse_delete(_mapper, _connection, target: Certificate) -> None:  # type: ignore[no-untyped-def]
    raise CertificateImmutable(f"certificate {target.id} was issued and cannot be deleted")


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
    if kind == CertificateKind.REGULAR_ENROLMENT:
        period = None
    if _current(kind, training, participant, period) is not None:
        raise Refusal(
            "already_issued",
            _l("This certificate was already issued: issue a correction instead."),
            status=409,
        )
    return _store(actor, kind, training, participant, now, period, None, None)


def correct(actor: Actor, old: Certificate, reason: str, now: datetime) -> Certificate:
    """A new certificate for the same participant, kind and period, naming ``old`` and why."""
    reason = (reason or "").strip()
    if not reason:
        raise Refusal("reason_required", _l("Give the reason for the correction."))
    period = (old.period_start, old.period_end) if old.period_start and old.period_end else None
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
        figures = contents.regular_enrolment(training, participant, now, correction)
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
    certificate.pdf = pdf.render(kind.value, figures, certificate.id)
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
            "figures": {k: figures[k] for k in ("hours", "attendance") if k in figures},
        },
    )
    return certificate


@dataclass
class DueLine:
    """One certificate a participant should get: its deadline and what was issued for it."""

    participant: Participant
    kind: CertificateKind
    period: Period | None
    due: date
    paid_leave: bool
    state: str  # issued, overdue, due, upcoming, optional
    certificates: list[Certificate] = field(default_factory=list)  # oldest first

    @property
    def certificate(self) -> Certificate | None:
        """The one in force: the latest (a correction replaces the one before)."""
        return self.certificates[-1] if self.certificates else None

    @property
    def issued_late(self) -> bool:
        first = self.certificates[0] if self.certificates else None
        return first is not None and _local_day(first.issued_at) > self.due


def _local_day(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


def due_list(training: Training, now: datetime) -> list[DueLine]:
    """Per participant: the regular enrolment certificate and one diligence certificate per
    lesson period they have lessons in, each with its deadline and state.

    Deadlines bind for participants on paid educational leave (the certificates exist for it);
    for the others the certificates can be issued on request and are never overdue.
    """
    today = now.astimezone(BRUSSELS).date()
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
        pid = person.participant.id
        paid = bool(person.enrolment and person.enrolment.paid_leave)
        enrolled_on = person.enrolment.enrolled_on if person.enrolment else span[0]
        due = regular_enrolment_certificate_due(span[0], enrolled_on)
        found = chains.get((pid, CertificateKind.REGULAR_ENROLMENT.value, None), [])
        state = _state(found, due, today, enrolled_on, paid)
        lines.append(
            DueLine(person.participant, CertificateKind.REGULAR_ENROLMENT, None, due, paid, state,
                    found)
        )  # fmt: skip
        for period, present in in_period.items():
            if pid not in present:
                continue
            due = certificate_due(period[1])
            found = chains.get((pid, CertificateKind.DILIGENCE.value, period[0]), [])
            state = _state(found, due, today, period[1] + timedelta(days=1), paid)
            lines.append(
                DueLine(person.participant, CertificateKind.DILIGENCE, period, due, paid, state,
                        found)
            )  # fmt: skip
    return lines


def _state(found: list[Certificate], due: date, today: date, from_day: date, paid: bool) -> str:
    if found:
        return "issued"
    if today < from_day:
        return "upcoming"
    if not paid:
        return "optional"
    return "overdue" if today > due else "due"


def summary(lines: list[DueLine]) -> dict[str, Any]:
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        counts[line.state] += 1
    return dict(counts)
