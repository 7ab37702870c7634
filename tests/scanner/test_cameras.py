"""Choosing the camera: --list-cameras, --camera N remembered, and the saved settings."""

from __future__ import annotations

import argparse
import json

import numpy as np

from scanner import cameras, cli
from scanner.config import Settings
from tests.helpers.scanner import run_scanner


def test_list_cameras_says_plainly_when_there_is_none(tmp_path):
    done = run_scanner(None, tmp_path, "--list-cameras")
    assert done.returncode == 1 and "Geen camera gevonden" in done.stdout, done.stdout


class FakeCamera:
    """Stands in for cv2.VideoCapture: this machine has no camera."""

    def __init__(self, index: int):
        self.index = index

    def read(self) -> tuple[bool, np.ndarray]:
        return True, np.zeros((480, 640, 3), np.uint8)

    def release(self) -> None:
        pass


def test_the_camera_that_worked_is_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("AANWEZIG_SCANNER_CONFIG", str(tmp_path / "scanner.json"))
    monkeypatch.setattr(
        cameras, "open_camera", lambda index: FakeCamera(index) if index == 2 else None
    )
    monkeypatch.setattr(cameras, "list_cameras", lambda: [cameras.Camera(2, "USB Camera")])
    args = argparse.Namespace(video=None, camera=2, decoder="zxing")
    frames = cli.open_frames(args, Settings.load())
    assert frames.capture.index == 2
    frames.close()
    assert Settings.load().camera == 2
    # Next time without --camera: the remembered one.
    again = cli.open_frames(
        argparse.Namespace(video=None, camera=None, decoder="zxing"), Settings.load()
    )
    assert again.capture.index == 2
    again.close()
    # A camera that gives no picture is not remembered, and the others are named.
    try:
        cli.open_frames(argparse.Namespace(video=None, camera=0, decoder="zxing"), Settings.load())
    except cli.Stop as stop:
        assert "2: USB Camera" in str(stop) and "--camera N" in str(stop)
    else:
        raise AssertionError("camera 0 opened")
    assert Settings.load().camera == 2


def test_reset_forgets_the_pairing_but_not_the_camera_and_a_damaged_file_is_no_file(
    tmp_path, monkeypatch
):
    path = tmp_path / "scanner.json"
    monkeypatch.setenv("AANWEZIG_SCANNER_CONFIG", str(path))
    monkeypatch.delenv("AANWEZIG_SERVER", raising=False)
    monkeypatch.delenv("AANWEZIG_TOKEN", raising=False)
    Settings(server="https://a.example.org", token="azt_x", device_name="Laptop", camera=1).save()
    assert path.stat().st_mode & 0o777 == 0o600
    settings = Settings.load()
    settings.forget_pairing()
    settings.save()
    assert json.loads(path.read_text()) == {
        "server": None, "token": None, "device_name": None, "camera": 1,
    }  # fmt: skip
    path.write_text("{not json")
    assert Settings.load() == Settings()


def test_a_hand_scanners_burst_is_a_code_and_a_persons_typing_is_not():
    from scanner.handscanner import ENTER, HandScanner

    hand = HandScanner()
    code = "AZ1.AAAAAgABcVAowhtLJMLNH64Xq"
    for number, char in enumerate(code + ENTER):
        hand.key(char, now=100 + number * 0.004)  # 4 ms a key
    for number, char in enumerate("hello world" + ENTER):
        hand.key(char, now=200 + number * 0.12)  # a fast typist
    for number, char in enumerate("AZ1." + ENTER):
        hand.key(char, now=300 + number * 0.004)  # too short for a code
    for number, char in enumerate("AZ1.AAAA"):
        hand.key(char, now=400 + number * 0.004)
    hand.key(ENTER, now=401)  # a pause before Enter: a new line, empty
    assert hand.take() == [code]
