"""Merging a duplicate participant record into the one that is kept."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from app import audit
from app.audit import Actor
from app.db import lock_people
from app.errors import Forbidden, Refusal
from app.extensions import db
from app.models import (
    Enrolment,
    Participant,
    Registration,
    Role,
    TrainingEnrolment,
)


def merge_participants(
    actor: Actor, kept: Participant, duplicate: Participant, now: datetime
) -> None:
    """Support merges a duplicate record into the one that is kept; the duplicate ends.

    Enrolments, training enrolments, justified absences, exemptions and certificates move to
    the kept record. Registrations are never changed: each effective registration of the
    duplicate is replaced by a correction for the kept participant (same kind and time,
    ``voids_id`` naming the original), so the history shows what moved and why. Refused
    when both records have registrations in the same session (which would mix two people's
    check-ins) and when both are enrolled in a training with certificates.
    """
    from app.models import Certificate, Exemption, Justification, Kind, Source
    from app.scanning.service import write_checked

    if actor.user is None or actor.user.role != Role.ADMIN:
        raise Forbidden(_l("Only support merges participant records."))
    if kept.id == duplicate.id:
        raise Refusal("same_participant", _l("Choose two different participants."))
    if kept.branch_id != duplicate.branch_id:
        raise Refusal("other_branch", _l("Only records of the same branch can be merged."))
    # Two merges at once (the same pair twice, or A into B and B into A): the second waits and
    # then finds a record ended.
    db.session.flush()
    lock_people([kept.id, duplicate.id])
    db.session.refresh(kept, ["ended_at"])
    db.session.refresh(duplicate, ["ended_at"])
    if kept.ended_at is not None or duplicate.ended_at is not None:
        raise Refusal("participant_ended", _l("This participant record was ended or merged."))
    registered = _registered_sessions([kept.id, duplicate.id])
    both = registered.get(kept.id, set()) & registered.get(duplicate.id, set())
    if both:
        raise Refusal(
            "both_registered",
            _l(
                "Both records have registrations in the same session (#%(id)s): correct one "
                "of them first.",
                id=min(both),
            ),
            status=409,
        )
    _move_enrolments(actor, kept, duplicate)
    _move_training_enrolments(actor, kept, duplicate)
    owned: list[Justification | Exemption | Certificate] = [
        *db.session.scalars(
            select(Justification).where(Justification.participant_id == duplicate.id)
        ),
        *db.session.scalars(select(Exemption).where(Exemption.participant_id == duplicate.id)),
        *db.session.scalars(select(Certificate).where(Certificate.participant_id == duplicate.id)),
    ]
    for row in owned:
        audit.record(
            actor,
            f"{row.__tablename__[:-1]}.move",
            row,
            {"participant_id": duplicate.id},
            {"participant_id": kept.id},
        )
        row.participant_id = kept.id
    reason = f"merged: participant #{duplicate.id} is #{kept.id}"
    voider = aliased(Registration)
    moving = db.session.scalars(
        select(Registration).where(
            Registration.participant_id == duplicate.id,
            Registration.kind.is_not(None),
            ~exists().where(voider.voids_id == Registration.id),
        )
    ).all()
    for old in moving:
        if (
            old.kind is None or old.at is None
        ):  # the query asks for a kind; no time, nothing to carry
            continue
        # History is carried over whatever the session's window: the original stays, voided.
        write_checked(
            actor, old.session_id, kept.id, Kind(old.kind), old.at, now, Source.CORRECTION,
            reason=reason, voids_id=old.id,
        )  # fmt: skip
    duplicate_has_number = (
        duplicate.national_number_index or duplicate.national_number_conflict_index
    ) is not None
    if duplicate_has_number and kept.national_number_index is None:
        number = (
            duplicate.national_number_encrypted,
            duplicate.national_number_index,
            duplicate.national_number_last2,
            # one held in another branch stays waiting for central support on the kept record
            duplicate.national_number_conflict_index,
        )
        duplicate.national_number_index = None  # unique: free it before the kept record takes it
        duplicate.national_number_conflict_index = None
        db.session.flush()
        (
            kept.national_number_encrypted,
            kept.national_number_index,
            kept.national_number_last2,
            kept.national_number_conflict_index,
        ) = number
    before = audit.snapshot(duplicate, ("ended_at", "merged_into_id"))
    duplicate.ended_at, duplicate.merged_into_id = now, kept.id
    db.session.flush()
    audit.record(
        actor,
        "participant.merge",
        duplicate,
        before,
        {**audit.snapshot(duplicate, ("ended_at", "merged_into_id")), "registrations": len(moving)},
    )


def _registered_sessions(participant_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for participant_id, session_id in db.session.execute(
        select(Registration.participant_id, Registration.session_id)
        .where(Registration.participant_id.in_(participant_ids))
        .distinct()
    ):
        found.setdefault(participant_id, set()).add(session_id)
    return found


def _move_enrolments(actor: Actor, kept: Participant, duplicate: Participant) -> None:
    kept_sessions = set(
        db.session.scalars(select(Enrolment.session_id).where(Enrolment.participant_id == kept.id))
    )
    for enrolment in db.session.scalars(
        select(Enrolment).where(Enrolment.participant_id == duplicate.id)
    ).all():
        if enrolment.session_id in kept_sessions:
            audit.record(actor, "enrolment.delete", enrolment, before=audit.snapshot(enrolment))
            db.session.delete(enrolment)
        else:
            audit.record(
                actor,
                "enrolment.move",
                enrolment,
                {"participant_id": duplicate.id},
                {"participant_id": kept.id},
            )
            enrolment.participant_id = kept.id
    db.session.flush()


def _move_training_enrolments(actor: Actor, kept: Participant, duplicate: Participant) -> None:
    from app.models import Certificate

    kept_trainings = {
        e.training_id: e
        for e in db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.participant_id == kept.id)
        )
    }
    for record in db.session.scalars(
        select(TrainingEnrolment).where(TrainingEnrolment.participant_id == duplicate.id)
    ).all():
        if record.training_id not in kept_trainings:
            audit.record(
                actor,
                "training_enrolment.move",
                record,
                {"participant_id": duplicate.id},
                {"participant_id": kept.id},
            )
            record.participant_id = kept.id
            continue
        issued = db.session.scalars(
            select(Certificate.id).where(
                Certificate.training_id == record.training_id,
                Certificate.participant_id.in_([kept.id, duplicate.id]),
            )
        ).first()
        if issued is not None:
            raise Refusal(
                "both_certified",
                _l(
                    "Both records are enrolled in a training with certificates: support must correct them by hand."
                ),
                status=409,
            )
        kept_record = kept_trainings[record.training_id]
        before = audit.snapshot(kept_record)
        kept_record.enrolled_on = min(kept_record.enrolled_on, record.enrolled_on)
        if record.paid_leave and not kept_record.paid_leave:
            kept_record.leave_regime = record.leave_regime  # the regime goes with the leave
        kept_record.paid_leave = kept_record.paid_leave or record.paid_leave
        # Taking part in the second sitting, and its exams, are kept from either record.
        kept_record.second_sitting = kept_record.second_sitting or record.second_sitting
        kept_record.second_sitting_exams = sorted(
            set(kept_record.second_sitting_exams or []) | set(record.second_sitting_exams or [])
        )
        db.session.flush()
        audit.record(
            actor, "training_enrolment.change", kept_record, before, audit.snapshot(kept_record)
        )
        audit.record(actor, "training_enrolment.delete", record, before=audit.snapshot(record))
        db.session.delete(record)
    db.session.flush()
