"""Writing audit records for every change to sessions, enrolments and registrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, insert, select
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import func

from app.extensions import db
from app.models import ApiToken, AuditRecord, Participant, Project, Session, Training, User


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a logged-in user, a user acting through an API token, or a
    participant or supervisor signed in to the portal (``sign_in_id``, which names their
    address)."""

    user: User | None
    token: ApiToken | None = None
    sign_in_id: int | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None


def plain(value: Any) -> Any:
    """A value as it goes into an audit record's JSON."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return "<encrypted>"
    return value


def snapshot(obj: Any, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The column values of a model object, JSON-ready, for an audit record's before/after."""
    names = fields or tuple(column.key for column in obj.__table__.columns)
    return {name: plain(getattr(obj, name)) for name in names}


# The object's own id is the context of that kind.
_SELF = {"participants": "participant_id", "sessions": "session_id", "trainings": "training_id"}
# Objects that belong to a branch directly (a user's branch is no such thing: the records of
# users, tokens and sign-ins are for central support).
_OWN_BRANCH = ("projects", "supervisors", "exchange_connections")


def context(
    object_type: str,
    object_id: int | None,
    values: dict[str, Any],
    loaded: bool = False,
) -> dict[str, Any]:
    """What a record's object belongs to: its participant, session, training and branch.

    ``values`` are the object's own column values (or its snapshot). What the object does not
    name itself is read from the objects this request has loaded already (``loaded``: no
    query), else looked up by the INSERT (a scalar subquery on primary keys: no extra round
    trip): a session's training, a training's branch, else the participant's branch. Plain
    values keep the ORM's inserts of many records batched in one statement.
    """
    ids: dict[str, Any] = {
        name: values.get(name) for name in ("participant_id", "session_id", "training_id")
    }
    if object_type in _SELF:
        ids[_SELF[object_type]] = object_id
    training: Any = ids["training_id"]
    if training is None and ids["session_id"] is not None:
        session = _in_memory(Session, ids["session_id"]) if loaded else None
        training = session.training_id if session else _training_of_session(ids["session_id"])
    branch: Any = values.get("branch_id") if object_type in _OWN_BRANCH else None
    if object_type == "participants" and values.get("branch_id") is not None:
        branch = values["branch_id"]
    elif branch is None and loaded:
        branch = _branch_in_memory(training, ids["participant_id"])
    if branch is None:
        candidates = []
        if training is not None:
            candidates.append(_branch_of_training(training))
        if ids["participant_id"] is not None:
            candidates.append(_branch_of_participant(ids["participant_id"]))
        if candidates:
            branch = candidates[0] if len(candidates) == 1 else func.coalesce(*candidates)
    return {**ids, "training_id": training, "branch_id": branch}


def _in_memory(model: Any, object_id: Any) -> Any:
    """The object if this request's session holds it already, without a query."""
    if not isinstance(object_id, int):
        return None
    return db.session.identity_map.get(identity_key(model, object_id))


def _branch_in_memory(training_id: Any, participant_id: Any) -> int | None:
    training = _in_memory(Training, training_id)
    if training is not None:
        project = _in_memory(Project, training.project_id)
        if project is not None:
            return int(project.branch_id)
        return None
    participant = _in_memory(Participant, participant_id) if training_id is None else None
    return participant.branch_id if participant is not None else None


def _training_of_session(session_id: Any) -> ColumnElement[Any]:
    return select(Session.training_id).where(Session.id == session_id).scalar_subquery()


def _branch_of_training(training_id: Any) -> ColumnElement[Any]:
    return (
        select(Project.branch_id)
        .join(Training, Training.project_id == Project.id)
        .where(Training.id == training_id)
        .scalar_subquery()
    )


def _branch_of_participant(participant_id: Any) -> ColumnElement[Any]:
    return select(Participant.branch_id).where(Participant.id == participant_id).scalar_subquery()


def _values(obj: Any) -> dict[str, Any]:
    return {
        name: getattr(obj, name, None)
        for name in ("participant_id", "session_id", "training_id", "branch_id")
    }


def record(
    actor: Actor,
    action: str,
    obj: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit record to the current transaction (flushed with it)."""
    db.session.add(
        AuditRecord(
            user_id=actor.user_id,
            token_id=actor.token.id if actor.token else None,
            portal_sign_in_id=actor.sign_in_id,
            action=action,
            object_type=obj.__tablename__,
            object_id=obj.id,
            before=before,
            after=after,
            **context(obj.__tablename__, obj.id, _values(obj), loaded=True),
        )
    )


def record_many(
    actor: Actor,
    action: str,
    object_type: str,
    objects: Sequence[tuple[int, dict[str, Any]]],
    now: datetime,
) -> None:
    """The audit records of many objects made at once (a bulk insert) at ``now``, in one
    statement: ``objects`` are (id, after) pairs, ``after`` as :func:`snapshot` gives it."""
    if not objects:
        return
    # One statement for every row: the context comes from each snapshot's ids, looked up by
    # the INSERT itself (see ``context``), with the ids as parameters.
    names = ("participant_id", "session_id", "training_id", "branch_id")
    given = {name: bindparam(f"ctx_{name}", type_=Integer) for name in names}
    statement = insert(AuditRecord).values(
        # Parameters are named ``r_<column>``: a column's own name is reserved in VALUES.
        **{
            name: bindparam(f"r_{name}", type_=AuditRecord.__table__.c[name].type)
            for name in _BULK_COLUMNS
        },
        **_bulk_context(object_type, given),
    )
    db.session.execute(
        statement,
        [
            {
                "r_at": now,
                "r_user_id": actor.user_id,
                "r_token_id": actor.token.id if actor.token else None,
                "r_action": action,
                "r_object_type": object_type,
                "r_object_id": object_id,
                "r_before": None,
                "r_after": after,
                **{f"ctx_{name}": after.get(name) for name in names},
            }
            for object_id, after in objects
        ],
    )


_BULK_COLUMNS = (
    "at",
    "user_id",
    "token_id",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
)


def _bulk_context(object_type: str, given: dict[str, Any]) -> dict[str, Any]:
    """``context`` for a statement run with many rows: every id a parameter (null when a
    snapshot does not hold it), each missing one looked up from the others."""
    training = func.coalesce(given["training_id"], _training_of_session(given["session_id"]))
    branch = func.coalesce(
        _branch_of_training(training), _branch_of_participant(given["participant_id"])
    )
    if object_type in _OWN_BRANCH:
        branch = func.coalesce(given["branch_id"], branch)
    return {
        "participant_id": given["participant_id"],
        "session_id": given["session_id"],
        "training_id": training,
        "branch_id": branch,
    }
