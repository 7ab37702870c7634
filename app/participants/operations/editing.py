"""Changing a participant's record: name, address, number, branch, external id."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from app import audit, checks
from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.mail import outbox
from app.models import (
    Participant,
)
from app.participants.operations.creating import (
    _check_email_free,
    _external_id,
    _record_held_elsewhere,
    _store_national_number,
    clean_national_number,
)
from app.security import national_number_index

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
