"""Count the SQL statements a block of code sends."""

from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from app.timing import forget_closure_days


def queries(app, client, path: str) -> int:  # type: ignore[no-untyped-def]
    """The statements the database runs for one GET of ``path`` (which must answer 200)."""
    with app.app_context():
        forget_closure_days()  # a cache must not hide a query per day
        engine = db.engine
    count = 0

    def seen(*_args) -> None:  # type: ignore[no-untyped-def]
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 200, (path, response.status_code)
    return count
