"""The scanner against a live server: video, offline journal, restart after a kill, keyboard mode,
and the clear one-line errors."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np

from tests.helpers.scanner import PYTHON, ROOT, LiveServer, run_scanner
from tests.scanner.frames import code_image, on_background

FPS = 10


def write_video(path: Path, codes: list[str], frames_each: int = 15) -> Path:
    """Each code held in front of the camera for ``frames_each`` frames, with empty frames between."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (640, 480))
    blank = on_background(np.full((10, 10, 3), 128, np.uint8), scale=0.01)
    for code in codes:
        frame = on_background(code_image(code))
        for _ in range(frames_each):
            writer.write(frame)
        for _ in range(5):
            writer.write(blank)
    writer.release()
    return path


def kinds(server: LiveServer) -> list[tuple[int, str]]:
    return sorted((r["participant_id"], r["kind"]) for r in server.registrations())


def test_a_video_of_two_codes_held_for_several_frames_checks_each_in_once(live_server, tmp_path):
    video = write_video(tmp_path / "door.avi", list(live_server.codes.values()))
    first = run_scanner(
        live_server,
        tmp_path / "data",
        "--session",
        str(live_server.session_id),
        "--video",
        str(video),
    )
    assert first.returncode == 0, first.stderr
    an, ben = live_server.participants["An Peeters"], live_server.participants["Ben Claes"]
    assert kinds(live_server) == sorted([(an, "in"), (ben, "in")])
    assert "An Peeters: in" in first.stderr
    time.sleep(1.2)  # the server's repeat interval in these tests
    second = run_scanner(
        live_server,
        tmp_path / "data",
        "--session",
        str(live_server.session_id),
        "--video",
        str(video),
    )
    assert second.returncode == 0, second.stderr
    assert kinds(live_server) == sorted([(an, "in"), (ben, "in"), (an, "out"), (ben, "out")])
    assert "uit" in second.stderr


def test_keyboard_mode_registers_codes_from_standard_input(live_server, tmp_path):
    codes = "\n".join(live_server.codes.values()) + "\nnot a code\n"
    done = run_scanner(
        live_server,
        tmp_path / "data",
        "--session",
        str(live_server.session_id),
        "--keyboard",
        stdin=codes,
    )
    assert done.returncode == 0, done.stderr
    assert len(kinds(live_server)) == 2
    assert "Geen geldige Aanwezig-code" in done.stderr


def pending(data: Path) -> int:
    with sqlite3.connect(data / "journal.sqlite3") as db:
        return db.execute("SELECT count(*) FROM scans WHERE state = 'pending'").fetchone()[0]


def test_offline_scans_are_journalled_shown_and_delivered_once_when_the_server_is_back(
    live_server, tmp_path
):
    data = tmp_path / "data"
    session = str(live_server.session_id)
    # Online once: the scanner caches the roster and the public key.
    assert run_scanner(live_server, data, "--session", session, "--keyboard").returncode == 0
    live_server.stop()
    offline = run_scanner(
        live_server,
        data,
        "--session",
        session,
        "--keyboard",
        "--flush-timeout",
        "1",
        stdin="\n".join(live_server.codes.values()) + "\n",
    )
    assert offline.returncode == 3  # scans are waiting
    assert "offline" in offline.stderr and "An Peeters: in" in offline.stderr
    assert pending(data) == 2
    live_server.start()
    back = run_scanner(live_server, data, "--session", session, "--keyboard")
    assert back.returncode == 0, back.stderr
    assert pending(data) == 0
    assert [k for _, k in kinds(live_server)] == ["in", "in"]
    again = run_scanner(live_server, data, "--session", session, "--keyboard")
    assert again.returncode == 0 and len(kinds(live_server)) == 2


def test_a_scanner_killed_between_journal_and_send_delivers_once_after_restart(
    live_server, tmp_path
):
    data = tmp_path / "data"
    session = str(live_server.session_id)
    assert run_scanner(live_server, data, "--session", session, "--keyboard").returncode == 0
    live_server.stop()  # nothing can be sent: the scan stays between journal and send
    env = {
        **os.environ,
        "AANWEZIG_SERVER": live_server.url,
        "AANWEZIG_TOKEN": live_server.trainer_token,
        "AANWEZIG_SCANNER_DATA": str(data),
        "AANWEZIG_SCANNER_CONFIG": str(data / "scanner.json"),
    }
    process = subprocess.Popen(
        [PYTHON, "-m", "scanner", "--headless", "--keyboard", "--session", session],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    process.stdin.write(live_server.codes["An Peeters"] + "\n")
    process.stdin.flush()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        not (data / "journal.sqlite3").exists() or pending(data) == 0
    ):
        time.sleep(0.1)
    assert pending(data) == 1
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    process.stdin.close()
    live_server.start()
    restarted = run_scanner(live_server, data, "--session", session, "--keyboard")
    assert restarted.returncode == 0, restarted.stderr
    assert kinds(live_server) == [(live_server.participants["An Peeters"], "in")]


def test_clear_errors_without_a_traceback(live_server, tmp_path):
    session = str(live_server.session_id)
    wrong = run_scanner(
        live_server, tmp_path / "a", "--session", session, "--keyboard", "--server", live_server.url
    )
    assert wrong.returncode == 0
    env_token = live_server.trainer_token
    live_server.trainer_token = "azt_wrong"
    refused = run_scanner(live_server, tmp_path / "b", "--session", session, "--keyboard")
    live_server.trainer_token = env_token
    assert (
        refused.returncode == 2
        and "token" in refused.stderr.lower()
        and "Traceback" not in refused.stderr
    )
    unknown = run_scanner(live_server, tmp_path / "c", "--session", "99999", "--keyboard")
    assert (
        unknown.returncode == 2
        and "niet gevonden" in unknown.stderr
        and "Traceback" not in unknown.stderr
    )
    no_camera = run_scanner(live_server, tmp_path / "d", "--session", session, "--camera", "42")
    assert (
        no_camera.returncode == 2
        and "camera" in no_camera.stderr.lower()
        and "Traceback" not in no_camera.stderr
    )
    live_server.stop()
    unreachable = run_scanner(live_server, tmp_path / "e", "--session", session, "--keyboard")
    assert (
        unreachable.returncode == 2
        and "niet bereikbaar" in unreachable.stderr
        and "Traceback" not in unreachable.stderr
    )
