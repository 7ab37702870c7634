"""The scanner speaks Dutch at the door, its --help and its argument errors included."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args], capture_output=True, text=True, timeout=60
    )


def test_help_has_dutch_headings():
    done = run("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("gebruik: aanwezig-scan")
    assert "opties:" in done.stdout and "toon deze hulp en stop" in done.stdout
    assert "usage:" not in done.stdout and "show this help" not in done.stdout


def test_a_wrong_argument_is_explained_in_dutch():
    done = run("--camera", "x")
    assert done.returncode == 2
    assert "fout: argument --camera: geen geheel getal: 'x'" in done.stderr
    assert "invalid" not in done.stderr
