"""The sender: delivers journalled scans to the server in order, in the background.

A refusal about the scan itself (an invalid code, not enrolled, closed, or a malformed request:
400, 404, 409, 413, 422) is final and recorded with its reason. A refusal of the scanner's own
credentials (401, 403) says nothing about the scan: the scan stays pending, the sender stops
sending until it has another token (``Client.use_token``), and then sends everything waiting.
No answer (network, timeout, 5xx, 408, 429) is retried with a growing pause. The server's nonce
handling makes a repeated delivery harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from scanner.client import Client, Refused, Unreachable
from scanner.journal import Journal, JournalledScan

log = logging.getLogger("aanwezig.scanner")
Listener = Callable[[JournalledScan, dict[str, Any] | None, Refused | None], None]
CredentialsListener = Callable[[Refused], None]
CREDENTIAL_STATUSES = (401, 403)
RETRY_REFUSED_TOKEN = 60.0  # seconds


def about_credentials(refusal: Refused) -> bool:
    """A refusal of who is asking (token unknown, revoked, or its account may not scan)."""
    return refusal.status in CREDENTIAL_STATUSES


class Sender:
    def __init__(
        self,
        client: Client,
        journal: Journal,
        on_result: Listener | None = None,
        on_credentials: CredentialsListener | None = None,
    ):
        self.client = client
        self.journal = journal
        self.on_result = on_result
        self.on_credentials = on_credentials
        self.online = True
        # The refusal of the current token, until a scan goes through with another one.
        self.credentials_refused: Refused | None = None
        self._refused_token: str | None = None
        self._refused_at = 0.0
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

    def _waiting_for_token(self) -> bool:
        """The current token was refused: try it again only now and then (an account can be
        reactivated), and at once when the scanner is given another one."""
        return (
            self.credentials_refused is not None
            and self._refused_token == self.client.token
            and time.monotonic() - self._refused_at < RETRY_REFUSED_TOKEN
        )

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending (or the timeout passes); True when all is delivered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._waiting_for_token():
                break  # nothing will go out before the scanner has another token
            if self.journal.count_pending(self.client.server) == 0:
                return True
            self.wake()
            time.sleep(0.05)
        return self.journal.count_pending(self.client.server) == 0

    def send_pending(self) -> bool:
        """Send what is pending, in order; False when the server could not be reached or
        refused the scanner's token (the scans then stay pending)."""
        if self._waiting_for_token():
            return False
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
                    log.warning("server niet bereikbaar, scans blijven bewaard: %s", exc)
                self.online = False
                return False
            except Refused as refusal:
                if about_credentials(refusal):
                    self.journal.mark_attempt(scan.id, f"{refusal.status} {refusal.code}")
                    self._credentials_refused(refusal)
                    return False
                self.journal.mark_refused(scan.id, refusal.code, {"message": refusal.message})
                self._notify(scan, None, refusal)
            else:
                self.journal.mark_sent(scan.id, answer)
                self._notify(scan, answer, None)
            self.credentials_refused = None
            if not self.online:
                log.info("server weer bereikbaar")
            self.online = True
        return True

    def _credentials_refused(self, refusal: Refused) -> None:
        first = self.credentials_refused is None
        self.credentials_refused = refusal
        self._refused_token = self.client.token
        self._refused_at = time.monotonic()
        if first and self.on_credentials is not None:
            try:
                self.on_credentials(refusal)
            except Exception:  # the display must never stop the sender
                log.exception("fout bij het tonen van een geweigerd token")

    def _notify(
        self, scan: JournalledScan, answer: dict[str, Any] | None, refusal: Refused | None
    ) -> None:
        if self.on_result is not None:
            try:
                self.on_result(scan, answer, refusal)
            except Exception:  # the display must never stop the sender
                log.exception("fout bij het tonen van een antwoord")

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
