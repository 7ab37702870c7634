"""A USB hand scanner typing into the window: it types a code and Enter as a keyboard would.

OpenCV's window cannot take that: its Qt backend keeps one key between two polls and drops
case, so a fast burst of typing loses characters. The keys are read instead through pynput's
keyboard listener (the system's own key events, with the right characters), and only a burst
counts as a scan: at least ``MIN_LENGTH`` characters then Enter, on average at most
``MEAN_GAP`` between two keys (a fast typist needs 80 ms or more), never a pause of ``MAX_GAP``.
Nothing else typed is kept or logged.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger("aanwezig.scanner")
MIN_LENGTH = 8
MEAN_GAP = 0.04  # seconds between two keys of a scanner's burst, on average
MAX_GAP = 0.3  # a longer pause starts a new line
MAX_LENGTH = 4096
# Return, keypad Enter and Linefeed: what hand scanners send after a code (X11 keysyms).
END_KEYSYMS = {0xFF0D, 0xFF8D, 0xFF0A}


class HandScanner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._typed: list[str] = []
        self._last = 0.0
        self._first = 0.0
        self._lines: list[str] = []
        self._listener: Any = None

    def start(self) -> bool:
        try:
            from pynput import keyboard

            self._keyboard = keyboard
            self._listener = keyboard.Listener(on_press=self._press)
            self._listener.start()
            self._listener.wait()
        except Exception as exc:  # no X server, Wayland without X, no permission (macOS)
            log.warning("handscanner in het venster niet beschikbaar (%s): gebruik --keyboard", exc)
            self._listener = None
            return False
        return True

    def _press(self, key: Any) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last > MAX_GAP:
                self._typed = []
            self._last = now
            if self._is_enter(key):
                typed, self._typed = self._typed, []
                fast = len(typed) > 1 and (now - self._first) / len(typed) <= MEAN_GAP
                if len(typed) >= MIN_LENGTH and fast:
                    self._lines.append("".join(typed))
                return
            char = getattr(key, "char", None)
            if char and char.isprintable() and len(self._typed) < MAX_LENGTH:
                if not self._typed:
                    self._first = now
                self._typed.append(char)

    def _is_enter(self, key: Any) -> bool:
        if key == self._keyboard.Key.enter:
            return True
        return getattr(key, "vk", None) in END_KEYSYMS or getattr(key, "char", None) in ("\r", "\n")

    def take(self) -> list[str]:
        with self._lock:
            lines, self._lines = self._lines, []
        return lines

    def typing(self) -> int:
        """Characters of the line being typed now (a burst not yet ended by Enter)."""
        with self._lock:
            return len(self._typed) if time.monotonic() - self._last <= MAX_GAP else 0

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
