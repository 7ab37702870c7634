"""Decoder benchmark: what the scanner reads that zxing-cpp alone and pyzbar alone do not, what
it costs per frame, and how soon a code moving into view is read.

1. Hard frames (tests/scanner/frames.py: glare, motion blur, phone at 40°, small and far, low
   light and noise; 8 of each at 640x480 and 1280x720, fixed seeds), for: zxing-cpp alone,
   pyzbar alone, the scanner on a still image (every fallback), and the scanner as the camera
   runs it (``FrameDecoder``, a 15 ms budget a frame, the same frame shown up to 10 times, a
   third of a second at 30 fps). Empty frames count as read when nothing is read.
2. Cost per frame (median, p95) with and without a code, for the same decoders.
3. The real photos in ../shared/qr-samples and the easy generated frames, as before.
4. Time to first read: a short generated video (MJPG, 30 fps) of a code sliding into view and
   stopping, played as a live camera would (a frame every 33 ms; the decoder takes the newest
   frame when it is free, so a slow decoder skips frames), from the first frame the code is
   wholly in view.

    .venv/bin/python bench/decode.py [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.decoding import (  # noqa: E402
    FrameDecoder,
    decode,
    grey,
    pyzbar_decoder,
    zxing_decoder,
)
from tests.scanner.frames import (  # noqa: E402
    code_image,
    degraded,
    empty_frames,
    hard_frames,
    hard_texts,
)

SAMPLES = ROOT.parent / "shared" / "qr-samples"
OUT = ROOT / "bench" / "out"
SIZES = ((640, 480), (1280, 720))
FPS = 30
SHOWN = 10  # frames a code is shown to the camera decoder (1/3 s at 30 fps)

Reader = Callable[[np.ndarray], list[str]]


def single(name: str) -> Reader:
    return {
        "zxing-cpp alone": lambda f: zxing_decoder(grey(f)),
        "pyzbar alone": lambda f: pyzbar_decoder(grey(f)),
        "scanner, still image": lambda f: decode(f, fallbacks="always"),
    }[name]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def timed(read: Reader, frame: np.ndarray, repeat: int) -> tuple[list[str], float]:
    best, found = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        found = read(frame)
        best = min(best, time.perf_counter() - started)
    return found, best * 1000


def warm_camera_decoder(size: tuple[int, int]) -> FrameDecoder:
    decoder = FrameDecoder()
    for frame in empty_frames(size) * 4:  # the camera runs before anyone shows a code
        decoder.decode(frame)
    return decoder


def hard_table(repeat: int) -> None:
    print(
        "| frames | decoder | read | cost with a code: median / p95 ms | empty frames: no false read | cost without a code: median / p95 ms |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for size in SIZES:
        frames = hard_frames(hard_texts(), size, per_kind=8)
        empty = empty_frames(size)
        label = f"hard {size[0]}x{size[1]}"
        for name in ("zxing-cpp alone", "pyzbar alone", "scanner, still image"):
            read = single(name)
            hits, costs = 0, []
            for _kind, frame, text in frames:
                found, ms = timed(read, frame, repeat)
                hits += text in found
                costs.append(ms)
            clean, empty_costs = 0, []
            for frame in empty * 3:
                found, ms = timed(read, frame, 1)
                clean += found == []
                empty_costs.append(ms)
            print(
                f"| {label} | {name} | {hits}/{len(frames)} | {statistics.median(costs):.1f} / {p95(costs):.1f} "
                f"| {clean}/{len(empty) * 3} | {statistics.median(empty_costs):.1f} / {p95(empty_costs):.1f} |"
            )
        # The camera: one decoder for the run, the budget on the real clock.
        decoder = warm_camera_decoder(size)
        hits, costs, needed = 0, [], []
        for _kind, frame, text in frames:
            for number in range(1, SHOWN + 1):
                found = decoder.decode(frame)
                costs.append(decoder.last.ms)
                if text in found:
                    hits += 1
                    needed.append(number)
                    break
        clean, empty_costs = 0, []
        for frame in empty * 10:
            clean += decoder.decode(frame) == []
            empty_costs.append(decoder.last.ms)
        print(
            f"| {label} | scanner, camera (≤{SHOWN} frames; median {statistics.median(needed):.0f}, max {max(needed)}) "
            f"| {hits}/{len(frames)} | {statistics.median(costs):.1f} / {p95(costs):.1f} "
            f"| {clean}/{len(empty) * 10} | {statistics.median(empty_costs):.1f} / {p95(empty_costs):.1f} |"
        )


def real_photos() -> list[tuple[np.ndarray, str]]:
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


def easy_table(repeat: int) -> None:
    text = hard_texts(1)[0]
    sets: dict[str, list[tuple[np.ndarray, str]]] = {"real photos": real_photos()}
    for size in SIZES:
        generated = []
        for payload in (text, text[:60], text[:30]):
            generated += [(frame, payload) for frame in degraded(payload, size).values()]
        sets[f"generated {size[0]}x{size[1]}"] = generated
    print("| frames | decoder | read | median ms | p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    for set_name, frames in sets.items():
        if not frames:
            continue
        for name in ("zxing-cpp alone", "pyzbar alone", "scanner, still image"):
            read = single(name)
            hits, costs = 0, []
            for frame, expected in frames:
                found, ms = timed(read, frame, repeat)
                hits += expected in found
                costs.append(ms)
            print(
                f"| {set_name} | {name} | {hits}/{len(frames)} ({hits / len(frames):.0%}) "
                f"| {statistics.median(costs):.1f} | {p95(costs):.1f} |"
            )


# Time to first read.


def moving_video(path: Path, text: str, condition: str, size: tuple[int, int] = (1280, 720)) -> int:
    """A code on a white card slides in from the left over 0.8 s, slowing down, then is held
    still; motion blur follows its speed. Returns the first frame with the code wholly in view."""
    width, height = size
    rng = np.random.default_rng(5)
    card = cv2.copyMakeBorder(
        code_image(text, box=8), 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=(250, 250, 250)
    )
    side = int(height * (0.16 if condition == "far away" else 0.42))
    card = cv2.resize(card, (side, side), interpolation=cv2.INTER_AREA)
    background = cv2.GaussianBlur(
        rng.integers(60, 160, (height, width, 3), dtype=np.uint8), (0, 0), 6
    )
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (width, height))
    start_x, end_x, y = -side, int(width * 0.45), (height - side) // 2
    moving = int(0.8 * FPS)
    first_in_view = None
    previous = start_x
    for number in range(int(2.0 * FPS)):
        t = min(1.0, number / moving)
        x = int(start_x + (end_x - start_x) * (1 - (1 - t) ** 3))  # ease out
        frame = background.copy()
        x0, x1 = max(0, x), min(width, x + side)
        if x1 > x0:
            frame[y : y + side, x0:x1] = card[:, x0 - x : x1 - x]
        speed = abs(x - previous)
        previous = x
        length = int(speed * 0.5)  # exposure of half the frame time
        if length >= 2:
            kernel = np.zeros((1, length), np.float32)
            kernel[0, :] = 1 / length
            frame = cv2.filter2D(frame, -1, kernel)
        out = frame.astype(np.float32)
        if condition == "low light and noise":
            out = out * 0.07 + rng.normal(0, 6, out.shape)
        elif condition == "far away":
            out = cv2.GaussianBlur(out, (0, 0), 0.7) + rng.normal(0, 4, out.shape)
        elif condition == "glare":
            yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
            cx, cy = end_x + side * 0.55, y + side * 0.45
            out = (
                out * 0.6
                + 90
                + np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (side * 0.14) ** 2))[..., None]
                * 200
            )
        writer.write(np.clip(out, 0, 255).astype(np.uint8))
        if first_in_view is None and x >= 0:
            first_in_view = number
    writer.release()
    return first_in_view or 0


def live_first_read(path: Path, text: str, first_in_view: int, read: Reader) -> float | None:
    """Seconds from the first frame with the code in view to the read, with frames arriving
    every 1/30 s and the decoder taking the newest frame when it is free."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    clock = 0.0
    while True:
        newest = min(len(frames) - 1, int(clock * FPS))
        if newest == len(frames) - 1 and clock > len(frames) / FPS + 1:
            return None
        started = time.perf_counter()
        found = read(frames[newest])
        clock = max(clock, newest / FPS) + (time.perf_counter() - started)
        if text in found:
            return clock - first_in_view / FPS
        if newest == len(frames) - 1 and not found:
            clock += 1 / FPS
            if clock > len(frames) / FPS + 1:
                return None
        else:
            clock = max(clock, (newest + 1) / FPS)


def video_table() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    text = hard_texts(1)[0]
    print(
        "| video (1280x720, 30 fps, a code slides in over 0.8 s and stops; from the first frame it is wholly in view) | zxing-cpp alone | pyzbar alone | scanner, camera |"
    )
    print("| --- | --- | --- | --- |")
    for condition in ("normal light", "low light and noise", "glare", "far away"):
        path = OUT / f"moving-{condition.replace(' ', '-')}.avi"
        first = moving_video(path, text, condition)
        cells = []
        for name in ("zxing-cpp alone", "pyzbar alone", "camera"):
            read = warm_camera_decoder((1280, 720)).decode if name == "camera" else single(name)
            seconds = live_first_read(path, text, first, read)
            cells.append("not read" if seconds is None else f"{seconds * 1000:.0f} ms")
        print(f"| {condition} | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="runs per frame; the fastest counts")
    parser.add_argument("--quick", action="store_true", help="hard frames and video only")
    parser.add_argument("--video-only", action="store_true", help="time to first read only")
    args = parser.parse_args()
    if args.video_only:
        video_table()
        return 0
    hard_table(args.repeat)
    print()
    video_table()
    if not args.quick:
        print()
        easy_table(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
