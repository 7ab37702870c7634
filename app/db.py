"""The database: one transaction per request, and engine settings that differ per backend."""

from __future__ import annotations

from flask import Flask, Response
from flask.typing import ResponseReturnValue
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db


class Application(Flask):
    """Flask with one transaction per request, as Indico's ``RH.process`` does it.

    Views and operations never commit: operations flush and audit, the view answers, and here
    the request's changes are committed once when the answer is a success (below 400), or
    rolled back when the view raised (a ``Refusal`` becomes its 4xx afterwards) or answered an
    error. So a refusal can never leave half of an operation stored.
    """

    def dispatch_request(self) -> ResponseReturnValue:
        try:
            response: Response = self.make_response(super().dispatch_request())
        except BaseException:
            db.session.rollback()
            raise
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


def init_db(app: Flask) -> None:
    """SQLite: WAL and a busy timeout so concurrent scanners never see 'database is locked'."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_engine_options() -> dict:
    return {"connect_args": {"timeout": 15}}


__all__ = ["Application", "Engine", "init_db"]
