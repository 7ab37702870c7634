"""Participants: creation with a checked national register number, codes, enrolment."""

from __future__ import annotations

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit, checks
from app.audit import Actor
from app.domain import national_number
from app.domain.cutoff import BRUSSELS
from app.errors import Refusal
from app.extensions import db
from app.mail import messages
from app.models import Branch, Enrolment, Participant, Session, Training, TrainingEnrolment
from app.security import decrypt_national_number, encrypt_national_number, national_number_index


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
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the participant's name."))
    checks.text(email or "", "email")
    digits = clean_national_number(national_number_text)
    participant = Participant(branch=branch, name=name, email=clean_email(email))
    if digits is not None:
        index = national_number_index(digits)
        _check_national_number_free(index, branch)
        participant.national_number_encrypted = encrypt_national_number(digits)
        participant.national_number_index = index
        participant.national_number_last2 = digits[9:]
    db.session.add(participant)
    db.session.flush()
    audit.record(actor, "participant.create", participant, after=audit.snapshot(participant))
    return participant


def _check_national_number_free(index: str, branch: Branch) -> None:
    """A national register number belongs to one participant record.

    Within the branch the user may see who has it; a record of another branch is not theirs
    to know about, so they only learn that the number cannot be used (support resolves it).
    """
    holder = db.session.execute(
        select(Participant.id, Participant.branch_id).where(
            Participant.national_number_index == index
        )
    ).first()
    if holder is None:
        return
    if holder.branch_id == branch.id:
        raise Refusal(
            "duplicate_national_number",
            _l("A participant with this national register number already exists."),
            status=409,
            participant_id=holder.id,
        )
    raise Refusal(
        "national_number_unavailable",
        _l("This national register number cannot be used here. Support can resolve it."),
        status=409,
    )


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
    created = sum(1 for session in sessions if enrol(actor, session, participant, notify=False)[1])
    if created and participant.code_sent_at is None:
        messages.queue_code_mail(participant)
    return created


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
