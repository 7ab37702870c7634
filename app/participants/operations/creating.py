"""Creating a participant with a checked national register number, a free address and external
id; a number also held by a record outside the actor's scope, its holders, keeping it, and
revealing it to an authorised user."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, or_, select, true

from app import audit, checks
from app.audit import Actor
from app.db import LOCK_BRANCH_ADDRESS, lock_key
from app.domain import national_number
from app.errors import Forbidden, Refusal
from app.extensions import db
from app.models import (
    Branch,
    Participant,
    Role,
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
            Participant.id != participant.id if inspect(participant).has_identity else true(),
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


def reveal_national_number(actor: Actor, participant: Participant) -> str | None:
    """The full number for an authorised user who asked for it; the look is audited."""
    if participant.national_number_encrypted is None:
        return None
    audit.record(actor, "participant.reveal_national_number", participant)
    return national_number.formatted(decrypt_national_number(participant.national_number_encrypted))


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
    the existing one named, so the user can open it (an import reports it by line).

    The address is locked first: two requests adding the same person at once (two desks, a
    double click, a retried import) would otherwise both find it free. No unique index can
    say it, as an ended or merged record keeps its address."""
    lock_key(LOCK_BRANCH_ADDRESS, f"{branch_id}:{email.lower()}")
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
