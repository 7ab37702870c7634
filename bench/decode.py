"""Decoder benchmark: success rate and time per frame, side by side.

Frames: the real photos in ../shared/qr-samples (at their own size) and frames generated at
640x480 and 1280x720 (tilt, perspective, blur, motion, dim light, glare, phone screen, small and
far), plus empty frames (what most camera frames are). Each decoder is `scanner.decoding.decode`
with one backend; "zxing+fallbacks" is the scanner's default.

    .venv/bin/python bench/decode.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.decoding import decode  # noqa: E402
from tests.scanner.frames import degraded, empty_frames  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "qr-samples"
TEXT = "AZ1.AAAAKgABk0mGzdH7eTQ5mcB8q3pQvHT1r2Hk0pXcmE8s5Ew1PZx7bRrFh9kG3aVnWq2LzYt6oJcDuM4iNfS0lXyBwKe"
RUNS = (
    ("zxing+fallbacks (default)", "zxing", True),
    ("zxing+fallbacks always", "zxing", "always"),
    ("zxing", "zxing", False),
    ("pyzbar", "pyzbar", False),
    ("opencv", "opencv", False),
)


def real_photos() -> list[tuple[object, str]]:
    photos = []
    for image in sorted(SAMPLES.glob("*/*")):
        expected = image.with_suffix(".txt")
        if (
            image.suffix in (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".pgm")
            and expected.exists()
        ):
            frame = cv2.imread(str(image), cv2.IMREAD_COLOR)
            if frame is not None:
                photos.append((frame, expected.read_text(encoding="utf-8", errors="replace")))
    return photos


def measure(
    frames: list[tuple[object, str | None]], backend: str, fallbacks: bool | str, repeat: int
) -> tuple[int, list[float]]:
    hits, times = 0, []
    for frame, expected in frames:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            codes = decode(frame, backend, fallbacks)  # type: ignore[arg-type]
            best = min(best, time.perf_counter() - started)
        times.append(best * 1000)
        hits += (expected in codes) if expected is not None else (codes == [])
    return hits, times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="runs per frame; the fastest counts")
    args = parser.parse_args()
    sets = {"real photos": [(f, t) for f, t in real_photos()]}
    for size in ((640, 480), (1280, 720)):
        label = f"{size[0]}x{size[1]}"
        generated = []
        for seed_text in (TEXT, TEXT[:60], TEXT[:30]):
            generated += [(frame, seed_text) for frame in degraded(seed_text, size).values()]
        sets[f"generated {label}"] = generated
        sets[f"empty {label}"] = [(frame, None) for frame in empty_frames(size)]
    print("| decoder | frames | decoded (or, for empty: no false code) | median ms | p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, backend, fallbacks in RUNS:
        for set_name, frames in sets.items():
            if not frames:
                continue
            hits, times = measure(frames, backend, fallbacks, args.repeat)
            print(
                f"| {name} | {set_name} | {hits}/{len(frames)} ({hits / len(frames):.0%}) "
                f"| {statistics.median(times):.1f} | {p95(times):.1f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
