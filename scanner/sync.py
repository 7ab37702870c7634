"""The sender: delivers journalled scans to the server in order, in the background.

A refusal (4xx) is final and recorded with its reason; no answer (network, timeout, 5xx) is
retried with a growing pause. The server's nonce handling makes a repeated delivery harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from scanner.client import Client, Refused, Unreachable
from scanner.journal import Journal, JournalledScan

log = logging.getLogger("aanwezig.scanner")
Listener = Callable[[JournalledScan, dict | None, Refused | None], None]


class Sender:
    def __init__(self, client: Client, journal: Journal, on_result: Listener | None = None):
        self.client = client
        self.journal = journal
        self.on_result = on_result
        self.online = True
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sender", daemon=True)
        self.backoff = 1.0

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending (or the timeout passes); True when all is delivered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.journal.count_pending(self.client.server) == 0:
                return True
            self.wake()
            time.sleep(0.05)
        return self.journal.count_pending(self.client.server) == 0

    def send_pending(self) -> bool:
        """Send what is pending, in order; False when the server could not be reached."""
        for scan in self.journal.pending(self.client.server):
            try:
                answer = self.client.scan(
                    scan.session_id,
                    scan.code,
                    scan.nonce,
                    scan.scanned_at.isoformat(),
                    scan.direction,
                )
            except Unreachable as exc:
                self.journal.mark_attempt(scan.id, str(exc)[:500])
                if self.online:
                    log.warning("server unreachable, scans kept in the journal: %s", exc)
                self.online = False
                return False
            except Refused as refusal:
                self.journal.mark_refused(scan.id, refusal.code, {"message": refusal.message})
                self._notify(scan, None, refusal)
            else:
                self.journal.mark_sent(scan.id, answer)
                self._notify(scan, answer, None)
            if not self.online:
                log.info("server reachable again")
            self.online = True
        return True

    def _notify(self, scan: JournalledScan, answer: dict | None, refusal: Refused | None) -> None:
        if self.on_result is not None:
            try:
                self.on_result(scan, answer, refusal)
            except Exception:  # the display must never stop the sender
                log.exception("result listener failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            delivered = self.send_pending()
            if delivered:
                self.backoff = 1.0
                self._wake.wait(2.0)
            else:
                self._wake.wait(self.backoff)
                self.backoff = min(self.backoff * 2, 30.0)
            self._wake.clear()
