"""A USB hand scanner typing into the window: it types a code and Enter as a keyboard would.

OpenCV's window cannot take that: its Qt backend keeps one key between two polls and drops
case, so a fast burst of typing loses characters. The keys are read instead from the system's
own key events, with the right characters: on Linux from the X server's RECORD extension
through python-xlib (pure Python: a laptop needs no compiler to install it), elsewhere through
pynput's keyboard listener. Only a burst counts as a scan: at least ``MIN_LENGTH`` characters
then Enter, on average at most ``MEAN_GAP`` between two keys (a fast typist needs 80 ms or more),
never a pause of ``MAX_GAP``. Nothing else typed is kept or logged.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("aanwezig.scanner")
MIN_LENGTH = 8
MEAN_GAP = 0.04  # seconds between two keys of a scanner's burst, on average
MAX_GAP = 0.3  # a longer pause starts a new line
MAX_LENGTH = 4096
# Return, keypad Enter and Linefeed: what hand scanners send after a code (X11 keysyms).
END_KEYSYMS = {0xFF0D, 0xFF8D, 0xFF0A}
ENTER = "\n"


def keysym_text(keysym: int) -> str | None:
    """The character of an X11 keysym, Enter as a line feed, or None for other keys."""
    if keysym in END_KEYSYMS:
        return ENTER
    if 0x20 <= keysym <= 0x7E or 0xA0 <= keysym <= 0xFF:  # Latin-1 keysyms are their code point
        return chr(keysym)
    if keysym & 0xFF000000 == 0x01000000:  # the Unicode keysyms
        return chr(keysym & 0xFFFFFF)
    return None


class X11Keys:
    """Key presses of the whole X display, from its RECORD extension (as xdotool sees them)."""

    def __init__(self, on_text: Callable[[str], None]):
        from Xlib import XK, X, display
        from Xlib.ext import record
        from Xlib.protocol import rq

        self._x, self._xk, self._record, self._rq = X, XK, record, rq
        self.on_text = on_text
        self.local = display.Display()
        self.recording = display.Display()
        if not self.recording.has_extension("RECORD"):
            raise RuntimeError("the X server has no RECORD extension")
        self.context = self.recording.record_create_context(
            0,
            [record.AllClients],
            [
                {
                    "core_requests": (0, 0),
                    "core_replies": (0, 0),
                    "ext_requests": (0, 0, 0, 0),
                    "ext_replies": (0, 0, 0, 0),
                    "delivered_events": (0, 0),
                    "device_events": (X.KeyPress, X.KeyRelease),
                    "errors": (0, 0),
                    "client_started": False,
                    "client_died": False,
                }
            ],
        )
        self.shift = False
        self.shift_keys = {
            self.local.keysym_to_keycode(XK.XK_Shift_L),
            self.local.keysym_to_keycode(XK.XK_Shift_R),
        }
        self.thread = threading.Thread(target=self._run, name="handscanner", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.recording.record_enable_context(self.context, self._handle)
            self.recording.record_free_context(self.context)
        except Exception:  # the display went away: the hand scanner stops with it
            log.debug("X11 key listener stopped", exc_info=True)

    def _handle(self, reply: Any) -> None:
        if reply.category != self._record.FromServer or reply.client_swapped:
            return
        data = reply.data
        while data:
            event, data = self._rq.EventField(None).parse_binary_value(
                data, self.recording.display, None, None
            )
            if event.detail in self.shift_keys:
                self.shift = event.type == self._x.KeyPress
                continue
            if event.type != self._x.KeyPress:
                continue
            keysym = self.local.keycode_to_keysym(event.detail, 1 if self.shift else 0)
            text = keysym_text(keysym or self.local.keycode_to_keysym(event.detail, 0))
            if text is not None:
                self.on_text(text)

    def stop(self) -> None:
        self.local.record_disable_context(self.context)
        self.local.flush()


class PynputKeys:
    """Key presses through pynput (Windows, macOS)."""

    def __init__(self, on_text: Callable[[str], None]):
        from pynput import keyboard

        self.on_text = on_text
        self.enter = keyboard.Key.enter
        self.listener = keyboard.Listener(on_press=self._press)
        self.listener.start()
        self.listener.wait()

    def _press(self, key: Any) -> None:
        if key == self.enter:
            self.on_text(ENTER)
            return
        char = getattr(key, "char", None)
        if char:
            self.on_text(char)

    def stop(self) -> None:
        self.listener.stop()


class HandScanner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._typed: list[str] = []
        self._last = 0.0
        self._first = 0.0
        self._lines: list[str] = []
        self._source: X11Keys | PynputKeys | None = None

    def start(self) -> bool:
        try:
            if sys.platform.startswith("linux"):
                self._source = X11Keys(self.key)
            else:
                self._source = PynputKeys(self.key)
        except Exception as exc:  # no X server (Wayland only), no permission (macOS)
            log.warning("handscanner in het venster niet beschikbaar (%s): gebruik --keyboard", exc)
            return False
        return True

    def key(self, text: str, now: float | None = None) -> None:
        """One key: a character, or ``ENTER``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if now - self._last > MAX_GAP:
                self._typed = []
            self._last = now
            if text == ENTER:
                typed, self._typed = self._typed, []
                fast = len(typed) > 1 and (now - self._first) / len(typed) <= MEAN_GAP
                if len(typed) >= MIN_LENGTH and fast:
                    self._lines.append("".join(typed))
                return
            if text.isprintable() and len(self._typed) < MAX_LENGTH:
                if not self._typed:
                    self._first = now
                self._typed.append(text)

    def take(self) -> list[str]:
        with self._lock:
            lines, self._lines = self._lines, []
        return lines

    def typing(self) -> int:
        """Characters of the line being typed now (a burst not yet ended by Enter)."""
        with self._lock:
            return len(self._typed) if time.monotonic() - self._last <= MAX_GAP else 0

    def stop(self) -> None:
        if self._source is not None:
            try:
                self._source.stop()
            except Exception:
                log.debug("hand scanner listener did not stop cleanly", exc_info=True)
