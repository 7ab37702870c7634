"""Every object is looked up through the current user's scope, so a guessed id answers 404.

A user registered at a branch sees only that branch's projects, trainings, sessions and
participants; a trainer sees only the sessions they teach (and what hangs off them); an admin
without a branch (central support) sees everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from app.domain.limits import id_in_range
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import (
    Enrolment,
    Participant,
    Project,
    Role,
    Session,
    Training,
    User,
)
from app.models.planning import training_trainers

if TYPE_CHECKING:
    from app.audit import Actor


class _WithId(Protocol):
    """A mapped class with an integer ``id`` column (every model looked up by id)."""

    id: ClassVar[InstrumentedAttribute[int]]


T = TypeVar("T", bound=_WithId)

PLANNERS = (Role.ADMIN, Role.PROMOTOR)


class Viewer(Protocol):
    """What a scope depends on: a ``User``, or an API caller's ``Principal``."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def branch_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """An API caller: their user as a scope sees it (``id``, ``role``, ``branch_id``) and the
    token they call with (for attribution)."""

    id: int
    role: Role
    branch_id: int | None
    token_id: int


def _branch_filter(
    user: Viewer, column: SQLColumnExpression[int | None]
) -> ColumnElement[bool] | None:
    return None if user.branch_id is None else column == user.branch_id


def _trainer_session_filter(user: Viewer) -> ColumnElement[bool]:
    taught = select(training_trainers.c.training_id).where(training_trainers.c.user_id == user.id)
    return or_(Session.trainer_id == user.id, Session.training_id.in_(taught))


def projects(user: User) -> Select[Project]:
    query = select(Project)
    if (branch := _branch_filter(user, Project.branch_id)) is not None:
        query = query.where(branch)
    if user.role == Role.TRAINER:
        mine = (
            select(Training.project_id)
            .join(Session, Session.training_id == Training.id)
            .where(_trainer_session_filter(user))
        )
        query = query.where(Project.id.in_(mine))
    return query


def trainings(user: User) -> Select[Training]:
    query = select(Training).join(Project, Training.project_id == Project.id)
    if (branch := _branch_filter(user, Project.branch_id)) is not None:
        query = query.where(branch)
    if user.role == Role.TRAINER:
        mine = select(Session.training_id).where(_trainer_session_filter(user))
        query = query.where(Training.id.in_(mine))
    return query


def sessions(user: Viewer) -> Select[Session]:
    query = (
        select(Session)
        .join(Training, Session.training_id == Training.id)
        .join(Project, Training.project_id == Project.id)
    )
    if (branch := _branch_filter(user, Project.branch_id)) is not None:
        query = query.where(branch)
    if user.role == Role.TRAINER:
        query = query.where(_trainer_session_filter(user))
    return query


def participants(user: User) -> Select[Participant]:
    query = select(Participant)
    if (branch := _branch_filter(user, Participant.branch_id)) is not None:
        query = query.where(branch)
    if user.role == Role.TRAINER:
        enrolled = (
            select(Enrolment.participant_id)
            .join(Session, Enrolment.session_id == Session.id)
            .where(_trainer_session_filter(user))
        )
        query = query.where(Participant.id.in_(enrolled))
    return query


def get_one(query: Select[T], model: type[T], object_id: object, what: str) -> T:
    """The object with ``object_id`` inside ``query``'s scope, or a 404."""
    if not isinstance(object_id, int) or isinstance(object_id, bool) or not id_in_range(object_id):
        raise NotFound(what)
    found = db.session.scalars(query.where(model.id == object_id)).first()
    if found is None:
        raise NotFound(what)
    return found


def require_planner(user: User) -> None:
    """Planning (projects, trainings, sessions, participants, enrolments) is for promotors."""
    if user.role not in PLANNERS:
        raise Forbidden()


def may_reveal_national_numbers(user: Viewer) -> bool:
    """Who may see a participant's full national register number (on the participant's page,
    in the ESF export), each look recorded: the planners, for the participants in their scope."""
    return user.role in PLANNERS


def require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden()


def require_central(actor: Actor) -> None:
    """Central support: an administrator without a branch (branches and closure days concern
    the whole organisation)."""
    if actor.user is not None and actor.user.branch_id is not None:
        raise Forbidden(_l("Only central support manages branches and closure days."))
