"""What the trainer sees and hears: a large coloured banner over the live picture (green with
the name and in/uit, orange for a repeat, red with the reason), the waiting count when scans
wait to be sent, a short sound, and the same line on the console.

The banner is drawn with Pillow and DejaVu Sans Bold (OpenCV's own fonts have no é or ë, and
Flemish names do), at least a tenth of the picture's height, so it reads from a step away.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scanner.handscanner import HandScanner
from scanner.sound import Kind, Player, Silent

log = logging.getLogger("aanwezig.scanner")

# BGR, as OpenCV draws
GREEN, ORANGE, RED, BLUE = (40, 150, 30), (0, 130, 245), (40, 40, 205), (150, 90, 20)
SHOW_SECONDS = 3.0
WINDOW = "Aanwezig"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT_FILES = ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf")


@dataclass
class Banner:
    text: str
    colour: tuple[int, int, int]
    until: float


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for folder in FONT_DIRS:
        for name in FONT_FILES:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)  # Pillow's own: no accents, but always there


def _fit(
    draw: ImageDraw.ImageDraw, text: str, size: int, width: int
) -> tuple[str, ImageFont.FreeTypeFont | ImageFont.ImageFont]:
    """The largest font from ``size`` down at which ``text`` fits ``width``; cut with … below
    half the size."""
    smallest = max(12, size // 2)
    for candidate in range(size, smallest - 1, -2):
        face = font(candidate)
        if draw.textlength(text, font=face) <= width:
            return text, face
    face = font(smallest)
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…", face


def split_message(text: str) -> tuple[str, str]:
    """'An Peeters: in 09:02' -> ('An Peeters', 'in 09:02'): the name large, the rest below."""
    head, separator, rest = text.partition(": ")
    return (head, rest) if separator and len(head) <= 60 else (text, "")


def compose(
    frame: np.ndarray,
    banner: Banner | None,
    status: str = "",
    waiting: int = 0,
    hint: str = "",
) -> np.ndarray:
    """The picture the window shows: the frame with the banner on top and a status strip below."""
    picture = frame if frame.ndim == 3 else np.dstack([frame] * 3)
    height, width = picture.shape[:2]
    image = Image.fromarray(picture[..., ::-1].copy())  # BGR -> RGB
    draw = ImageDraw.Draw(image)
    margin = max(8, width // 60)
    if banner is not None:
        title, detail = split_message(banner.text)
        band = max(90, int(height * (0.30 if detail else 0.2)))
        draw.rectangle((0, 0, width, band), fill=banner.colour[::-1])
        big = int(band * (0.42 if detail else 0.55))
        text, face = _fit(draw, title, big, width - 2 * margin)
        draw.text((margin, int(band * 0.08)), text, font=face, fill=(255, 255, 255))
        if detail:
            text, face = _fit(draw, detail, int(big * 0.78), width - 2 * margin)
            draw.text((margin, int(band * 0.56)), text, font=face, fill=(255, 255, 255))
    line = status or hint
    if line:
        strip = max(34, height // 14)
        colour = ORANGE if waiting else (60, 60, 60)
        draw.rectangle((0, height - strip, width, height), fill=colour[::-1])
        text, face = _fit(draw, line, int(strip * 0.62), width - 2 * margin)
        draw.text(
            (margin, height - strip + int(strip * 0.16)), text, font=face, fill=(255, 255, 255)
        )
    return np.asarray(image)[..., ::-1].copy()


class Commands:
    """Command keys pressed in the window (q or Esc: stop; r or space: direction). A key counts
    only when it came alone and no hand-scanner burst is going on, so a 'q' inside a code that
    a hand scanner types never stops the scanner: it acts a moment later, once that is sure."""

    KEYS = {ord("q"), 27, ord("r"), ord(" ")}
    SETTLE = 0.15  # seconds

    def __init__(self, hand: HandScanner | None = None) -> None:
        self.hand = hand
        self.waiting: tuple[int, float] | None = None

    def feed(self, keys: list[int], now: float) -> list[int]:
        if keys:
            alone = len(keys) == 1 and keys[0] in self.KEYS and self.waiting is None
            self.waiting = (keys[0], now) if alone else None
            return []
        if self.waiting is None or now - self.waiting[1] < self.SETTLE:
            return []
        key, _ = self.waiting
        self.waiting = None
        if self.hand is not None and self.hand.typing() > 1:
            return []  # part of a burst after all
        return [key]


class Display:
    """Console always; a window when asked and when a screen and OpenCV's GUI are there."""

    def __init__(self, window: bool, player: Player | None = None, hint: str = ""):
        self.player: Player = player or Silent()
        self.window = window and self._can_open_window()
        self.banner: Banner | None = None
        self.status = ""
        self.waiting = 0
        self.hint = hint
        self.hand: HandScanner | None = None
        if self.window:
            self.hand = HandScanner()
            if not self.hand.start():
                self.hand = None
        self.commands = Commands(self.hand)
        self._sized = False

    @staticmethod
    def _can_open_window() -> bool:
        if os.name == "posix" and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            log.warning("geen scherm gevonden: verder zonder venster (alleen de console)")
            return False
        for folder in FONT_DIRS:  # Qt inside OpenCV ships no fonts of its own
            if folder.is_dir():
                os.environ.setdefault("QT_QPA_FONTDIR", str(folder))
                break
        import cv2

        try:
            cv2.namedWindow(
                WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL
            )
        except cv2.error:
            log.warning(
                "deze OpenCV kan geen venster openen: verder zonder venster (alleen de console)"
            )
            return False
        return True

    def show(self, text: str, colour: tuple[int, int, int]) -> None:
        self.banner = Banner(text, colour, time.monotonic() + SHOW_SECONDS)
        level = logging.WARNING if colour == RED else logging.INFO
        log.log(level, "%s", text)
        kind: Kind = "success" if colour == GREEN else "repeat" if colour == ORANGE else "refusal"
        if colour != BLUE:
            self.player.play(kind)

    def current_banner(self) -> Banner | None:
        if self.banner and self.banner.until > time.monotonic():
            return self.banner
        return None

    def picture(self, frame: np.ndarray) -> np.ndarray:
        return compose(frame, self.current_banner(), self.status, self.waiting, self.hint)

    def render(self, frame: np.ndarray | None) -> tuple[list[str], list[int]]:
        """Show the frame with the banner; returns the codes a hand scanner typed meanwhile and
        the command keys pressed."""
        if not self.window or frame is None:
            return [], []
        import cv2

        picture = self.picture(frame)
        if not self._sized:
            cv2.resizeWindow(WINDOW, picture.shape[1], picture.shape[0])
            self._sized = True
        cv2.imshow(WINDOW, picture)
        keys: list[int] = []
        key = cv2.waitKey(1)
        while key != -1 and len(keys) < 100:
            keys.append(key & 0xFFFF)
            key = cv2.pollKey()
        return (self.hand.take() if self.hand else []), self.commands.feed(keys, time.monotonic())

    def closed(self) -> bool:
        """The trainer closed the window with its close button."""
        if not self.window:
            return False
        import cv2

        try:
            return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def close(self) -> None:
        self.player.close()
        if self.hand is not None:
            self.hand.stop()
        if self.window:
            import cv2

            cv2.destroyAllWindows()
