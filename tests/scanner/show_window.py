"""Run under a virtual screen by tests/scanner/test_window.py: opens the scanner's real window,
shows a banner over a fixed frame, and saves both the picture it composed and what the screen
shows, so the test can compare them.

    python -m tests.scanner.show_window OUT_DIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import ImageGrab

from scanner.ui import GREEN, RED, WINDOW, Display


def frame() -> np.ndarray:
    """A fixed, camera-like frame: a grey gradient with a darker block."""
    yy, xx = np.mgrid[0:480, 0:640]
    picture = (90 + xx * 0.1 + yy * 0.05).astype(np.uint8)
    picture[200:400, 380:560] = 60
    return cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR)


def painted(display: Display, composed: np.ndarray, seconds: float) -> np.ndarray:
    """Render until the screen shows the composed picture (or ``seconds`` pass); what the
    screen shows in the window's place."""
    deadline = time.monotonic() + seconds
    while True:  # until the window is mapped and painted (slow on a busy machine)
        display.render(frame())
        x, y, width, height = cv2.getWindowImageRect(WINDOW)
        screen = np.asarray(ImageGrab.grab(xdisplay=None))[..., ::-1]
        shown = screen[y : y + height, x : x + width]
        if shown.shape == composed.shape and (shown == composed).mean() > 0.99:
            return shown
        if time.monotonic() > deadline:
            return shown  # the test reports the difference
        time.sleep(0.05)


def main() -> int:
    out = Path(sys.argv[1])
    display = Display(window=True)
    assert display.window, "no window could be opened"
    for name, text, colour, waiting in (
        ("green", "Zoë Vermeulen: in 09:02", GREEN, 0),
        ("red", "Lotte Claes: Niet ingeschreven voor deze sessie", RED, 3),
    ):
        for attempt in range(3):
            display.show(text, colour)
            display.waiting = waiting
            display.status = f"offline: {waiting} scans wachten op verzending" if waiting else ""
            composed = display.picture(frame())
            shown = painted(display, composed, 20)
            if shown.shape == composed.shape and (shown == composed).mean() > 0.99:
                break
            # Now and then, on a loaded machine, a new window on the virtual screen is never
            # painted: a fresh window then, as a trainer would restart it (at most twice).
            print(f"{name}: window not painted, attempt {attempt + 1}", file=sys.stderr)
            display.close()
            display = Display(window=True)
        cv2.imwrite(str(out / f"{name}-composed.png"), composed)
        cv2.imwrite(str(out / f"{name}-screen.png"), shown)
    display.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
