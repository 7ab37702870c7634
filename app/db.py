"""The database: one transaction per request, and engine settings that differ per backend."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Delete, Update, bindparam, event, func, select, text
from sqlalchemy.engine import Connection, CursorResult, Engine, ExecutionContext
from sqlalchemy.pool import ConnectionPoolEntry

from app.extensions import db


class Application(Flask):
    """Flask with one transaction per request, as Indico's ``RH.process`` does it.

    Views and operations never commit: operations flush and audit, the view answers, and here
    the request's changes are committed once when the answer is a success (below 400), or
    rolled back when the view raised (a ``Refusal`` becomes its 4xx afterwards) or answered an
    error. So a refusal can never leave half of an operation stored. What the view asked to
    keep despite a refusal (``keep_despite_refusal``) is written after the rollback, in a
    transaction of its own.
    """

    def dispatch_request(self) -> ResponseReturnValue:
        try:
            response: Response = self.make_response(super().dispatch_request())
        except BaseException:
            db.session.rollback()
            _write_kept()
            raise
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
            _write_kept()
        return response


def keep_despite_refusal(model: type, **values: object) -> None:
    """Insert a row of ``model`` even if this request ends in a refusal (a refused scan is a
    fact worth keeping; the refusal undoes everything else). On success it is committed with
    the rest of the request."""
    db.session.add(model(**values))
    g.setdefault("kept_despite_refusal", []).append((model, values))


def _write_kept() -> None:
    kept = g.pop("kept_despite_refusal", None)
    if not kept:
        return
    try:
        for model, values in kept:
            db.session.add(model(**values))
        db.session.commit()
    except Exception:
        # Keeping the record of a refusal must never turn the refusal itself into a 500.
        db.session.rollback()
        current_app.logger.exception("could not keep %s after a refusal", kept[0][0].__name__)


def init_db(app: Flask) -> None:
    """SQLite: WAL, a busy timeout, and transactions begun here (below)."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "before_cursor_execute", _sqlite_begin)


# SQLite and its Python driver, left alone, misbehave under concurrent writers in two ways
# (SQLAlchemy's pysqlite recipe "Serializable isolation / Savepoints / Transactional DDL"):
# - the driver begins a transaction only before an INSERT/UPDATE/DELETE, so the SAVEPOINT of
#   an import's first row began one of SQLite's own, which its RELEASE committed: an import
#   that failed afterwards (503 "nothing was saved") had stored rows anyway;
# - a deferred transaction that has read and then writes is refused at once ("database is
#   locked": the busy timeout does not apply) when another connection writes meanwhile.
# So the driver begins nothing (isolation_level None) and every transaction begins here as
# BEGIN IMMEDIATE, which waits for the write lock (up to the busy timeout) and holds it to the
# commit: a request that writes (any method but GET/HEAD/OPTIONS) begins so at its first
# statement, which also serialises every check-then-write on SQLite. A read-only GET, and
# work outside a request (the worker, the CLI), read without a transaction as before and begin
# one just before their first write (a GET that writes an audit line or a token's last use).
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER", "WITH")


def _sqlite_begin(
    connection: Connection,
    cursor: sqlite3.Cursor,
    statement: str,
    parameters: object,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    dbapi_connection = cursor.connection
    if dbapi_connection.in_transaction:
        return
    writing_request = has_request_context() and request.method not in _READS
    if writing_request or statement.lstrip()[:9].upper().startswith(_WRITES):
        dbapi_connection.execute("BEGIN IMMEDIATE")


def _sqlite_pragmas(
    dbapi_connection: sqlite3.Connection, connection_record: ConnectionPoolEntry
) -> None:
    dbapi_connection.isolation_level = None  # the driver begins nothing: _sqlite_begin does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_engine_options() -> dict[str, dict[str, int]]:
    return {"connect_args": {"timeout": 15}}


# --- Locks for a check-then-write ---------------------------------------------------------------
# PostgreSQL (read committed) lets two requests check the same rows at once and both write; a
# lock taken before the check makes the second wait for the first's commit, and its next
# statement then sees what the first stored. On SQLite every writing transaction already holds
# the database's write lock from its BEGIN IMMEDIATE; the no-op UPDATE below takes it where a
# transaction began deferred (a GET), as the scan path does (app/scanning/service.py).
_PERSON_LOCK = {
    "postgresql": text("SELECT id FROM participants WHERE id IN :ids ORDER BY id FOR UPDATE"),
    "sqlite": text("UPDATE participants SET key_version = key_version WHERE id IN :ids"),
}
# pg_advisory_xact_lock(key1, key2): key1 keeps these apart from the scan path's nonces (2).
LOCK_PERSON_ADDRESS = 3
LOCK_SESSION = 4
LOCK_BRANCH_ADDRESS = 5  # one participant record per branch and address
LOCK_CLOSURE_DAYS = 6


def lock_people(participant_ids: Iterable[int]) -> None:
    """Hold the rows of these participants until the commit (in id order: no deadlock), in one
    statement whatever their number."""
    participant_ids = list(participant_ids)
    if participant_ids:
        statement = _PERSON_LOCK[db.engine.dialect.name].bindparams(
            bindparam("ids", expanding=True)
        )
        db.session.execute(statement, {"ids": sorted(set(participant_ids))})


def lock_key(space: int, key: str | int) -> None:
    """A lock on a name (``space`` and ``key``) until the commit: for a rule over rows that do
    not exist yet, such as one person's reports across records or one session's closing."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            select(func.pg_advisory_xact_lock(space, func.hashtext(bindparam("key")))),
            {"key": str(key)},
        )
    else:
        db.session.execute(text("UPDATE participants SET key_version = key_version WHERE 0"))


def changed_rows(statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE in the session: the number of rows it changed.

    ``Session.execute`` is typed as answering any ``Result``; for these statements SQLAlchemy
    answers a ``CursorResult``, the kind that carries the driver's row count.
    """
    result = db.session.execute(statement)
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} carries no row count")
    return result.rowcount


__all__ = ["Application", "Engine", "changed_rows", "init_db", "lock_key", "lock_people"]
