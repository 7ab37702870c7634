"""Optimistic concurrency for the API's edits: an ``ETag`` per resource, ``If-Match`` (or a
``version`` field) on every ``PATCH``, ``412`` when it is stale.

The version is a digest of what is stored (every column, and a training's trainers), so any
change, through the web, the API or a merge, gives a new one, and nothing has to be kept.
Comparing and writing must be one step under concurrency: ``locked`` first takes the row's
write lock with a no-op UPDATE (PostgreSQL: a row lock; SQLite: the database's write lock,
and its transaction starts there, so what is read next is the latest commit), then reads the
row afresh. Two scripts sending the same version at once: the second waits for the first's
commit, then finds the version changed and gets 412.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app import audit
from app.errors import Refusal
from app.extensions import db


def version_of(obj: Any) -> str:
    state = audit.snapshot(obj)
    trainers = getattr(obj, "trainers", None)
    if trainers is not None:
        state["trainers"] = sorted(user.id for user in trainers)
    digest = hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:24]


def locked(obj: Any) -> Any:
    """``obj`` with its row's write lock held until the request's commit, read afresh."""
    table = obj.__table__
    db.session.execute(update(table).where(table.c.id == obj.id).values(id=table.c.id))
    db.session.refresh(obj)
    return obj


def _given(body_version: str | None) -> str | None:
    header = request.headers.get("If-Match", "").strip()
    if header:
        if header == "*":
            return "*"
        # One entity tag, strong or weak: "abc" or W/"abc".
        return header.removeprefix("W/").strip().strip('"')
    return body_version


def require_version(obj: Any, body_version: str | None) -> None:
    """Refuse the edit unless the caller names the version they read (428 without, 412 when
    another change came in between)."""
    given = _given(body_version)
    if not given:
        raise Refusal(
            "precondition_required",
            _l("Send the version you read: the If-Match header with the ETag, or 'version'."),
            status=428,
        )
    current = version_of(obj)
    if given != "*" and given != current:
        raise Refusal(
            "stale",
            _l("Someone changed this since you read it. Read it again, then send your change."),
            status=412,
            version=current,
        )
