"""Taking a participant off a session or a training, only while nothing was registered for them
there (a registration is history: it is corrected first, never deleted)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit
from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import (
    Enrolment,
    Participant,
    Registration,
    Session,
    Training,
    TrainingEnrolment,
)


def _history_in(session_ids: list[int], participant_id: int) -> bool:
    return (
        db.session.scalars(
            select(Registration.id)
            .where(
                Registration.session_id.in_(session_ids),
                Registration.participant_id == participant_id,
            )
            .limit(1)
        ).first()
        is not None
    )


def unenrol(actor: Actor, session: Session, participant: Participant) -> None:
    """Take a participant off one session: only while nothing was registered for them there
    (a registration is history: it is corrected first, never deleted)."""
    enrolment = db.session.scalars(
        select(Enrolment).where(
            Enrolment.session_id == session.id, Enrolment.participant_id == participant.id
        )
    ).first()
    if enrolment is None:
        raise Refusal("not_enrolled", _l("This participant is not enrolled in this session."))
    if _history_in([session.id], participant.id):
        raise Refusal(
            "has_registrations",
            _l(
                "%(name)s has registrations in this session: correct them first "
                "(registrations are never deleted).",
                name=participant.name,
            ),
            status=409,
        )
    audit.record(actor, "enrolment.delete", enrolment, before=audit.snapshot(enrolment))
    db.session.delete(enrolment)
    db.session.flush()


def unenrol_training(actor: Actor, training: Training, participant: Participant) -> int:
    """Take a participant off a whole training: every session, and the training enrolment
    itself, while the training holds no history of theirs (registrations, justified absences,
    exemptions, certificates). Returns how many session enrolments went."""
    session_ids = list(
        db.session.scalars(select(Session.id).where(Session.training_id == training.id))
    )
    if _history_in(session_ids, participant.id):
        raise Refusal(
            "has_registrations",
            _l(
                "%(name)s has registrations in this training: record an early termination "
                "instead, or correct the registrations first.",
                name=participant.name,
            ),
            status=409,
        )
    if _training_history(training.id, participant.id):
        raise Refusal(
            "has_history",
            _l(
                "%(name)s has certificates, exemptions or justified absences in this training: "
                "record an early termination instead.",
                name=participant.name,
            ),
            status=409,
        )
    enrolments = db.session.scalars(
        select(Enrolment).where(
            Enrolment.session_id.in_(session_ids), Enrolment.participant_id == participant.id
        )
    ).all()
    for enrolment in enrolments:
        audit.record(actor, "enrolment.delete", enrolment, before=audit.snapshot(enrolment))
        db.session.delete(enrolment)
    record = db.session.scalars(
        select(TrainingEnrolment).where(
            TrainingEnrolment.training_id == training.id,
            TrainingEnrolment.participant_id == participant.id,
        )
    ).first()
    if record is not None:
        audit.record(actor, "training_enrolment.delete", record, before=audit.snapshot(record))
        db.session.delete(record)
    db.session.flush()
    return len(enrolments)


def _training_history(training_id: int, participant_id: int) -> bool:
    from app.models import Certificate, Exemption, Justification
    from app.models.attendance import justification_sessions

    checks_ = (
        select(Certificate.id).where(
            Certificate.training_id == training_id, Certificate.participant_id == participant_id
        ),
        select(Exemption.id).where(
            Exemption.training_id == training_id, Exemption.participant_id == participant_id
        ),
        select(Justification.id)
        .join(justification_sessions, justification_sessions.c.justification_id == Justification.id)
        .join(Session, Session.id == justification_sessions.c.session_id)
        .where(Session.training_id == training_id, Justification.participant_id == participant_id),
    )
    return any(db.session.scalars(q.limit(1)).first() is not None for q in checks_)
