"""``aanwezig-scan``: the command line of the scanner.

aanwezig-scan                      scan with the laptop camera (asks server and token once)
aanwezig-scan --session 12         skip the session choice
aanwezig-scan --video file.avi     read frames from a video instead of the camera
aanwezig-scan --keyboard           a USB hand scanner: one code per line on standard input
aanwezig-scan decode FILE...       print the codes in image files as JSON lines
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import cv2

from scanner import decoding, images
from scanner.client import Client, Refused, Unreachable
from scanner.config import Settings, config_path, data_dir
from scanner.journal import Journal
from scanner.offline import OfflineVerifier
from scanner.station import Station, credentials_message
from scanner.sync import about_credentials
from scanner.ui import Display

log = logging.getLogger("aanwezig.scanner")
MAX_LINE = 4096  # bytes: a code is about 100; a pairing code a few hundred


class Stop(Exception):
    """A clear, one-line reason to stop, with what to do about it."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aanwezig-scan", description="Aanwezig: scan QR-codes aan de deur."
    )
    p.add_argument(
        "--server", help="adres van de Aanwezig-server, bv. https://aanwezig.example.org"
    )
    p.add_argument(
        "--session",
        type=int,
        help="nummer van de sessie (anders kies je uit de sessies van vandaag)",
    )
    p.add_argument("--camera", type=int, default=0, help="nummer van de camera (standaard 0)")
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
    p.add_argument(
        "--repeat",
        type=float,
        default=120.0,
        help="herhaalinterval van de server (offline voorspelling)",
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
    p.add_argument("--reset", action="store_true", help="vraag server en token opnieuw")
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


def settings_for(args: argparse.Namespace) -> Settings:
    settings = Settings() if args.reset else Settings.load()
    changed = False
    if args.server:
        changed = settings.server != args.server
        settings.server = args.server
    if not settings.server or not settings.token:
        if not sys.stdin.isatty():
            raise Stop(
                "Geen server of token ingesteld: start aanwezig-scan één keer in een terminal, of zet AANWEZIG_SERVER en AANWEZIG_TOKEN."
            )
        settings.server = settings.server or input("Adres van de Aanwezig-server: ").strip()
        settings.token = getpass.getpass(
            "Je scannertoken (maak er een in de webtoepassing, 'Scannertokens'): "
        ).strip()
        changed = True
    if changed:
        log.info("instellingen bewaard in %s", settings.save())
    return settings


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


def open_capture(args: argparse.Namespace) -> cv2.VideoCapture:
    if args.video:
        if not Path(args.video).is_file():
            raise Stop(f"Videobestand {args.video} niet gevonden.")
        capture = cv2.VideoCapture(args.video)
        if not capture.isOpened():
            raise Stop(f"Kan {args.video} niet lezen als video.")
        return capture
    capture = cv2.VideoCapture(args.camera)
    if not capture.isOpened():
        raise Stop(
            "Geen camera gevonden. Sluit een camera aan, of gebruik --keyboard voor een handscanner."
        )
    ok, _ = capture.read()
    if not ok:
        raise Stop(
            "De camera geeft geen beeld: is ze in gebruik door een ander programma (Teams, Zoom)? Sluit dat en probeer opnieuw."
        )
    return capture


def run_frames(station: Station, capture: cv2.VideoCapture, display: Display, decoder: str) -> None:
    while True:
        ok, frame = capture.read()
        if not ok:
            return  # end of the video (a camera that stops is handled the same way)
        station.handle(decoding.decode(frame, decoder))
        station.tick()
        key = display.render(frame)
        if key in (ord("q"), 27):
            return
        if key in (ord("r"), ord(" ")):
            station.cycle_direction()


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


def run_keyboard(station: Station) -> None:
    for text in keyboard_lines(sys.stdin.buffer):
        station.handle([text])


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    journal = Journal(data_dir(args.data_dir) / "journal.sqlite3")
    client = Client(settings.server, settings.token)  # type: ignore[arg-type]
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
    verifier = OfflineVerifier(key, roster, timedelta(seconds=args.repeat))
    display = Display(window=not args.headless and not args.keyboard, sound=not args.mute)
    station = Station(client, journal, session, verifier, display, args.direction, args.debounce)
    station.start()
    try:
        if args.keyboard:
            run_keyboard(station)
        else:
            run_frames(station, open_capture(args), display, args.decoder)
    except KeyboardInterrupt:
        pass
    finally:
        station.stop(args.flush_timeout)
        display.close()
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
        decode_args = argparse.ArgumentParser(prog="aanwezig-scan decode")
        decode_args.add_argument("files", nargs="+")
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
