"""``aanwezig-scan``: the command line of the scanner.

aanwezig-scan                      pair on the first start (scan the code on the tokens page),
                                   then scan with the laptop camera
aanwezig-scan --pair               pair again (a new scanner token); --reset forgets the pairing
aanwezig-scan --server URL --token TOKEN   pair by hand, without a camera
aanwezig-scan --session 12         skip the session choice
aanwezig-scan --camera 1           another camera (remembered); --list-cameras lists them
aanwezig-scan --video file.avi     read frames from a video instead of the camera
aanwezig-scan --keyboard           a USB hand scanner: one code per line on standard input
aanwezig-scan decode FILE...       print the codes in image files as JSON lines
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import cv2
import numpy as np

from qr.pairing import PairingCode
from scanner import cameras, decoding, images, pairing
from scanner.address import AddressProblem, check_server
from scanner.client import Client, Refused, Unreachable
from scanner.config import Settings, config_path, data_dir
from scanner.journal import Journal
from scanner.offline import OfflineVerifier, repeat_interval
from scanner.sound import choose_player
from scanner.station import Station, credentials_message
from scanner.sync import about_credentials
from scanner.ui import BLUE, GREEN, RED, Display

log = logging.getLogger("aanwezig.scanner")
MAX_LINE = 4096  # bytes: a code is about 100; a pairing code a few hundred
RETRY_SAME_PAIRING = 5.0  # seconds before a pairing code that failed is tried again
DIRECTION_WORDS = {"auto": "automatisch", "in": "in", "out": "uit"}


class Stop(Exception):
    """A clear, one-line reason to stop, with what to do about it."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


class DutchParser(argparse.ArgumentParser):
    """argparse speaking Dutch: its headings, its help option and its errors (argparse has no
    Dutch catalogue of its own, and a trainer should not meet English at the door)."""

    def __init__(self, prog: str | None = None, description: str | None = None) -> None:
        super().__init__(prog=prog, description=description, add_help=False)
        self._positionals.title = "argumenten"
        self._optionals.title = "opties"
        self.add_argument("-h", "--help", action="help", help="toon deze hulp en stop")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "gebruik:", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage:", "gebruik:", 1)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: fout: {_dutch_error(message)}\n")


_ARGPARSE_PHRASES = (
    ("the following arguments are required:", "deze argumenten ontbreken:"),
    ("unrecognized arguments:", "onbekende argumenten:"),
    ("invalid choice:", "ongeldige keuze:"),
    ("choose from", "kies uit"),
    ("invalid int value:", "geen geheel getal:"),
    ("invalid float value:", "geen getal:"),
    ("expected one argument", "verwacht één waarde"),
    ("argument ", "argument "),
)


def _dutch_error(message: str) -> str:
    for english, dutch in _ARGPARSE_PHRASES:
        message = message.replace(english, dutch)
    return message


def parser() -> argparse.ArgumentParser:
    p = DutchParser(prog="aanwezig-scan", description="Aanwezig: scan QR-codes aan de deur.")
    p.add_argument(
        "--server", help="adres van de Aanwezig-server, bv. https://aanwezig.example.org"
    )
    p.add_argument("--token", help="een scannertoken, gemaakt op de pagina Scannertokens")
    p.add_argument(
        "--pair", action="store_true", help="koppel opnieuw: scan de koppelcode van de webpagina"
    )
    p.add_argument(
        "--pair-image",
        metavar="BESTAND",
        help="koppel met een foto of schermafdruk van de koppelcode",
    )
    p.add_argument("--reset", action="store_true", help="vergeet de koppeling (server en token)")
    p.add_argument(
        "--session",
        type=int,
        help="nummer van de sessie (anders kies je uit de sessies van vandaag)",
    )
    p.add_argument(
        "--camera", type=int, help="nummer van de camera (standaard de vorige, anders 0)"
    )
    p.add_argument("--list-cameras", action="store_true", help="toon de camera's en stop")
    p.add_argument("--video", help="lees beelden uit dit videobestand in plaats van de camera")
    p.add_argument(
        "--keyboard", action="store_true", help="handscanner: één code per regel op standaardinvoer"
    )
    p.add_argument("--headless", action="store_true", help="geen venster, alleen de console")
    p.add_argument("--decoder", choices=sorted(decoding.DECODERS), default="zxing")
    p.add_argument("--direction", choices=("auto", "in", "out"), default="auto")
    p.add_argument(
        "--debounce", type=float, default=3.0, help="seconden dat dezelfde code één scan blijft"
    )
    p.add_argument("--data-dir", help="map voor het scanjournaal (standaard de gebruikersmap)")
    p.add_argument(
        "--flush-timeout",
        type=float,
        default=15.0,
        help="seconden om bij het stoppen nog te verzenden",
    )
    p.add_argument(
        "--mute", "--no-sound", dest="mute", action="store_true", help="geen geluid bij een scan"
    )
    p.add_argument("--sound-to", help=argparse.SUPPRESS)  # WAV file instead of the speaker
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def decode_files(files: list[str], decoder: str) -> int:
    """One JSON line per image: {"file", "codes", "ms"}, or {"file", "error", "message"} for a
    file that is refused (too large, unreadable); the other files are still read."""
    status = 0
    for name in files:
        try:
            image = images.read_image(name)
        except images.ImageRefused as refused:
            print(json.dumps({"file": name, "error": refused.code, "message": str(refused)}))
            status = 1
            continue
        started = time.perf_counter()
        codes = decoding.decode(image, decoder, fallbacks="always")  # a still image: be thorough
        print(
            json.dumps(
                {
                    "file": name,
                    "codes": codes,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
            )
        )
    return status


def keyboard_lines(stream: BinaryIO) -> Iterator[str]:
    """The codes a hand scanner types, one per line, as text.

    Read as bytes and decoded line by line: a terminal in strict UTF-8 would stop the scanner at
    the first invalid byte and drop what followed it. A bad or over-long line is reported and
    skipped; the next line is read as usual.
    """
    number = 0
    while True:
        raw = stream.readline(MAX_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of that line
                raw = stream.readline(MAX_LINE + 1)
            log.warning(
                "regel %s is te lang voor een code (meer dan %s tekens): overgeslagen",
                number,
                MAX_LINE,
            )
            continue
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            log.warning(
                "regel %s is geen geldige tekst (byte 0x%02x op plaats %s is geen UTF-8): overgeslagen",
                number,
                raw[exc.start],
                exc.start + 1,
            )
            continue
        if text:
            yield text


def load_session(
    client: Client, journal: Journal, session_id: int | None
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The session, the public key and the roster: from the server, or from the cache when offline."""
    try:
        key = client.public_key()
        if session_id is None:
            session_id = choose_session(client.sessions(date.today().isoformat()))
        roster = client.roster(session_id)
    except Refused as refusal:
        if about_credentials(refusal):
            cached = (
                journal.cache_get(f"{client.server}|session|{session_id}") if session_id else None
            )
            waiting = journal.count_pending(client.server)
            if cached is None:
                raise Stop(
                    credentials_message(refusal)
                    + (f" Er wachten {waiting} scans." if waiting else "")
                ) from refusal
            # Keep the door open: scans are checked offline and wait for a new token.
            log.error("%s", credentials_message(refusal))
            return cached["roster"]["session"], cached["key"], cached["roster"]
        if refusal.status == 404:
            raise Stop(
                f"Sessie {session_id} niet gevonden, of het is niet jouw sessie. Kies een sessie van vandaag."
            ) from refusal
        raise Stop(f"De server weigert: {refusal.message}") from refusal
    except Unreachable as exc:
        cached = journal.cache_get(f"{client.server}|session|{session_id}") if session_id else None
        if cached is None:
            raise Stop(
                f"De server op {client.server} is niet bereikbaar en er zijn nog geen gegevens bewaard. "
                "Controleer het adres (--server) en het netwerk."
            ) from exc
        log.warning("server niet bereikbaar: offline verder met de bewaarde deelnemerslijst")
        return cached["roster"]["session"], cached["key"], cached["roster"]
    journal.cache_put(f"{client.server}|session|{session_id}", {"key": key, "roster": roster})
    return roster["session"], key, roster


def choose_session(sessions: list[dict[str, Any]]) -> int:
    if not sessions:
        raise Stop("Je hebt vandaag geen sessies. Geef er een op met --session.")
    if len(sessions) == 1:
        return sessions[0]["id"]
    for number, s in enumerate(sessions, start=1):
        print(
            f"{number}. {s['start']}-{s['end']} {s['training_name']} {s.get('location') or ''} (#{s['id']})"
        )
    if not sys.stdin.isatty():
        raise Stop("Meerdere sessies vandaag: kies er een met --session.")
    choice = input("Welke sessie? ").strip()
    if not choice.isdigit() or not 1 <= int(choice) <= len(sessions):
        raise Stop("Geen geldige keuze.")
    return sessions[int(choice) - 1]["id"]


# Frames: from the camera (decoded in the background, so the window never waits for the
# decoder) or from a video file (every frame decoded in turn, as fast as it goes).


class LiveDecoder:
    """Decodes the newest frame in a thread of its own; frames that arrive while it is busy are
    skipped, as a camera would drop them, and the window keeps the camera's pace."""

    def __init__(self, decode: Callable[[np.ndarray], list[str]]):
        self._decode = decode
        self._frame: np.ndarray | None = None
        self._ready = threading.Condition()
        self._found: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="decoder", daemon=True)
        self._thread.start()

    def submit(self, frame: np.ndarray) -> None:
        with self._ready:
            self._frame = frame
            self._ready.notify()

    def take(self) -> list[str]:
        texts: list[str] = []
        while not self._found.empty():
            texts += self._found.get()
        return texts

    def _run(self) -> None:
        while True:
            with self._ready:
                while self._frame is None and not self._stop:
                    self._ready.wait()
                if self._stop or self._frame is None:
                    return
                frame, self._frame = self._frame, None
            found = self._decode(frame)
            if found:
                self._found.put(found)

    def close(self) -> None:
        with self._ready:
            self._stop = True
            self._ready.notify()
        self._thread.join(timeout=5)


class Frames:
    """The camera or the video, with the decoder that suits it."""

    def __init__(self, capture: cv2.VideoCapture, live: bool, decoder: str, paced: bool = False):
        self.capture = capture
        # A video shown in a window plays at its own speed, as a camera would deliver it.
        fps = capture.get(cv2.CAP_PROP_FPS) if paced else 0
        self.interval = 1 / fps if fps and 1 <= fps <= 240 else 0.0
        self._due = time.monotonic()
        if decoder == "zxing":
            self.decode: Callable[[np.ndarray], list[str]] = decoding.FrameDecoder().decode
        else:
            self.decode = lambda frame: decoding.decode(frame, decoder)
        self.live = LiveDecoder(self.decode) if live else None

    def next(self) -> tuple[np.ndarray | None, list[str]]:
        """The next frame and the codes read so far (None at the end of a video)."""
        if self.interval:
            self._due += self.interval
            time.sleep(max(0.0, self._due - time.monotonic()))
        ok, frame = self.capture.read()
        if not ok:
            return None, self.live.take() if self.live else []
        if self.live is not None:
            self.live.submit(frame)
            return frame, self.live.take()
        return frame, self.decode(frame)

    def close(self) -> None:
        if self.live is not None:
            self.live.close()
        self.capture.release()


def open_frames(args: argparse.Namespace, settings: Settings, window: bool = False) -> Frames:
    if args.video:
        if not Path(args.video).is_file():
            raise Stop(f"Videobestand {args.video} niet gevonden.")
        capture = cv2.VideoCapture(args.video)
        if not capture.isOpened():
            raise Stop(f"Kan {args.video} niet lezen als video.")
        return Frames(capture, live=False, decoder=args.decoder, paced=window)
    index = args.camera if args.camera is not None else (settings.camera or 0)
    camera = cameras.open_camera(index)
    if camera is None:
        others = [c for c in cameras.list_cameras() if c.index != index]
        raise Stop(
            f"Camera {index} geeft geen beeld. "
            + (
                "Andere camera's: " + ", ".join(str(c) for c in others) + " (kies met --camera N)."
                if others
                else "Sluit een camera aan, of gebruik --keyboard voor een handscanner."
            )
            + " Is ze in gebruik door een ander programma (Teams, Zoom)? Sluit dat dan eerst."
        )
    if settings.camera != index:
        settings.camera = index  # the window remembers the camera that worked
        settings.save()
    return Frames(camera, live=True, decoder=args.decoder)


# Pairing: from the camera (or a video), an image file, or a hand scanner's line.


def _paired(paired: pairing.Paired, settings: Settings) -> None:
    settings.server, settings.token = paired.server, paired.token
    settings.device_name = paired.device_name
    for warning in paired.warnings:
        log.warning("%s", warning)
    where = settings.save()
    log.info(
        "Gekoppeld als %s (%s) met %s; bewaard in %s",
        paired.device_name or "scanner",
        paired.user,
        paired.server,
        where,
    )


class PairingAttempts:
    """Tries the pairing codes seen; a code that failed is tried again only after a pause, so a
    code held in front of the camera is not sent every frame."""

    def __init__(self, display: Display):
        self.display = display
        self.tried: dict[str, float] = {}
        self.problem: str | None = None

    def attempt(self, text: str) -> pairing.Paired | None:
        code = pairing.parse(text)
        if code is None:
            if text.startswith("AZ1."):
                self._fail(
                    "Dit is de code van een deelnemer: toon de koppelcode van de pagina Scannertokens."
                )
            return None
        now = time.monotonic()
        if now - self.tried.get(text, -RETRY_SAME_PAIRING) < RETRY_SAME_PAIRING:
            return None
        self.tried[text] = now
        return self.exchange(code)

    def exchange(self, code: PairingCode) -> pairing.Paired | None:
        try:
            return pairing.exchange(code)
        except pairing.PairingFailed as failed:
            self._fail(f"Koppelen mislukt: {failed}")
            return None

    def _fail(self, message: str) -> None:
        if message != self.problem:
            self.display.show(message, RED)
        self.problem = message


def pair_from_frames(frames: Frames, display: Display) -> pairing.Paired:
    display.hint = "Toon de koppelcode van de pagina Scannertokens aan de camera · q: stoppen"
    display.show("Koppelen: toon de koppelcode van de pagina Scannertokens", BLUE)
    attempts = PairingAttempts(display)
    try:
        while True:
            frame, texts = frames.next()
            if frame is None:
                raise Stop(attempts.problem or "Geen koppelcode gevonden in de beelden.")
            typed, commands = display.render(frame)
            for text in texts + typed:
                paired = attempts.attempt(text)
                if paired is not None:
                    return paired
            if ord("q") in commands or 27 in commands or display.closed():
                raise Stop("Koppelen afgebroken: de scanner is niet gekoppeld.")
    finally:
        display.hint = ""


def pair_from_image(name: str, display: Display) -> pairing.Paired:
    try:
        image = images.read_image(name)
    except images.ImageRefused as refused:
        raise Stop(str(refused)) from refused
    attempts = PairingAttempts(display)
    for text in decoding.decode(image, fallbacks="always"):
        paired = attempts.attempt(text)
        if paired is not None:
            return paired
    raise Stop(attempts.problem or f"Geen koppelcode gevonden in {name}.")


def pair_from_lines(lines: Iterator[str], display: Display) -> pairing.Paired:
    if sys.stdin.isatty():
        print("Scan de koppelcode van de pagina Scannertokens met de handscanner:", file=sys.stderr)
    attempts = PairingAttempts(display)
    for text in lines:
        paired = attempts.attempt(text)
        if paired is not None:
            return paired
    raise Stop(attempts.problem or "Geen koppelcode ontvangen op de standaardinvoer.")


def pair_by_typing(settings: Settings) -> None:
    """The old way, for a laptop without a camera: type the address and paste a token."""
    address = input("Adres van de Aanwezig-server: ")
    server = checked_address(address)
    token = getpass.getpass("Je scannertoken (pagina Scannertokens, 'Zelf gemaakte tokens'): ")
    if not token.strip():
        raise Stop("Geen token gegeven.")
    settings.server, settings.token = server, token.strip()
    log.info("instellingen bewaard in %s", settings.save())


def checked_address(text: str) -> str:
    try:
        server, warnings = check_server(text)
    except AddressProblem as problem:
        raise Stop(f"Dat adres werkt niet: {problem}") from problem
    for warning in warnings:
        log.warning("%s", warning)
    if server != text.strip():
        log.info("serveradres: %s", server)
    return server


def settle_settings(
    args: argparse.Namespace,
    display: Display,
    lines: Iterator[str],
    frames: Callable[[], Frames],
) -> Settings:
    """Server and token: saved ones, the ones given, or a pairing now."""
    settings = Settings.load()
    if args.reset:
        settings.forget_pairing()
        log.info("De koppeling is vergeten (%s).", settings.save())
    if args.server:
        settings.server = checked_address(args.server)
    if args.token:
        if not settings.server:
            raise Stop("Geef bij --token ook het adres van de server met --server.")
        settings.token = args.token.strip()
    if args.server or args.token:
        settings.save()
    if args.token or not (
        args.pair or args.pair_image or not settings.server or not settings.token
    ):
        return settings
    if args.pair_image:
        _paired(pair_from_image(args.pair_image, display), settings)
    elif args.keyboard:
        _paired(pair_from_lines(lines, display), settings)
    else:
        try:
            source = frames()
        except Stop:
            if not sys.stdin.isatty():
                raise Stop(
                    "Deze scanner is nog niet gekoppeld en er is geen camera. Koppel met een "
                    "foto van de koppelcode (--pair-image FOTO), met een handscanner "
                    "(--keyboard), of met --server ADRES --token TOKEN."
                ) from None
            pair_by_typing(settings)
            return settings
        _paired(pair_from_frames(source, display), settings)
    return settings


def run_frames(station: Station, frames: Frames, display: Display) -> None:
    while True:
        display.hint = f"richting: {DIRECTION_WORDS[station.direction]} · r: wisselen · q: stoppen"
        frame, texts = frames.next()
        if frame is None:
            station.handle(texts)
            return  # end of the video (a camera that stops is handled the same way)
        station.handle(texts)
        station.tick()
        typed, commands = display.render(frame)
        station.handle(typed)  # a USB hand scanner typing into the window
        if ord("q") in commands or 27 in commands or display.closed():
            return
        if ord("r") in commands or ord(" ") in commands:
            station.cycle_direction()


def run_keyboard(station: Station, lines: Iterator[str]) -> None:
    for text in lines:
        station.handle([text])


def repairing(settings: Settings, client: Client, display: Display) -> Callable[[str], bool]:
    """A pairing code shown while scanning (the token was refused): pair again on the spot."""
    attempts = PairingAttempts(display)

    def attempt(text: str) -> bool:
        code = pairing.parse(text)
        if code is None:
            return False
        paired = attempts.exchange(code)
        if paired is None:
            return True
        if paired.server != client.server:
            display.show(
                f"Deze koppelcode is voor {paired.server}; deze scanner werkt met "
                f"{client.server}. Start opnieuw met --pair om van server te wisselen.",
                RED,
            )
            return True
        _paired(paired, settings)
        client.use_token(paired.token)
        display.show(f"Gekoppeld: {paired.device_name or 'scanner'} ({paired.user})", GREEN)
        return True

    return attempt


def list_cameras() -> int:
    found = cameras.list_cameras()
    if not found:
        print("Geen camera gevonden. Sluit er een aan, of gebruik --keyboard voor een handscanner.")
        return 1
    chosen = Settings.load().camera
    for camera in found:
        print(f"{camera}{'  (gekozen)' if camera.index == chosen else ''}")
    print("Kies er een met --camera N; de scanner onthoudt ze.")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list_cameras:
        return list_cameras()
    display = Display(
        window=not args.headless and not args.keyboard and not args.pair_image,
        player=choose_player(args.mute, args.sound_to),
    )
    log.debug("geluid: %s", display.player.name)
    lines = keyboard_lines(sys.stdin.buffer)
    opened: list[Frames] = []

    def frames() -> Frames:
        if not opened:
            opened.append(open_frames(args, Settings.load(), display.window))
        return opened[0]

    try:
        settings = settle_settings(args, display, lines, frames)
        return scan(args, settings, display, lines, frames)
    finally:
        for source in opened:
            source.close()
        display.close()


def scan(
    args: argparse.Namespace,
    settings: Settings,
    display: Display,
    lines: Iterator[str],
    frames: Callable[[], Frames],
) -> int:
    journal = Journal(data_dir(args.data_dir) / "journal.sqlite3")
    if not settings.server or not settings.token:  # settle_settings pairs when one is missing
        raise Stop("Geen server of token: koppel de scanner opnieuw met --pair.")
    client = Client(settings.server, settings.token)
    session, key, roster = load_session(client, journal, args.session)
    log.info(
        "sessie %s: %s %s %s-%s, %s deelnemers",
        session["id"],
        session["training_name"],
        session["date"],
        session["start"],
        session["end"],
        len(roster["participants"]),
    )
    verifier = OfflineVerifier(key, roster, repeat_interval(roster))
    station = Station(
        client,
        journal,
        session,
        verifier,
        display,
        args.direction,
        args.debounce,
        pairing=repairing(settings, client, display),
    )
    station.start()
    try:
        if args.keyboard:
            run_keyboard(station, lines)
        else:
            run_frames(station, frames(), display)
    except KeyboardInterrupt:
        pass
    finally:
        station.stop(args.flush_timeout)
    waiting = journal.count_pending(client.server)
    if waiting:
        if station.sender.credentials_refused is not None:
            log.error(
                "%s scans wachten, want het token werd geweigerd. %s",
                waiting,
                credentials_message(station.sender.credentials_refused),
            )
        else:
            log.warning(
                "%s scans wachten nog op verzending; ze gaan mee bij de volgende start.", waiting
            )
        return 3
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if argv[:1] == ["decode"]:
        decode_args = DutchParser(prog="aanwezig-scan decode")
        decode_args.add_argument("files", nargs="+", help="afbeeldingen om te lezen")
        decode_args.add_argument("--decoder", choices=sorted(decoding.DECODERS), default="zxing")
        parsed = decode_args.parse_args(argv[1:])
        return decode_files(parsed.files, parsed.decoder)
    args = parser().parse_args(argv)
    if args.verbose:
        logging.getLogger().setLevel(logging.DEBUG)
    try:
        return run(args)
    except Stop as stop:
        print(f"aanwezig-scan: {stop}", file=sys.stderr)
        return stop.code


__all__ = ["config_path", "main"]
