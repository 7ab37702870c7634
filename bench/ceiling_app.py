"""The practical ceiling: a minimal Flask + SQLAlchemy endpoint inserting one row per request.

Served under the same gunicorn settings as the real app by bench/scan_load.py.
"""

from __future__ import annotations

import gc
import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "ceiling_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime]


engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)
gc.freeze()  # as wsgi.py does for the real application


@app.post("/insert")
def insert():  # type: ignore[no-untyped-def]
    data = request.get_json()
    with Session(engine) as session:
        session.add(Row(nonce=data["nonce"], at=datetime.now(UTC).replace(tzinfo=None)))
        session.commit()
    return jsonify({"ok": True})
