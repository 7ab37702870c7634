"""Participants: creation with a checked national register number, codes, enrolment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, insert, or_, select, true
from sqlalchemy.orm import aliased

from app import audit, checks
from app.audit import Actor
from app.db import lock_people
from app.domain import national_number
from app.domain.certificates import LeaveRegime
from app.domain.cutoff import BRUSSELS
from app.errors import Forbidden, Refusal
from app.extensions import db
from app.mail import messages, outbox
from app.models import (
    Branch,
    Enrolment,
    Participant,
    Registration,
    Role,
    Session,
    Training,
    TrainingEnrolment,
    TrainingMode,
)
from app.security import decrypt_national_number, encrypt_national_number, national_number_index


def clean_national_number(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    try:
        return national_number.normalise(text)
    except national_number.InvalidNationalNumber as exc:
        raise Refusal(
            "invalid_national_number",
            _l("This national register number is not valid (check the digits)."),
        ) from exc


def create_participant(
    actor: Actor,
    branch: Branch,
    name: str,
    email: str,
    national_number_text: str | None,
    external_id: str | None = None,
) -> Participant:
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the participant's name."))
    checks.text(email or "", "email")
    digits = clean_national_number(national_number_text)
    participant = Participant(branch=branch, name=name, email=checks.clean_email(email))
    _check_email_free(participant.email, branch.id)
    participant.external_id = _external_id(external_id, branch.id)
    held_elsewhere = False
    if digits is not None:
        held_elsewhere = _store_national_number(actor, participant, digits)
    db.session.add(participant)
    db.session.flush()
    audit.record(actor, "participant.create", participant, after=audit.snapshot(participant))
    if held_elsewhere:
        _record_held_elsewhere(actor, participant)
    return participant


def _store_national_number(actor: Actor, participant: Participant, digits: str) -> bool:
    """Give ``participant`` the number; True when a record outside the actor's scope holds it.

    Within the actor's scope a duplicate is refused and named, so it can be opened and merged.
    A record the actor may not see is never revealed: the number is taken as any free number
    is (the same answer, the same masked digits), kept apart from the unique index, and left
    for central support to resolve (docs/security.md, "Who sees what").
    """
    index = national_number_index(digits)
    holders = db.session.execute(
        select(Participant.id, Participant.branch_id)
        .where(
            or_(
                Participant.national_number_index == index,
                Participant.national_number_conflict_index == index,
            ),
            Participant.id != participant.id if participant.id is not None else true(),
        )
        .order_by(Participant.id)
    ).all()
    local = getattr(actor.user, "branch_id", None)
    for holder in holders:
        if local is None or holder.branch_id == local:
            raise Refusal(
                "duplicate_national_number",
                _l("A participant with this national register number already exists."),
                status=409,
                participant_id=holder.id,
            )
    participant.national_number_encrypted = encrypt_national_number(digits)
    participant.national_number_last2 = digits[9:]
    if holders:
        participant.national_number_index = None
        participant.national_number_conflict_index = index
        return True
    participant.national_number_index = index
    participant.national_number_conflict_index = None
    return False


def _record_held_elsewhere(actor: Actor, participant: Participant) -> None:
    audit.record(
        actor,
        "participant.national_number_held_elsewhere",
        participant,
        after={"national_number": "<also held by a record of another branch>"},
    )


def national_number_holders(participant: Participant) -> list[Participant]:
    """The other records with this participant's number (for central support)."""
    index = participant.national_number_conflict_index or participant.national_number_index
    if index is None:
        return []
    return list(
        db.session.scalars(
            select(Participant)
            .where(
                or_(
                    Participant.national_number_index == index,
                    Participant.national_number_conflict_index == index,
                ),
                Participant.id != participant.id,
            )
            .order_by(Participant.id)
        )
    )


def keep_national_number(actor: Actor, participant: Participant) -> None:
    """Central support resolved a number held in two branches as one person in both: the
    record keeps its number, no longer waiting (only the first record stays its index)."""
    if actor.user is None or actor.user.role != Role.ADMIN or actor.user.branch_id is not None:
        raise Forbidden(_l("Only central support resolves this."))
    if participant.national_number_conflict_index is None:
        return
    participant.national_number_conflict_index = None
    db.session.flush()
    audit.record(
        actor,
        "participant.national_number_kept",
        participant,
        {"national_number": "<held elsewhere>"},
        {"national_number": "<kept>"},
    )


def enrol(
    actor: Actor, session: Session, participant: Participant, notify: bool = True
) -> tuple[Enrolment, bool]:
    """Enrol a participant; the first enrolment ever queues the QR code mail.

    Returns the enrolment and whether it is new (enrolling twice is harmless, not an error).
    """
    if participant.branch_id != session.training.project.branch_id:
        raise Refusal("other_branch", _l("This participant belongs to another branch."), status=403)
    if session.cancelled:
        raise Refusal("cancelled", _l("This session was cancelled."), status=409)
    # Two enrolments at once: the second waits, then finds the first's enrolment, training
    # enrolment and code mail (the row is read again for its end and its code's mail).
    db.session.flush()  # a refresh would drop this request's unflushed changes to the row
    lock_people([participant.id])
    db.session.refresh(participant, ["ended_at", "code_sent_at"])
    if participant.ended_at is not None:
        raise Refusal(
            "participant_ended", _l("This participant record was ended or merged."), status=409
        )
    existing = db.session.scalars(
        select(Enrolment).where(
            Enrolment.session_id == session.id, Enrolment.participant_id == participant.id
        )
    ).first()
    if existing is not None:
        return existing, False
    enrolment = Enrolment(session=session, participant=participant, created_by=actor.user)
    db.session.add(enrolment)
    _enrol_in_training(actor, session.training, participant)
    db.session.flush()
    audit.record(actor, "enrolment.create", enrolment, after=audit.snapshot(enrolment))
    if notify and participant.code_sent_at is None:
        messages.queue_code_mail(participant)
    return enrolment, True


def _enrol_in_training(actor: Actor, training: Training, participant: Participant) -> None:
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
        today = datetime.now(UTC).astimezone(BRUSSELS).date()
        record = TrainingEnrolment(training=training, participant=participant, enrolled_on=today)
        db.session.add(record)
        db.session.flush()
        audit.record(actor, "training_enrolment.create", record, after=audit.snapshot(record))


def enrol_in_training(actor: Actor, sessions: list[Session], participant: Participant) -> int:
    """Enrol in every given session; returns how many enrolments are new.

    The first-enrolment mail is composed after all of them, so it lists every session.
    """
    return enrol_all(actor, sessions, [participant])


def enrol_all(
    actor: Actor, sessions: Sequence[Session], participants: Sequence[Participant]
) -> int:
    """Enrol every participant in every session (a class in a whole training); returns how many
    enrolments are new. Enrolling twice is harmless, as with :func:`enrol`.

    What :func:`enrol` does for one, in a fixed number of statements whatever the number of
    people and sessions: the enrolments, the training enrolments (the first session enrolment
    in a training also enrols in the training, dated today) and their audit records are each
    inserted in one statement (per thousand rows), and whoever is enrolled for the first time
    ever gets their QR code mail once, listing all their sessions.
    """
    # A cancelled session is given to nobody: enrolling a class in a training skips it.
    sessions = list({s.id: s for s in sessions if not s.cancelled}.values())
    participants = list({p.id: p for p in participants}.values())
    if not sessions or not participants:
        return 0
    lock_people(p.id for p in participants)  # as in enrol: one request at a time per person
    # Read again after the lock: a merge at the same moment may have ended one.
    db.session.flush()
    ended = db.session.scalars(
        select(Participant.id).where(
            Participant.id.in_([p.id for p in participants]), Participant.ended_at.is_not(None)
        )
    ).first()
    if ended is not None:
        raise Refusal(
            "participant_ended", _l("This participant record was ended or merged."), status=409
        )
    branch_of = {s.training_id: s.training.project.branch_id for s in sessions}
    if any(p.branch_id != branch for p in participants for branch in branch_of.values()):
        raise Refusal("other_branch", _l("This participant belongs to another branch."), status=403)
    existing = set(
        db.session.execute(
            select(Enrolment.session_id, Enrolment.participant_id).where(
                Enrolment.session_id.in_([s.id for s in sessions]),
                Enrolment.participant_id.in_([p.id for p in participants]),
            )
        ).all()
    )
    now = datetime.now(UTC)
    new = [
        {"session_id": s.id, "participant_id": p.id, "created_at": now,
         "created_by_id": actor.user_id}
        for p in participants
        for s in sessions
        if (s.id, p.id) not in existing
    ]  # fmt: skip
    if not new:
        return 0
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
    messages.queue_code_mails([p for p in participants if p.id in unsent])
    return len(new)


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
    rows = [
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


def enrol_in_elearning(actor: Actor, training: Training, participant: Participant) -> bool:
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
    _enrol_in_training(actor, training, participant)
    if participant.code_sent_at is None:
        messages.queue_code_mail(participant)
    return True


def enrol_training_participants(actor: Actor, session: Session) -> int:
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
    return enrol_all(actor, [session], people)


def resend_code(actor: Actor, participant: Participant) -> None:
    messages.queue_code_mail(participant)
    audit.record(actor, "participant.code_resend", participant)


def reissue_code(actor: Actor, participant: Participant, now: datetime) -> None:
    """Revoke the current code (its key version) and mail the next one."""
    before = {"key_version": participant.key_version}
    participant.key_version += 1
    db.session.flush()
    outbox.withdraw_code_mails(actor, participant.id, participant.key_version, now)
    audit.record(
        actor,
        "participant.code_reissue",
        participant,
        before,
        {"key_version": participant.key_version},
    )
    messages.queue_code_mail(participant)


def reveal_national_number(actor: Actor, participant: Participant) -> str | None:
    """The full number for an authorised user who asked for it; the look is audited."""
    if participant.national_number_encrypted is None:
        return None
    audit.record(actor, "participant.reveal_national_number", participant)
    return national_number.formatted(decrypt_national_number(participant.national_number_encrypted))


PARTICIPANT_FIELDS = ("name", "email", "national_number_last2", "branch_id", "external_id")


def update_participant(
    actor: Actor,
    participant: Participant,
    name: str,
    email: str,
    national_number_text: str | None,
    external_id: str | None = None,
    *,
    now: datetime,
) -> bool:
    """Correct a participant's name, email, national register number or external id; audited.

    An empty national number field keeps the stored one; ``external_id`` ``None`` keeps it, an
    empty text clears it. Returns whether the email changed: mails still waiting for the old
    address are withdrawn (their QR code must not reach the wrong address); nothing is re-sent
    by itself, the page offers to send the code to the new address.
    """
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the participant's name."), field="name")
    email = checks.clean_email(checks.text(email or "", "email"))
    _check_email_free(email, participant.branch_id, participant.id)
    digits = clean_national_number(national_number_text)
    before = audit.snapshot(participant, PARTICIPANT_FIELDS)
    held_elsewhere = False
    if digits is not None:
        index = national_number_index(digits)
        if index not in (
            participant.national_number_index,
            participant.national_number_conflict_index,
        ):
            held_elsewhere = _store_national_number(actor, participant, digits)
            before["national_number"] = "<changed>"
    old_email = participant.email
    changed_email = email != old_email
    participant.name, participant.email = name, email
    if external_id is not None:
        participant.external_id = _external_id(external_id, participant.branch_id, participant.id)
    db.session.flush()
    audit.record(
        actor,
        "participant.change",
        participant,
        before,
        audit.snapshot(participant, PARTICIPANT_FIELDS),
    )
    if held_elsewhere:
        _record_held_elsewhere(actor, participant)
    if changed_email and old_email:
        outbox.withdraw_mails_to(actor, participant.id, old_email, now)
    return changed_email


def _external_id(text: str | None, branch_id: int, participant_id: int | None = None) -> str | None:
    """The participant's id in the branch's school administration package (the exchange's
    identifier, docs/rules.md, "Exchange"): one line, at most 64 characters, one participant per
    id and branch, so an incoming code can never land on two people."""
    value = checks.text((text or "").strip(), "external_id")
    if not value:
        return None
    if len(value) > 64:
        raise Refusal(
            "invalid_external_id",
            _l("The external id has at most 64 characters."),
            field="external_id",
        )
    holder = db.session.scalars(
        select(Participant.id).where(
            Participant.branch_id == branch_id,
            Participant.external_id == value,
            Participant.ended_at.is_(None),
        )
    ).first()
    if holder is not None and holder != participant_id:
        raise Refusal(
            "duplicate_external_id",
            _l("Another participant of this branch has this external id."),
            status=409,
            participant_id=holder,
            field="external_id",
        )
    return value


def _check_email_free(email: str, branch_id: int, participant_id: int | None = None) -> None:
    """One record per person and branch: a second one with the same address is refused with
    the existing one named, so the user can open it (an import reports it by line)."""
    holder = db.session.scalars(
        select(Participant.id).where(
            Participant.branch_id == branch_id,
            func.lower(Participant.email) == email.lower(),
            Participant.ended_at.is_(None),
        )
    ).first()
    if holder is not None and holder != participant_id:
        raise Refusal(
            "duplicate_email",
            _l("A participant with this email address already exists in this branch."),
            status=409,
            participant_id=holder,
            field="email",
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
    for model in (Justification, Exemption, Certificate):
        for row in db.session.scalars(select(model).where(model.participant_id == duplicate.id)):
            audit.record(
                actor,
                f"{model.__tablename__[:-1]}.move",
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
