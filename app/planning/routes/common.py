"""What several planning pages share: the clock, scoped lists, and the choices and checks of
their forms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import flash
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, selectinload

from app import scoping
from app.domain.sessions import SessionStatus
from app.extensions import db
from app.models import (
    Participant,
    PartnerOrganisation,
    Role,
    Session,
    Training,
    User,
)
from app.models.org import partner_branches
from app.planning import operations as planning
from app.planning.forms import (
    EnrolForm,
    SessionForm,
)
from app.timing import status_of
from app.views import choices
from app.web import BRUSSELS


def _today(now: datetime) -> date:
    return now.astimezone(BRUSSELS).date()


def _can_plan() -> bool:
    return current_user.role in scoping.PLANNERS


def _with_status(sessions: Iterable[Session], now: datetime) -> list[tuple[Session, SessionStatus]]:
    return [(s, status_of(s, now)) for s in sessions]


def _listed(query: Select[Session]) -> Select[Session]:
    """A scoped session query with what the session tables show of each: its training (joined
    by the scope already) and its trainer, loaded with the list, not one query per row."""
    return query.options(contains_eager(Session.training), selectinload(Session.trainer))


def _trainer_choices(branch_id: int | None) -> list[tuple[int, str]]:
    """Active trainers who may teach for the branch: internal ones of the branch (or of every
    branch), and external ones whose partner organisation works for it."""
    query = (
        select(User, PartnerOrganisation.name)
        .outerjoin(PartnerOrganisation, User.partner_id == PartnerOrganisation.id)
        .where(User.active.is_(True), User.role == Role.TRAINER)
    )
    if branch_id is not None:
        works_for = select(partner_branches.c.partner_id).where(
            partner_branches.c.branch_id == branch_id
        )
        internal = User.partner_id.is_(None) & (
            (User.branch_id == branch_id) | User.branch_id.is_(None)
        )
        query = query.where(internal | User.partner_id.in_(works_for))
    return [
        (u.id, (f"{u.name} ({u.email})" if u.name else u.email) + (f" · {p}" if p else ""))
        for u, p in db.session.execute(query.order_by(User.name, User.email))
    ]


def _training(training_id: int) -> Training:
    return scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")


def _participant_choices(
    branch_id: int, leave_out: set[int] | None = None
) -> list[tuple[int, str]]:
    """Participants of the branch in the user's scope, by name (minus ``leave_out``)."""
    query = scoping.participants(current_user).where(
        Participant.branch_id == branch_id, Participant.ended_at.is_(None)
    )
    return [
        (p.id, f"{p.name} ({p.email})")
        for p in db.session.scalars(query.order_by(Participant.name, Participant.id))
        if not leave_out or p.id not in leave_out
    ]


def _enrol_form(branch_id: int, leave_out: set[int] | None = None) -> EnrolForm:
    form = EnrolForm(prefix="enrol")
    form.participants.choices = choices(_participant_choices(branch_id, leave_out))
    return form


def _trainer_free_or_confirmed(
    form: SessionForm, trainer: User | None, leave_out: int | None = None
) -> bool:
    """A trainer booked elsewhere at that time is a warning the promotor confirms."""
    clashes = planning.trainer_clashes(
        trainer, form.day.data, form.start.data, form.end.data, leave_out
    )
    if not clashes or form.confirm_trainer.data:
        return True
    other = clashes[0]
    form.trainer.errors = [
        *form.trainer.errors,
        _(
            "%(name)s teaches %(training)s on %(day)s from %(start)s to %(end)s. "
            "Tick the box below to plan this session with them anyway.",
            name=trainer.display_name if trainer else "",
            training=other.training.name,
            day=other.day.strftime("%d/%m/%Y"),
            start=other.start.strftime("%H:%M"),
            end=other.end.strftime("%H:%M"),
        ),
    ]
    form.confirm_trainer.flags.shown = True
    return False


def _flash_skipped(skipped: Sequence[Session]) -> None:
    """Say which cancelled sessions an enrolment left out, by date: never dropped silently."""
    if not skipped:
        return
    flash(
        ngettext(
            "Nobody was enrolled in the cancelled session of %(sessions)s.",
            "Nobody was enrolled in the %(num)d cancelled sessions of %(sessions)s.",
            len(skipped),
            sessions=", ".join(f"{s.day:%d/%m/%Y} {s.start:%H:%M}" for s in skipped),
        ),
        "warning",
    )
