"""Enrolling participants in sessions and trainings: one, many at once, every participant of
a training, and e-learning without sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from app import audit
from app.audit import Actor
from app.db import lock_people
from app.domain.certificates import LeaveRegime
from app.domain.cutoff import BRUSSELS
from app.domain.enrolment import EnrolmentRefusal, enrolment_refusal, skipped_in_bulk
from app.errors import Refusal
from app.extensions import db
from app.mail import messages
from app.models import (
    Enrolment,
    Participant,
    Session,
    Training,
    TrainingEnrolment,
    TrainingMode,
)


def enrol(
    actor: Actor,
    session: Session,
    participant: Participant,
    notify: bool = True,
    *,
    now: datetime,
) -> tuple[Enrolment, bool]:
    """Enrol a participant; the first enrolment ever queues the QR code mail.

    Returns the enrolment and whether it is new (enrolling twice is harmless, not an error).
    """
    # Two enrolments at once: the second waits, then finds the first's enrolment, training
    # enrolment and code mail (the row is read again for its end and its code's mail).
    db.session.flush()  # a refresh would drop this request's unflushed changes to the row
    lock_people([participant.id])
    db.session.refresh(participant, ["ended_at", "code_sent_at"])
    refusal = _refusal_of(participant, session, ended=participant.ended_at is not None)
    if refusal is not None:
        raise _refused(refusal)
    existing = db.session.scalars(
        select(Enrolment).where(
            Enrolment.session_id == session.id, Enrolment.participant_id == participant.id
        )
    ).first()
    if existing is not None:
        return existing, False
    enrolment = Enrolment(session=session, participant=participant, created_by=actor.user)
    db.session.add(enrolment)
    _enrol_in_training(actor, session.training, participant, now)
    db.session.flush()
    audit.record(actor, "enrolment.create", enrolment, after=audit.snapshot(enrolment))
    if notify and participant.code_sent_at is None:
        messages.queue_code_mail(participant, now)
    return enrolment, True


# What each refusal of ``app.domain.enrolment.enrolment_refusal`` says, and its status.
REFUSALS = {
    EnrolmentRefusal.OTHER_BRANCH: (_l("This participant belongs to another branch."), 403),
    EnrolmentRefusal.PARTICIPANT_ENDED: (_l("This participant record was ended or merged."), 409),
    EnrolmentRefusal.CANCELLED: (_l("This session was cancelled."), 409),
}


def _refusal_of(participant: Participant, session: Session, ended: bool) -> EnrolmentRefusal | None:
    return enrolment_refusal(
        participant_branch_id=participant.branch_id,
        session_branch_id=session.training.project.branch_id,
        participant_ended=ended,
        session_cancelled=session.cancelled,
    )


def _refused(refusal: EnrolmentRefusal) -> Refusal:
    message, status = REFUSALS[refusal]
    return Refusal(refusal.value, message, status=status)


def _enrol_in_training(
    actor: Actor, training: Training, participant: Participant, now: datetime
) -> None:
    """The first session enrolment in a training also enrols in the training, dated today.

    Its date decides late enrolment (hours missed) and the certificates' deadlines.
    """
    exists = db.session.scalars(
        select(TrainingEnrolment.id).where(
            TrainingEnrolment.training_id == training.id,
            TrainingEnrolment.participant_id == participant.id,
        )
    ).first()
    if exists is None:
        today = now.astimezone(BRUSSELS).date()
        record = TrainingEnrolment(training=training, participant=participant, enrolled_on=today)
        db.session.add(record)
        db.session.flush()
        audit.record(actor, "training_enrolment.create", record, after=audit.snapshot(record))


def enrol_in_training(
    actor: Actor, sessions: list[Session], participant: Participant, *, now: datetime
) -> int:
    """Enrol in every given session; returns how many enrolments are new.

    The first-enrolment mail is composed after all of them, so it lists every session.
    """
    return enrol_all(actor, sessions, [participant], now=now).created


@dataclass(frozen=True)
class Enrolled:
    """What enrolling many people at once did: how many enrolments are new, and the cancelled
    sessions left out (nobody was enrolled in them), to be told to the user."""

    created: int
    skipped: tuple[Session, ...] = ()


def enrol_all(
    actor: Actor,
    sessions: Sequence[Session],
    participants: Sequence[Participant],
    *,
    now: datetime,
) -> Enrolled:
    """Enrol every participant in every session (a class in a whole training). Enrolling twice
    is harmless, as with :func:`enrol`, and the same rule decides who may be enrolled where
    (``app.domain.enrolment``): a cancelled session is left out and named in the answer; any
    other refusal refuses the whole request.

    What :func:`enrol` does for one, in a fixed number of statements whatever the number of
    people and sessions: the enrolments, the training enrolments (the first session enrolment
    in a training also enrols in the training, dated today) and their audit records are each
    inserted in one statement (per thousand rows), and whoever is enrolled for the first time
    ever gets their QR code mail once, listing all their sessions.
    """
    sessions = list({s.id: s for s in sessions}.values())
    participants = list({p.id: p for p in participants}.values())
    if not sessions or not participants:
        return Enrolled(0)
    lock_people(p.id for p in participants)  # as in enrol: one request at a time per person
    # Read again after the lock: a merge at the same moment may have ended one.
    db.session.flush()
    ended = set(
        db.session.scalars(
            select(Participant.id).where(
                Participant.id.in_([p.id for p in participants]),
                Participant.ended_at.is_not(None),
            )
        )
    )
    left_out: dict[int, Session] = {}
    for participant in participants:
        for session in sessions:
            refusal = _refusal_of(participant, session, ended=participant.id in ended)
            if skipped_in_bulk(refusal):
                left_out[session.id] = session
            elif refusal is not None:
                raise _refused(refusal)
    skipped = tuple(sorted(left_out.values(), key=lambda s: (s.day, s.start, s.id)))
    sessions = [s for s in sessions if s.id not in left_out]
    if not sessions:
        return Enrolled(0, skipped)
    existing = set(
        db.session.execute(
            select(Enrolment.session_id, Enrolment.participant_id).where(
                Enrolment.session_id.in_([s.id for s in sessions]),
                Enrolment.participant_id.in_([p.id for p in participants]),
            )
        ).all()
    )
    new: list[dict[str, Any]] = [  # an INSERT's rows: a value per column
        {"session_id": s.id, "participant_id": p.id, "created_at": now,
         "created_by_id": actor.user_id}
        for p in participants
        for s in sessions
        if (s.id, p.id) not in existing
    ]  # fmt: skip
    if not new:
        return Enrolled(0, skipped)
    training_of = {s.id: s.training_id for s in sessions}
    _enrol_all_in_trainings(
        actor, {(training_of[row["session_id"]], row["participant_id"]) for row in new}, now
    )
    _insert_audited(actor, "enrolment.create", Enrolment, ("session_id", "participant_id"), new)
    enrolled = {row["participant_id"] for row in new}
    # Read again after the lock: another request may have sent the code meanwhile.
    unsent = set(
        db.session.scalars(
            select(Participant.id).where(
                Participant.id.in_(sorted(enrolled)), Participant.code_sent_at.is_(None)
            )
        )
    )
    messages.queue_code_mails([p for p in participants if p.id in unsent], now)
    return Enrolled(len(new), skipped)


def _enrol_all_in_trainings(actor: Actor, pairs: set[tuple[int, int]], now: datetime) -> None:
    """The training enrolments (training, participant) that do not exist yet, dated today."""
    existing = set(
        db.session.execute(
            select(TrainingEnrolment.training_id, TrainingEnrolment.participant_id).where(
                TrainingEnrolment.training_id.in_(sorted({t for t, _ in pairs})),
                TrainingEnrolment.participant_id.in_(sorted({p for _, p in pairs})),
            )
        ).all()
    )
    today = now.astimezone(BRUSSELS).date()
    rows: list[dict[str, Any]] = [
        {"training_id": t, "participant_id": p, "enrolled_on": today, "paid_leave": False,
         "leave_regime": LeaveRegime.BEV, "second_sitting": False, "second_sitting_exams": [],
         "terminated_on": None, "created_at": now}
        for t, p in sorted(pairs)
        if (t, p) not in existing
    ]  # fmt: skip
    _insert_audited(
        actor,
        "training_enrolment.create",
        TrainingEnrolment,
        ("training_id", "participant_id"),
        rows,
    )


def _insert_audited(
    actor: Actor,
    action: str,
    model: type[Enrolment] | type[TrainingEnrolment],
    key: tuple[str, str],
    rows: list[dict[str, Any]],
) -> None:
    """Insert ``rows`` (every column but the id) in one statement and audit each one with the
    snapshot :func:`app.audit.snapshot` would take of it. ``key`` names the two columns that
    identify a row (unique): the ids that come back are matched on them, so the database may
    return them in any order (PostgreSQL would otherwise insert row by row to keep it)."""
    if not rows:
        return
    table = model.__table__
    returned = db.session.execute(
        insert(model).returning(table.c.id, table.c[key[0]], table.c[key[1]]), rows
    ).all()
    ids = {(first, second): row_id for row_id, first, second in returned}
    columns = [column.key for column in table.columns]
    snapshots = []
    for row in rows:
        row_id = ids[(row[key[0]], row[key[1]])]
        snapshots.append(
            (row_id, {c: audit.plain(row_id if c == "id" else row[c]) for c in columns})
        )
    # Audited at the moment the rows say they were made.
    audit.record_many(actor, action, model.__tablename__, snapshots, rows[0]["created_at"])


def enrol_in_elearning(
    actor: Actor, training: Training, participant: Participant, *, now: datetime
) -> bool:
    """Enrol in an e-learning training as a whole: it needs no session, the participant reports
    their hours in the portal. The first enrolment ever mails the QR code (and the portal link).
    Returns whether the enrolment is new."""
    if training.mode != TrainingMode.ELEARNING:
        raise Refusal(
            "not_elearning",
            _l("Plan a session first: this training has no sessions yet."),
            status=409,
        )
    if participant.branch_id != training.project.branch_id:
        raise Refusal("other_branch", _l("This participant belongs to another branch."), status=403)
    if participant.ended_at is not None:
        raise Refusal(
            "participant_ended", _l("This participant record was ended or merged."), status=409
        )
    exists = db.session.scalars(
        select(TrainingEnrolment.id).where(
            TrainingEnrolment.training_id == training.id,
            TrainingEnrolment.participant_id == participant.id,
        )
    ).first()
    if exists is not None:
        return False
    _enrol_in_training(actor, training, participant, now)
    if participant.code_sent_at is None:
        messages.queue_code_mail(participant, now)
    return True


def enrol_training_participants(actor: Actor, session: Session, *, now: datetime) -> Enrolled:
    """Enrol the training's participants (those still active) in one of its sessions."""
    people = db.session.scalars(
        select(Participant)
        .join(TrainingEnrolment, TrainingEnrolment.participant_id == Participant.id)
        .where(
            TrainingEnrolment.training_id == session.training_id,
            Participant.ended_at.is_(None),
            ~Participant.id.in_(
                select(Enrolment.participant_id).where(Enrolment.session_id == session.id)
            ),
        )
        .order_by(Participant.name)
    ).all()
    return enrol_all(actor, [session], people, now=now)
