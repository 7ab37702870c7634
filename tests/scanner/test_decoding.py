"""Decoding: real photos nobody here made, generated degraded frames, and frames with no code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import zxingcpp

from scanner.decoding import FALLBACKS, FrameDecoder, decode, grey, pyzbar_decoder, zxing_decoder
from tests.helpers.preconditions import by_design_reason
from tests.helpers.scanner import ROOT, SHARED
from tests.scanner.frames import HARD_KINDS, degraded, empty_frames, hard_frames, hard_texts

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
    not SAMPLES.exists(),
    reason=by_design_reason("the photos in ../shared/qr-samples are not beside the repository"),
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


# Hard frames: 8 of each kind (glare, motion blur, phone at 40°, small and far, low light and
# noise) at each size. The minimums were recorded on 2026-12-01 with zxing-cpp 3.1.1, zbar
# 0.23.92 and OpenCV 5.0: a decoder (ours, or a library after an upgrade) that reads fewer
# fails here. bench/decode.py prints the same counts with their cost.
HARD_MINIMUM = {
    (640, 480): {"zxing-cpp alone": 16, "pyzbar alone": 20, "scanner": 35},
    (1280, 720): {"zxing-cpp alone": 23, "pyzbar alone": 19, "scanner": 37},
}


def hard_counts(size: tuple[int, int]) -> dict[str, int]:
    counts = dict.fromkeys(HARD_MINIMUM[size], 0)
    for _kind, frame, text in hard_frames(hard_texts(), size, per_kind=8):
        counts["zxing-cpp alone"] += text in zxing_decoder(grey(frame))
        counts["pyzbar alone"] += text in pyzbar_decoder(grey(frame))
        counts["scanner"] += text in decode(frame, fallbacks="always")
    return counts


@pytest.mark.parametrize("size", sorted(HARD_MINIMUM))
def test_hard_frames_are_read_at_least_as_often_as_recorded(size):
    counts = hard_counts(size)
    print(f"\nhard frames {size}: {counts} of {8 * len(HARD_KINDS)}")
    assert all(counts[name] >= least for name, least in HARD_MINIMUM[size].items()), counts
    # Clearly more than either library alone.
    assert counts["scanner"] >= 1.5 * max(counts["zxing-cpp alone"], counts["pyzbar alone"])


class FakeClock:
    """Time that passes only when a fallback runs: 9 ms each, so a frame's budget of 20 ms fits
    two; the test does not depend on how busy the machine is."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def costing(self, fallback):  # type: ignore[no-untyped-def]
        def run(frame, regions):  # type: ignore[no-untyped-def]
            self.now += 0.009
            return fallback(frame, regions)

        return run


def test_the_camera_spreads_the_fallbacks_over_frames_within_the_budget():
    clock = FakeClock()
    fallbacks = tuple((name, clock.costing(f)) for name, f in FALLBACKS)
    frames_needed = []
    for _kind, frame, text in hard_frames(hard_texts(), (640, 480), per_kind=8):
        if text in zxing_decoder(grey(frame)) or text not in decode(frame, fallbacks="always"):
            continue  # read by the fast path, or by nothing
        decoder = FrameDecoder(budget_ms=20, fallbacks=fallbacks, clock=clock)
        for blank in empty_frames()[:3] * 3:  # the camera runs before anyone shows a code
            decoder.decode(blank)
        for number in range(1, 20):
            found = decoder.decode(frame)
            assert len(decoder.last.steps) <= 2, decoder.last.steps  # never over the budget
            if found:
                assert found == [text]
                frames_needed.append(number)
                break
        else:
            pytest.fail(f"not read within 20 frames: {_kind}")
    # Every fallback had its turn within five frames (9 fallbacks, two a frame, in turn).
    assert frames_needed and max(frames_needed) <= 5, frames_needed


def test_the_camera_decoder_goes_on_where_the_last_frame_stopped():
    clock = FakeClock()
    ran: list[str] = []

    def nothing(name):  # type: ignore[no-untyped-def]
        def run(frame, regions):  # type: ignore[no-untyped-def]
            ran.append(name)
            clock.now += 0.009
            return []

        return run

    decoder = FrameDecoder(
        budget_ms=20, fallbacks=tuple((n, nothing(n)) for n in "abcde"), clock=clock
    )
    blank = empty_frames()[1]
    for _ in range(7):
        assert decoder.decode(blank) == []
    # Unmeasured, a fallback runs only first in a frame; measured, two fit: in turn, round.
    assert ran == ["a", "b", "c", "d", "e", "a", "b", "c", "d", "e"]


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_the_camera_decoder_reads_nothing_on_empty_frames(size):
    decoder = FrameDecoder()
    for _ in range(3):  # every fallback gets its turn on each kind of empty frame
        for frame in empty_frames(size):
            assert decoder.decode(frame) == []
