"""``Idempotency-Key`` on the API's creating POSTs: a retried request creates one object.

``begin`` looks the caller's key up: a finished request with the same method, path and body
is answered again as it was (``Idempotent-Replayed: true``); another request under the key is
refused (422). Otherwise it writes the key's row at once, before the request's work, in the
request's transaction: a second request with the key at the same moment waits on the unique
(user, key) until the first commits, inserts nothing, and then answers the first's answer.
``finish`` stores the answer in the row before the commit. A refused request rolls back with
its key, so a retry runs again.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from flask import Request, g, jsonify
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.errors import Refusal
from app.extensions import db
from app.models import IdempotencyKey

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,200}")
KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]{1,200}$"}


def key_of(request: Request) -> str | None:
    if HEADER not in request.headers:
        return None
    key = request.headers.get(HEADER, "")
    if not _KEY.fullmatch(key):
        raise Refusal(
            "invalid_request",
            _l("The Idempotency-Key must be 1 to 200 visible ASCII characters."),
            status=400,
            field=HEADER,
        )
    g.idempotency_digest = _digest(request)
    return key


def _digest(request: Request) -> str:
    hashed = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), *_body_parts(request)):
        hashed.update(len(part).to_bytes(8, "big") + part)
    return hashed.hexdigest()


def _body_parts(request: Request) -> list[bytes]:
    """The body as bytes; a multipart body by its fields and files, since a client draws a new
    boundary for every request and a retry would otherwise count as another request."""
    if request.mimetype != "multipart/form-data":
        return [request.get_data()]
    parts = []
    for name, value in sorted(request.form.items(multi=True)):
        parts += [b"field", name.encode(), value.encode()]
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        content = upload.stream.read()
        upload.stream.seek(0)
        parts += [b"file", name.encode(), (upload.filename or "").encode(), content]
    return parts


def _stored(user_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).first()


def _replay(row: IdempotencyKey) -> Any:
    if row.request_digest != g.idempotency_digest:
        raise Refusal(
            "idempotency_key_reused",
            _l("This Idempotency-Key was used for another request."),
            status=422,
        )
    response = jsonify(row.response)
    response.status_code = row.status or 200
    response.headers["Idempotent-Replayed"] = "true"
    version = (row.response or {}).get("version")
    if isinstance(version, str) and version:
        response.headers["ETag"] = f'"{version}"'
    return response


def begin(key: str) -> Any | None:
    """The earlier answer to replay, or None after claiming the key for this request."""
    user_id = g.principal.id
    found = _stored(user_id, key)
    if found is not None:
        return _replay(found)
    row = {
        "user_id": user_id,
        "key": key,
        "request_digest": g.idempotency_digest,
        "created_at": datetime.now(UTC),
    }
    claimed = db.session.execute(_CLAIM[db.engine.dialect.name], row).scalar()
    if claimed is None:
        # Another request with this key stored it first; the insert waited for its commit.
        found = _stored(user_id, key)
        if found is None:
            raise Refusal(
                "conflict",
                _l("Someone else changed this at the same moment. Nothing was saved; try again."),
                status=409,
            )
        return _replay(found)
    g.idempotency_row = claimed
    return None


# A key another request holds is no error: the insert waits for that request's commit, then
# does nothing and returns no row (as a scan's nonce, app.scanning.service).
_TABLE = IdempotencyKey.__table__
_CLAIM = {
    "postgresql": postgresql.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["user_id", "key"])
    .returning(_TABLE.c.id),
    "sqlite": sqlite.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["user_id", "key"])
    .returning(_TABLE.c.id),
}


def finish(key: str, status: int, data: dict[str, Any]) -> None:
    db.session.execute(
        update(_TABLE).where(_TABLE.c.id == g.idempotency_row).values(status=status, response=data)
    )
