"""Supervisors: a supervisor belongs to a branch and is linked to participants by the promotor,
who tells them by mail.

Nothing here commits: the request does.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from app import audit, checks
from app.audit import Actor
from app.checks import clean_email
from app.errors import Refusal
from app.extensions import db
from app.links import external_url
from app.models import (
    Branch,
    Participant,
    Supervisor,
)


def _supervisor_email(email: str) -> str:
    return clean_email(checks.text(email or "", "supervisor_email")).lower()


def _supervisor_name(name: str) -> str:
    name = checks.text((name or "").strip(), "supervisor_name")[:200]
    if not name:
        raise Refusal("name_required", _l("Give the supervisor's name."), field="supervisor_name")
    return name


def find_supervisor(branch_id: int, email: str) -> Supervisor | None:
    return db.session.scalars(
        select(Supervisor).where(Supervisor.branch_id == branch_id, Supervisor.email == email)
    ).first()


def create_supervisor(actor: Actor, branch: Branch, name: str, email: str) -> Supervisor:
    """A new supervisor of ``branch``; one per branch and address (409 for a second)."""
    email, name = _supervisor_email(email), _supervisor_name(name)
    existing = find_supervisor(branch.id, email)
    if existing is not None:
        raise Refusal(
            "duplicate_supervisor",
            _l("A supervisor with this email address already exists in this branch."),
            status=409,
            supervisor_id=existing.id,
            field="email",
        )
    supervisor = Supervisor(branch=branch, name=name, email=email, created_by_id=actor.user_id)
    db.session.add(supervisor)
    db.session.flush()
    audit.record(actor, "supervisor.create", supervisor, after=audit.snapshot(supervisor))
    return supervisor


def set_supervisor(
    actor: Actor, participant: Participant, name: str, email: str
) -> Supervisor | None:
    """The participant's supervisor, by name and address (the participant's page).

    An empty address takes the supervisor off. An address the branch knows links that
    supervisor (and corrects the name when one is given); a new one creates the supervisor.
    """
    if not (email or "").strip():
        _link(actor, participant, None)
        return None
    email = _supervisor_email(email)
    _refuse_own(participant, email)
    supervisor = find_supervisor(participant.branch_id, email)
    if supervisor is None:
        supervisor = create_supervisor(actor, participant.branch, name, email)
    elif (name or "").strip() and name.strip() != supervisor.name:
        before = audit.snapshot(supervisor, ("name",))
        supervisor.name = _supervisor_name(name)
        db.session.flush()
        audit.record(
            actor, "supervisor.change", supervisor, before, audit.snapshot(supervisor, ("name",))
        )
    _link(actor, participant, supervisor)
    return supervisor


def link_participants(
    actor: Actor, supervisor: Supervisor, participants: Sequence[Participant]
) -> None:
    """Make ``supervisor`` the supervisor of each participant (of the same branch)."""
    for participant in participants:
        if participant.branch_id != supervisor.branch_id:
            raise Refusal(
                "other_branch",
                _l("This participant belongs to another branch than the supervisor."),
                participant_id=participant.id,
            )
        if participant.ended_at is not None:
            raise Refusal(
                "participant_ended", _l("This participant record was ended or merged."), status=409
            )
    for participant in participants:
        _refuse_own(participant, supervisor.email)
    for participant in participants:
        _link(actor, participant, supervisor)


def _refuse_own(participant: Participant, email: str) -> None:
    """A participant never supervises their own hours: not with their own address, nor with
    the address of another record of the same person (a duplicate merged into this one, or
    the record this one was merged into)."""
    email = email.lower()
    same = participant.email.lower() == email or db.session.scalar(
        select(
            exists().where(
                func.lower(Participant.email) == email,
                (Participant.merged_into_id == participant.id)
                | (Participant.id == participant.merged_into_id),
            )
        )
    )
    if same:
        raise Refusal(
            "own_supervisor",
            _l("A participant cannot be their own supervisor: give someone else's address."),
            status=422,
            field="supervisor_email",
            participant=participant.id,
        )


def _link(actor: Actor, participant: Participant, supervisor: Supervisor | None) -> None:
    new_id = supervisor.id if supervisor else None
    if participant.supervisor_id == new_id:
        return
    before = {"supervisor_id": participant.supervisor_id}
    participant.supervisor_id = new_id
    participant.supervisor = supervisor
    db.session.flush()
    audit.record(actor, "participant.supervisor", participant, before, {"supervisor_id": new_id})
    if supervisor is not None:
        _queue_linked(supervisor, participant)


def _queue_linked(supervisor: Supervisor, participant: Participant) -> None:
    """Tell a supervisor they were linked to a participant: what is asked of them and where
    (the portal, signed in with this address). Otherwise they learn it only from a reminder."""
    from email.message import EmailMessage

    from app.mail import outbox

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = EmailMessage()
        message["Subject"] = _(
            "Aanwezig: you approve the e-learning hours of %(name)s", name=participant.name
        )
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = supervisor.email
        message.set_content(
            _(
                "Dear %(supervisor)s,\n\nYou are now the supervisor of %(name)s in Aanwezig: "
                "you approve or reject the hours %(name)s reports for e-learning. Sign in to "
                "the portal with this email address to see what waits for you:\n%(link)s\n",
                supervisor=supervisor.name,
                name=participant.name,
                link=external_url("portal.sign_in"),
            )
        )
    outbox.queue(message, purpose="supervisor_linked")
