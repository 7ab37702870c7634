"""The instance keys: processes starting at once on one (shared) instance folder all end up with
the one key, and none reads a key another is still writing."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from app.security import _read_or_create

PROCESSES = 12


def _start(folder: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    def slow_key() -> bytes:
        # A key whose making takes a moment, so the processes overlap while creating it.
        import os
        import time

        time.sleep(0.01)
        return os.urandom(4096)

    barrier.wait()
    results.put(_read_or_create(Path(folder) / "key", slow_key))


def test_processes_starting_at_once_share_one_whole_key(tmp_path):
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=_start, args=(str(tmp_path), barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    keys = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    stored = (tmp_path / "key").read_bytes()
    assert len(stored) == 4096
    assert all(key == stored for key in keys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]  # no temporary file left
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
