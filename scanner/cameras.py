"""Finding the laptop's cameras: ``--list-cameras`` and ``--camera N``."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import cv2

V4L = Path("/sys/class/video4linux")
PROBE = 6  # indexes tried where the system cannot list its cameras (Windows, macOS)


@dataclass(frozen=True, slots=True)
class Camera:
    index: int
    name: str

    def __str__(self) -> str:
        return f"{self.index}: {self.name}"


def _linux_names() -> dict[int, str]:
    names = {}
    for node in sorted(V4L.glob("video*")):
        number = node.name[len("video") :]
        if number.isdigit():
            try:
                names[int(number)] = (node / "name").read_text().strip() or node.name
            except OSError:
                names[int(number)] = node.name
    return names


def open_camera(index: int) -> cv2.VideoCapture | None:
    """The camera, opened and giving pictures, or None."""
    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        return None
    ok, _ = capture.read()
    if not ok:
        capture.release()
        return None
    return capture


def list_cameras() -> list[Camera]:
    """The cameras that give a picture now, with their names where the system tells them."""
    if sys.platform.startswith("linux"):
        names = _linux_names()
        indexes = sorted(names)
    else:
        names, indexes = {}, list(range(PROBE))
    found = []
    for index in indexes:
        capture = open_camera(index)
        if capture is not None:
            capture.release()
            found.append(Camera(index, names.get(index, f"camera {index}")))
    return found
