"""Run calls at the same instant: N threads released together by a ``threading.Barrier``.

Each call makes its own request (its own test client, so its own app context and database
session): a check-then-write that is not locked shows as two effects. The app fixture runs
every test on SQLite and PostgreSQL, where the two fail differently (SQLite with "database is
locked", PostgreSQL by letting both writes through).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

TIMEOUT = 90


def at_once(calls: Sequence[Callable[[], Any]], timeout: float = TIMEOUT) -> list[Any]:
    """Start every call at the same moment; their results in the calls' order. An exception in
    a call is raised here, in the test's thread; so is a call that did not finish."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout)
            results[index] = calls[index]()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    assert not any(thread.is_alive() for thread in threads), "a concurrent call did not finish"
    return results


def same_time(n: int, call: Callable[[int], Any], timeout: float = TIMEOUT) -> list[Any]:
    """``call(i)`` for i in 0..n-1, all at once."""
    return at_once([lambda i=i: call(i) for i in range(n)], timeout)
