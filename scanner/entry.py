"""The ``aanwezig-scan`` command: says how to install the scanner's libraries when they are
missing (the server's own install leaves them out: they are the ``scanner`` extra)."""

from __future__ import annotations

import sys

SCANNER_LIBRARIES = {"cv2", "zxingcpp", "pyzbar", "miniaudio", "Xlib", "pynput", "numpy"}


def main() -> int:
    try:
        from scanner.cli import main as run
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in SCANNER_LIBRARIES:
            raise
        print(
            f"aanwezig-scan mist de bibliotheek {exc.name}. Installeer de scanner met: "
            'python3 -m pip install ".[scanner]" (in een kopie van de repository van de server).',
            file=sys.stderr,
        )
        return 2
    return run()
