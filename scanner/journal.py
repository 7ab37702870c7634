"""The local journal: every scan is written here, with its nonce, before it is sent.

SQLite in the user's data folder. A scan is ``pending`` until the server answered it: then
``sent`` (with the answer) or ``refused`` (with the reason code). A crash between writing and
sending loses nothing: on the next start the pending scans are sent, and the server's nonce
handling makes a second delivery of the same scan harmless.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nonce TEXT NOT NULL UNIQUE,
    server TEXT NOT NULL,
    session_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    direction TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    answer TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS ix_scans_pending ON scans (state, id);
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class JournalledScan:
    id: int
    nonce: str
    server: str
    session_id: int
    code: str
    direction: str
    scanned_at: datetime
    state: str
    attempts: int
    answer: dict[str, Any] | None
    error: str | None


class Journal:
    """Thread-safe: the camera loop writes, the sender thread reads and updates."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a scan written is a scan kept
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(
        self, server: str, session_id: int, code: str, direction: str, scanned_at: datetime
    ) -> JournalledScan:
        nonce = uuid.uuid4().hex
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO scans (nonce, server, session_id, code, direction, scanned_at) VALUES (?, ?, ?, ?, ?, ?)",
                (nonce, server, session_id, code, direction, scanned_at.isoformat()),
            )
            row_id = cursor.lastrowid
        if row_id is None:  # sqlite3 gives the rowid of every successful INSERT
            raise RuntimeError("the journal's insert returned no row id")
        return self.get(row_id)

    def get(self, scan_id: int) -> JournalledScan:
        with self._lock:
            row = self._db.execute("SELECT * FROM scans WHERE id = ?", (scan_id,)).fetchone()
        return _scan(row)

    def pending(self, server: str, limit: int = 100) -> list[JournalledScan]:
        """Pending scans of this server in the order they were made."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM scans WHERE state = 'pending' AND server = ? ORDER BY id LIMIT ?",
                (server, limit),
            ).fetchall()
        return [_scan(row) for row in rows]

    def count_pending(self, server: str, session_id: int | None = None) -> int:
        query = "SELECT count(*) FROM scans WHERE state = 'pending' AND server = ?"
        params: tuple[Any, ...] = (server,)
        if session_id is not None:
            query += " AND session_id = ?"
            params += (session_id,)
        with self._lock:
            return self._db.execute(query, params).fetchone()[0]

    def session_scans(self, server: str, session_id: int) -> list[JournalledScan]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM scans WHERE server = ? AND session_id = ? ORDER BY id",
                (server, session_id),
            ).fetchall()
        return [_scan(row) for row in rows]

    def mark_sent(self, scan_id: int, answer: dict[str, Any]) -> None:
        self._update(scan_id, "sent", json.dumps(answer), None)

    def mark_refused(self, scan_id: int, error: str, answer: dict[str, Any] | None = None) -> None:
        self._update(scan_id, "refused", json.dumps(answer) if answer else None, error)

    def mark_attempt(self, scan_id: int, error: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE scans SET attempts = attempts + 1, error = ? WHERE id = ?", (error, scan_id)
            )

    def _update(self, scan_id: int, state: str, answer: str | None, error: str | None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE scans SET state = ?, answer = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
                (state, answer, error, scan_id),
            )

    def cache_put(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    def cache_get(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM cache WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None


def _scan(row: tuple[Any, ...]) -> JournalledScan:
    (
        id_,
        nonce,
        server,
        session_id,
        code,
        direction,
        scanned_at,
        state,
        attempts,
        answer,
        error,
    ) = row
    return JournalledScan(
        id=id_,
        nonce=nonce,
        server=server,
        session_id=session_id,
        code=code,
        direction=direction,
        scanned_at=datetime.fromisoformat(scanned_at),
        state=state,
        attempts=attempts,
        answer=json.loads(answer) if answer else None,
        error=error,
    )
