"""Decoding: real photos nobody here made, generated degraded frames, and frames with no code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import zxingcpp

from scanner.decoding import decode
from tests.scanner.conftest import ROOT, SHARED
from tests.scanner.frames import degraded, empty_frames

SAMPLES = SHARED / "qr-samples"
TEXT = "AZ1.AAAABwABexampleexampleexampleexampleexampleexampleexampleexampleexampleexampleexamp"


def samples() -> list[tuple[Path, str]]:
    found = []
    for image in sorted(SAMPLES.glob("*/*")):
        expected = image.with_suffix(".txt")
        if (
            image.suffix != ".txt"
            and expected.exists()
            and image.suffix in (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".pgm")
        ):
            found.append((image, expected.read_text(encoding="utf-8", errors="replace")))
    return found


@pytest.mark.skipif(
    not SAMPLES.exists(), reason="../shared/qr-samples is not beside the repository"
)
def test_real_photos_decode_at_least_as_well_as_zxing_cpp_alone():
    ours = baseline = 0
    for image_path, expected in samples():
        image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        baseline += expected in [r.text for r in zxingcpp.read_barcodes(grey)]
        ours += expected in decode(image)
    total = len(samples())
    print(f"\nreal photos decoded: {ours}/{total} (zxing-cpp alone: {baseline}/{total})")
    assert total >= 100
    assert ours >= baseline


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_generated_degraded_frames_decode(size):
    results = {name: decode(frame) for name, frame in degraded(TEXT, size).items()}
    missed = [name for name, codes in results.items() if codes != [TEXT]]
    assert not missed, missed


def test_greyscale_input_works_too():
    frame = cv2.cvtColor(degraded(TEXT)["straight"], cv2.COLOR_BGR2GRAY)
    assert decode(frame) == [TEXT]


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_no_false_positive_on_empty_frames(size):
    for frame in empty_frames(size):
        assert decode(frame) == []


def test_pyzbar_stays_selectable():
    assert decode(degraded(TEXT)["straight"], decoder="pyzbar") == [TEXT]


def test_the_decode_command_prints_one_json_line_per_file(tmp_path):
    image = tmp_path / "code.png"
    cv2.imwrite(str(image), degraded(TEXT)["tilted"])
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), empty_frames()[1])
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "decode", str(image), str(blank)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["codes"] for line in lines] == [[TEXT], []]
    assert all(line["ms"] >= 0 for line in lines) and lines[0]["file"] == str(image)
