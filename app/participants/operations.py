"""Participants: creation with a checked national register number, codes, enrolment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from app import audit
from app.audit import Actor
from app.domain import national_number
from app.domain.cutoff import BRUSSELS
from app.errors import Refusal
from app.extensions import db
from app.mail import messages
from app.models import Branch, Enrolment, Participant, Session, Training, TrainingEnrolment
from app.security import decrypt_national_number, encrypt_national_number, national_number_index
from app.text import has_control_characters


def clean_email(text: str) -> str:
    try:
        return validate_email(text or "", check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Refusal("invalid_email", _l("This is not a valid email address.")) from exc


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
    actor: Actor, branch: Branch, name: str, email: str, national_number_text: str | None
) -> Participant:
    name = (name or "").strip()
    if not name:
        raise Refusal("name_required", _l("Give the participant's name."))
    if has_control_characters(name) or has_control_characters(email or ""):
        # An import from a damaged file; the form and the API refuse these before this point.
        raise Refusal("control_characters", _l("Remove the invisible control characters."))
    digits = clean_national_number(national_number_text)
    participant = Participant(branch=branch, name=name, email=clean_email(email))
    if digits is not None:
        index = national_number_index(digits)
        if db.session.scalars(
            select(Participant.id).where(Participant.national_number_index == index)
        ).first():
            raise Refusal(
                "duplicate_national_number",
                _l("A participant with this national register number already exists."),
                status=409,
            )
        participant.national_number_encrypted = encrypt_national_number(digits)
        participant.national_number_index = index
        participant.national_number_last2 = digits[9:]
    db.session.add(participant)
    db.session.flush()
    audit.record(actor, "participant.create", participant, after=audit.snapshot(participant))
    return participant


def enrol(
    actor: Actor, session: Session, participant: Participant, notify: bool = True
) -> tuple[Enrolment, bool]:
    """Enrol a participant; the first enrolment ever queues the QR code mail.

    Returns the enrolment and whether it is new (enrolling twice is harmless, not an error).
    """
    if participant.branch_id != session.training.project.branch_id:
        raise Refusal("other_branch", _l("This participant belongs to another branch."), status=403)
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
    sessions = list({s.id: s for s in sessions}.values())
    participants = list({p.id: p for p in participants}.values())
    if not sessions or not participants:
        return 0
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
    messages.queue_code_mails(
        [p for p in participants if p.id in enrolled and p.code_sent_at is None]
    )
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
    audit.record_many(actor, action, model.__tablename__, snapshots)


def resend_code(actor: Actor, participant: Participant) -> None:
    messages.queue_code_mail(participant)
    audit.record(actor, "participant.code_resend", participant)


def reissue_code(actor: Actor, participant: Participant, now: datetime) -> None:
    """Revoke the current code (its key version) and mail the next one."""
    before = {"key_version": participant.key_version}
    participant.key_version += 1
    db.session.flush()
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
