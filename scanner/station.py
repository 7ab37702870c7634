"""The scanning station: from a decoded text to a journalled scan and a result on screen."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from checkin import Requested
from scanner.client import Client, Refused
from scanner.journal import Journal, JournalledScan
from scanner.offline import MESSAGES, OfflineVerifier, Verdict
from scanner.sync import Sender, about_credentials
from scanner.ui import GREEN, ORANGE, RED, Display

log = logging.getLogger("aanwezig.scanner")
DIRECTIONS: tuple[Requested, ...] = ("auto", "in", "out")
ANSWER_WAIT = 0.6  # seconds to wait for the server before showing the local verdict
DEADLINE_WARNING = timedelta(minutes=30)
TOKEN_REFUSED = (
    "Het token van deze scanner werkt niet meer (ingetrokken of onbekend). "
    "Maak een koppelcode op de pagina Scannertokens van de webtoepassing en toon ze aan de camera, "
    "of start opnieuw met aanwezig-scan --pair (of --token). "
    "De scans wachten en worden verzonden zodra de scanner een nieuw token heeft."
)
ACCOUNT_REFUSED = (
    "De server weigert scans van dit account ({message}). "
    "Koppel de scanner met het account van de trainer: koppelcode op de pagina Scannertokens, "
    "of aanwezig-scan --pair. De scans wachten en worden dan verzonden."
)


def credentials_message(refusal: Refused) -> str:
    """What to tell the trainer when the server refuses the scanner's token or account."""
    if refusal.status == 401:
        return TOKEN_REFUSED
    return ACCOUNT_REFUSED.format(message=refusal.message or refusal.code)


class Debouncer:
    """A code held in front of the camera is one scan: a text is ignored while it was seen
    less than ``seconds`` ago; every sighting renews that, so holding it still keeps it quiet."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.last_seen: dict[str, float] = {}

    def fresh(self, text: str, now: float) -> bool:
        previous = self.last_seen.get(text)
        self.last_seen[text] = now
        return previous is None or now - previous >= self.seconds


class Station:
    def __init__(
        self,
        client: Client,
        journal: Journal,
        session: dict[str, Any],
        verifier: OfflineVerifier,
        display: Display,
        direction: Requested = "auto",
        debounce: float = 3.0,
        pairing: Callable[[str], bool] | None = None,
    ):
        self.client = client
        self.journal = journal
        self.session = session
        self.verifier = verifier
        self.display = display
        self.direction = direction
        self.debouncer = Debouncer(debounce)
        self._answers: dict[int, tuple[dict[str, Any] | None, Refused | None]] = {}
        self._answered = threading.Condition()
        self.pairing = pairing  # takes a pairing code shown to the scanner; True if it was one
        self.sender = Sender(client, journal, self._on_result, self._on_credentials)
        self.deadline = datetime.fromisoformat(session["deadline"])
        self._warned = 0.0

    def start(self) -> None:
        self.sender.start()
        pending = self.journal.count_pending(self.client.server)
        if pending:
            log.info("%s scans van een vorige keer wachten op verzending", pending)

    def stop(self, flush_timeout: float = 10.0) -> None:
        self.sender.wait_idle(flush_timeout)
        self.sender.stop()

    def cycle_direction(self) -> Requested:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % len(DIRECTIONS)]
        log.info("richting: %s", {"auto": "automatisch", "in": "in", "out": "uit"}[self.direction])
        return self.direction

    def handle(self, texts: list[str], now: datetime | None = None) -> None:
        """Texts decoded from one frame (or one keyboard line)."""
        clock = time.monotonic()
        for text in texts:
            if self.debouncer.fresh(text, clock):
                if self.pairing is not None and self.pairing(text):
                    self.sender.wake()  # a new token: send what waited for it
                    continue
                self.scan(text, now or datetime.now(UTC))

    def scan(self, text: str, at: datetime) -> None:
        verdict = self.verifier.check(text, at, self.direction)
        if not verdict.ok:
            self.display.show(
                f"{verdict.name + ': ' if verdict.name else ''}{verdict.message}", RED
            )
            return
        record = self.journal.add(self.client.server, self.session["id"], text, self.direction, at)
        self.sender.wake()
        answer, refusal = self._wait_answer(record.id)
        if refusal is not None:
            self._show_refusal(verdict, refusal)
        elif answer is not None:
            self._show_answer(answer)
        else:
            self._show_local(verdict, at)
        self._warn_if_late()

    def _wait_answer(self, scan_id: int) -> tuple[dict[str, Any] | None, Refused | None]:
        deadline = time.monotonic() + ANSWER_WAIT
        with self._answered:
            while (
                scan_id not in self._answers
                and time.monotonic() < deadline
                and self.sender.online
                and self.sender.credentials_refused is None
            ):
                self._answered.wait(deadline - time.monotonic())
            return self._answers.pop(scan_id, (None, None))

    def _on_result(
        self, scan: JournalledScan, answer: dict[str, Any] | None, refusal: Refused | None
    ) -> None:
        if answer is not None:
            at = datetime.fromisoformat(answer["at"])
            self.verifier.apply(answer["participant"]["id"], answer["direction"], at)
        with self._answered:
            self._answers[scan.id] = (answer, refusal)
            self._answered.notify_all()
        if refusal is not None:
            log.warning(
                "scan van %s geweigerd door de server: %s",
                scan.scanned_at.astimezone().strftime("%H:%M:%S"),
                MESSAGES.get(refusal.code, refusal.message or refusal.code),
            )

    def _on_credentials(self, refusal: Refused) -> None:
        with self._answered:
            self._answered.notify_all()  # a scan waiting for its answer shows the local verdict
        log.error("%s", credentials_message(refusal))
        self.display.show(
            "Token geweigerd: scan een nieuwe koppelcode"
            if refusal.status == 401
            else "Account mag niet scannen: koppel opnieuw",
            RED,
        )

    def _show_answer(self, answer: dict[str, Any]) -> None:
        name = answer["participant"]["name"]
        local = datetime.fromisoformat(answer["at"]).astimezone().strftime("%H:%M")
        word = "in" if answer["direction"] == "in" else "uit"
        if answer["repeat"]:
            self.display.show(f"{name}: al gescand ({word} {local})", ORANGE)
        else:
            self.display.show(f"{name}: {word} {local}", GREEN)

    def _show_refusal(self, verdict: Verdict, refusal: Refused) -> None:
        if about_credentials(refusal):
            return
        message = MESSAGES.get(refusal.code, refusal.message)
        self.display.show(f"{verdict.name}: {message}" if verdict.name else message, RED)

    def _show_local(self, verdict: Verdict, at: datetime) -> None:
        word = "in" if verdict.direction == "in" else "uit"
        waiting = self.journal.count_pending(self.client.server, self.session["id"])
        local = at.astimezone().strftime("%H:%M")
        why = "token geweigerd" if self.sender.credentials_refused is not None else "offline"
        if verdict.repeat:
            self.display.show(f"{verdict.name}: al gescand ({word}) [{why}]", ORANGE)
        else:
            # An accepted verdict names both (OfflineVerifier.check).
            if verdict.participant_id is not None and verdict.direction is not None:
                self.verifier.apply(verdict.participant_id, verdict.direction, at)
            self.display.show(f"{verdict.name}: {word} {local} [{why}, {waiting} wachtend]", GREEN)

    def _warn_if_late(self) -> None:
        waiting = self.journal.count_pending(self.client.server, self.session["id"])
        self.display.waiting = waiting
        if waiting and self.sender.credentials_refused is not None:
            self.display.status = f"{waiting} scans wachten: token geweigerd, koppel opnieuw"
        elif waiting and not self.sender.online:
            self.display.status = f"offline: {waiting} scans wachten op verzending"
        else:
            self.display.status = f"{waiting} scans wachten op verzending" if waiting else ""
        if (
            waiting
            and datetime.now(UTC) > self.deadline - DEADLINE_WARNING
            and time.monotonic() - self._warned > 60
        ):
            self._warned = time.monotonic()
            log.error(
                "LET OP: %s scans zijn nog niet verzonden en de registratie sluit om %s. Zoek een netwerk!",
                waiting,
                self.deadline.astimezone().strftime("%d/%m %H:%M"),
            )
            self.display.show(
                f"LET OP: {waiting} scans niet verzonden, sluiting {self.deadline.astimezone():%H:%M}",
                RED,
            )

    def tick(self) -> None:
        """Called between frames: keep the waiting count and the deadline warning current."""
        self._warn_if_late()
