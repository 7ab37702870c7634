"""What the trainer sees and hears: a coloured banner over the live picture, a short sound, and
the same line on the console."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger("aanwezig.scanner")

GREEN, ORANGE, RED = (40, 160, 40), (0, 140, 255), (40, 40, 200)
SHOW_SECONDS = 3.0
WINDOW = "Aanwezig"


@dataclass
class Banner:
    text: str
    colour: tuple[int, int, int]
    until: float


class Display:
    """Console always; a window when asked and when OpenCV can open one."""

    def __init__(self, window: bool, sound: bool = True):
        self.window = window and self._can_open_window()
        self.sound = sound
        self.banner: Banner | None = None
        self.status = ""
        self.waiting = 0

    @staticmethod
    def _can_open_window() -> bool:
        try:
            cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE)
        except cv2.error:
            log.warning(
                "this OpenCV build cannot open a window: running without one (console only)"
            )
            return False
        return True

    def show(self, text: str, colour: tuple[int, int, int]) -> None:
        self.banner = Banner(text, colour, time.monotonic() + SHOW_SECONDS)
        level = logging.WARNING if colour == RED else logging.INFO
        log.log(level, "%s", text)
        if self.sound:
            self.beep(colour)

    def beep(self, colour: tuple[int, int, int]) -> None:
        # The terminal bell: one for a success, two for a problem. No audio device needed.
        if sys.stderr.isatty():
            sys.stderr.write("\a" if colour == GREEN else "\a\a")
            sys.stderr.flush()

    def render(self, frame: np.ndarray | None) -> int:
        """Draw the banner and status on the frame and show it; returns the key pressed (or -1)."""
        if not self.window or frame is None:
            return -1
        picture = frame.copy()
        height, width = picture.shape[:2]
        if self.banner and self.banner.until > time.monotonic():
            cv2.rectangle(picture, (0, 0), (width, 70), self.banner.colour, -1)
            cv2.putText(
                picture,
                self.banner.text,
                (15, 48),
                cv2.FONT_HERSHEY_SIMPLEX,
                1.1,
                (255, 255, 255),
                2,
                cv2.LINE_AA,
            )
        if self.status:
            cv2.putText(
                picture,
                self.status,
                (10, height - 15),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.6,
                (255, 255, 255),
                2,
                cv2.LINE_AA,
            )
        cv2.imshow(WINDOW, picture)
        return cv2.waitKey(1) & 0xFF

    def close(self) -> None:
        if self.window:
            cv2.destroyAllWindows()
