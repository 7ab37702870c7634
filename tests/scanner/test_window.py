"""The camera window on a virtual screen (Xvfb): the banner as the trainer sees it, compared with
the reference picture, and a USB hand scanner typing a code into the window."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers.preconditions import missing
from tests.helpers.scanner import PYTHON, ROOT, scanner_env
from tests.scanner.frames import on_background

DATA = Path(__file__).parent / "data"


def need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        missing(tool, "sudo apt-get install xvfb xdotool (make display)")
    return found


@pytest.fixture
def screen() -> Iterator[str]:
    """A virtual screen of its own for this test."""
    xvfb = need("Xvfb")
    for number in range(90 + os.getpid() % 50, 200):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            break
    display = f":{number}"
    process = subprocess.Popen(
        [xvfb, display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.05)
    yield display
    process.terminate()
    process.wait(timeout=10)


def difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean absolute difference, and the share of pixels that differ by more than 48."""
    delta = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    return float(delta.mean()), float((delta > 48).mean())


def test_the_banner_on_screen_is_the_reference_picture_and_reads_from_a_step_away(screen, tmp_path):
    done = subprocess.run(
        [PYTHON, "-m", "tests.scanner.show_window", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "DISPLAY": screen}, capture_output=True, text=True, timeout=150,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name, colour in (("green", (30, 150, 40)), ("red", (205, 40, 40))):
        shown = cv2.imread(str(tmp_path / f"{name}-screen.png"))
        composed = cv2.imread(str(tmp_path / f"{name}-composed.png"))
        reference = cv2.imread(str(DATA / f"banner-{name}.png"))
        assert shown.shape == composed.shape == reference.shape == (480, 640, 3)
        assert difference(shown, composed)[0] < 1.0  # the window shows what was composed
        mean, share = difference(composed, reference)
        assert mean < 3.0 and share < 0.01, (name, mean, share)
        # The banner: the full width, at least a quarter of the height, in its colour; the
        # name's letters at least a twelfth of the picture's height (40 px at 640x480, over a
        # centimetre on a laptop screen: readable from a step away).
        rows = np.where(np.all(np.abs(shown[:, 5].astype(int) - colour[::-1]) < 30, axis=1))[0]
        assert rows.min() == 0 and rows.max() >= 480 * 0.25, rows.max()
        white = np.where(np.all(shown[: rows.max()] > 230, axis=2).any(axis=1))[0]
        first_line = white[white < rows.max() * 0.5]
        assert first_line.max() - first_line.min() >= 480 / 12


def test_a_hand_scanner_typing_into_the_window_registers_the_code(live_server, screen, tmp_path):
    xdotool = need("xdotool")
    video = tmp_path / "empty.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    blank = on_background(np.full((10, 10, 3), 128, np.uint8), scale=0.01)
    for _ in range(300):  # 30 s at the video's own pace: time enough to type
        writer.write(blank)
    writer.release()
    env = {**scanner_env(live_server, tmp_path / "data"), "DISPLAY": screen}
    scanner = subprocess.Popen(
        [PYTHON, "-m", "scanner", "--mute", "--video", str(video), "--session",
         str(live_server.session_id)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        window = subprocess.run(
            [xdotool, "search", "--sync", "--onlyvisible", "--name", "^Aanwezig$"],
            env=env, capture_output=True, text=True, timeout=30, check=True,
        ).stdout.split()[0]  # fmt: skip
        subprocess.run([xdotool, "windowfocus", "--sync", window], env=env, check=True, timeout=10)
        time.sleep(1.0)
        code = live_server.codes["An Peeters"]  # full of q and r: none may act as a command
        assert "q" in code.lower() or "r" in code.lower()
        subprocess.run(  # a hand scanner types fast, then Enter
            [xdotool, "type", "--delay", "4", code + "\n"], env=env, check=True, timeout=30
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not live_server.registrations():
            time.sleep(0.2)
        time.sleep(0.5)
        subprocess.run([xdotool, "key", "q"], env=env, check=True, timeout=10)  # quit
        _, stderr = scanner.communicate(timeout=30)
    finally:
        if scanner.poll() is None:
            scanner.kill()
            scanner.wait()
    assert [r["participant_id"] for r in live_server.registrations()] == [
        live_server.participants["An Peeters"]
    ], stderr
    assert "An Peeters: in" in stderr and scanner.returncode == 0, stderr
