"""Writing audit records for every change to sessions, enrolments and registrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import insert

from app.extensions import db
from app.models import ApiToken, AuditRecord, User


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
        )
    )


def record_many(
    actor: Actor, action: str, object_type: str, objects: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    """The audit records of many objects made at once (a bulk insert), in one statement:
    ``objects`` are (id, after) pairs, ``after`` as :func:`snapshot` gives it."""
    if not objects:
        return
    db.session.execute(
        insert(AuditRecord),
        [
            {
                "at": datetime.now(UTC),
                "user_id": actor.user_id,
                "token_id": actor.token.id if actor.token else None,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "before": None,
                "after": after,
            }
            for object_id, after in objects
        ],
    )
