"""Decoding QR codes from camera frames and still images: the camera loop, the CLI and the
benchmark all come here.

The fast path is zxing-cpp on the greyscale frame (bench/decode.py: it reads the most real
photos and is an order of magnitude faster than pyzbar). When it finds nothing, the rest of the
frame's time budget goes to fallbacks, each aimed at one way a door degrades a code:

- the region where zxing-cpp saw a code it could not read (a finder pattern), cut out and
  upscaled, for a small or far code, then read by zxing-cpp and by pyzbar;
- zxing-cpp's fixed-threshold binariser, for motion blur;
- a blur and an Otsu threshold, for low light and sensor noise;
- denoising with a contrast stretch, and contrast equalisation (CLAHE), for dim or washed-out
  light and glare;
- sharpening (unsharp mask), for a phone screen out of focus;
- a 2x upscale of the whole frame, for a small code nothing else found.

A camera (``FrameDecoder``) spreads them over successive frames: each frame runs the next
fallbacks in turn for as long as its budget lasts, and the following frame goes on where it
stopped, so a code held up for a second meets every fallback several times while no frame
takes much longer than the budget. A still image (``decode(..., fallbacks="always")``) tries
them all at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

Decoder = Callable[[np.ndarray], list[str]]
QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
UPSCALE_MAX_SIDE = 1000  # above this a whole-frame 2x upscale costs more than a frame has
FRAME_BUDGET_MS = 15.0  # of the 33 ms a 30 fps camera gives: half is left for capture and window
MAX_REGIONS = 2
TOO_SLOW = 1.25  # a fallback costing more than this share of the budget is left out


def grey(image: np.ndarray) -> np.ndarray:
    """BGR, BGRA or greyscale in; greyscale out."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def zxing_decoder(
    image: np.ndarray, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage
) -> list[str]:
    results = zxingcpp.read_barcodes(image, formats=QR, binarizer=binarizer)
    return [r.text for r in results if r.valid and r.text]


Region = tuple[int, int, int, int]  # x0, y0, x1, y1


def zxing_with_regions(image: np.ndarray) -> tuple[list[str], list[Region]]:
    """The decoded texts, and the regions where zxing-cpp saw a code it could not read.

    The regions are the cheap signal for the most useful fallback (cut out and upscale): a
    finder pattern was found there, so a code is probably there.
    """
    results = zxingcpp.read_barcodes(image, formats=QR, return_errors=True)
    texts = [r.text for r in results if r.valid and r.text]
    regions = [_region(r.position, image.shape) for r in results if not r.valid]
    return texts, [r for r in regions if r is not None][:MAX_REGIONS]


def _region(position: zxingcpp.Position, shape: tuple[int, ...]) -> Region | None:
    points = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    xs, ys = [p.x for p in points], [p.y for p in points]
    side = max(max(xs) - min(xs), max(ys) - min(ys))
    pad = int(side * 0.35) + 8  # the whole code and its quiet zone, even from a partial find
    x0, y0 = max(0, min(xs) - pad), max(0, min(ys) - pad)
    x1, y1 = min(shape[1], max(xs) + pad), min(shape[0], max(ys) + pad)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    return x0, y0, x1, y1


def pyzbar_available() -> bool:
    """pyzbar needs the system library libzbar0 (apt-get install libzbar0)."""
    try:
        from pyzbar import pyzbar  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def pyzbar_decoder(image: np.ndarray) -> list[str]:
    from pyzbar import pyzbar

    return [
        r.data.decode("utf-8", errors="replace")
        for r in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    ]


_OPENCV = cv2.QRCodeDetector()


def opencv_decoder(image: np.ndarray) -> list[str]:
    try:
        ok, texts, _points, _straight = _OPENCV.detectAndDecodeMulti(image)
    except (cv2.error, UnicodeDecodeError):  # binary payloads are not ours anyway
        return []
    return [t for t in texts if t] if ok else []


DECODERS: dict[str, Decoder] = {
    "zxing": zxing_decoder,
    "pyzbar": pyzbar_decoder,
    "opencv": opencv_decoder,
}
_PYZBAR = pyzbar_available()


def _unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))


# The fallbacks. Each takes the grey frame and the regions zxing-cpp flagged, and returns texts.


def _stretch(image: np.ndarray) -> np.ndarray:
    return cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX)


def _upscale(image: np.ndarray, factor: float = 2.0) -> np.ndarray:
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _sharpen(image: np.ndarray, sigma: float = 2.0, amount: float = 1.0) -> np.ndarray:
    return cv2.addWeighted(image, 1 + amount, cv2.GaussianBlur(image, (0, 0), sigma), -amount, 0)


REGION_SIDE = 480  # pixels a flagged region is upscaled to (at most 3x): enough per module


def _region_factor(crop: np.ndarray) -> float:
    return min(3.0, REGION_SIDE / max(crop.shape))


def regions_upscaled(frame: np.ndarray, regions: list[Region]) -> list[str]:
    for x0, y0, x1, y1 in regions:
        crop = frame[y0:y1, x0:x1]
        factor = _region_factor(crop)
        if factor < 1.5:
            continue  # a large code: upscaling adds nothing
        larger = _upscale(crop, factor)
        found = zxing_decoder(larger) or (pyzbar_decoder(larger) if _PYZBAR else [])
        if found:
            return found
    return []


def regions_sharpened(frame: np.ndarray, regions: list[Region]) -> list[str]:
    for x0, y0, x1, y1 in regions:
        crop = frame[y0:y1, x0:x1]
        factor = max(1.0, _region_factor(crop))
        larger = _upscale(crop, factor) if factor > 1 else crop
        found = zxing_decoder(_sharpen(larger, 1.2 * factor, 1.0))
        if found:
            return found
    return []


def fixed_threshold(frame: np.ndarray, regions: list[Region]) -> list[str]:
    return zxing_decoder(frame, binarizer=zxingcpp.Binarizer.FixedThreshold)


def otsu(frame: np.ndarray, regions: list[Region]) -> list[str]:
    _, binary = cv2.threshold(
        cv2.GaussianBlur(frame, (0, 0), 1.0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU
    )
    return zxing_decoder(binary)


def denoised(frame: np.ndarray, regions: list[Region]) -> list[str]:
    return zxing_decoder(_stretch(cv2.GaussianBlur(frame, (0, 0), 1.2)))


def equalised(frame: np.ndarray, regions: list[Region]) -> list[str]:
    return zxing_decoder(_CLAHE.apply(frame))


def sharpened(frame: np.ndarray, regions: list[Region]) -> list[str]:
    return zxing_decoder(_sharpen(frame, 2.0, 1.0))


def upscaled(frame: np.ndarray, regions: list[Region]) -> list[str]:
    if max(frame.shape[:2]) > UPSCALE_MAX_SIDE:
        return []
    return zxing_decoder(_upscale(frame))


def pyzbar_denoised(frame: np.ndarray, regions: list[Region]) -> list[str]:
    return pyzbar_decoder(_stretch(cv2.GaussianBlur(frame, (0, 0), 1.2))) if _PYZBAR else []


Fallback = Callable[[np.ndarray, list[Region]], list[str]]
# In order of what they win per millisecond on the hard frames (bench/decode.py).
FALLBACKS: tuple[tuple[str, Fallback], ...] = (
    ("regions upscaled", regions_upscaled),
    ("fixed threshold", fixed_threshold),
    ("otsu", otsu),
    ("denoised", denoised),
    ("regions sharpened", regions_sharpened),
    ("equalised", equalised),
    ("sharpened", sharpened),
    ("upscaled", upscaled),
    ("pyzbar denoised", pyzbar_denoised),
)


def decode(image: np.ndarray, decoder: str = "zxing", fallbacks: bool | str = True) -> list[str]:
    """The texts of the QR codes in a BGR or greyscale image (empty when there is none).

    ``fallbacks``: "always" tries every fallback when the fast path finds nothing (still
    images); True only when the fast path saw a code it could not read; False never. A camera
    uses :class:`FrameDecoder`, which spreads the fallbacks over frames instead.
    """
    frame = grey(image)
    if decoder != "zxing":
        found = DECODERS[decoder](frame)
        if found or not fallbacks or decoder != "pyzbar":
            return _unique(found)
        return _unique(pyzbar_denoised(frame, []))
    found, regions = zxing_with_regions(frame)
    if found or not fallbacks or (fallbacks != "always" and not regions):
        return _unique(found)
    for _name, fallback in FALLBACKS:
        found = fallback(frame, regions)
        if found:
            return _unique(found)
    return []


@dataclass
class FrameResult:
    texts: list[str]
    ms: float
    steps: list[str]  # the fallbacks this frame ran


class FrameDecoder:
    """The camera's decoder: the fast path on every frame, then fallbacks in turn for the rest
    of the frame's budget, going on from where the previous frame stopped.

    A fallback is started only when its measured cost (a running average) fits what is left of
    the budget; each frame runs at least one, so every fallback gets its turn. One that costs
    more than the whole budget at this frame size (measured on its first run) is left out.
    """

    def __init__(
        self,
        budget_ms: float = FRAME_BUDGET_MS,
        fallbacks: tuple[tuple[str, Fallback], ...] = FALLBACKS,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.budget = budget_ms / 1000
        self.fallbacks = fallbacks
        self.clock = clock
        self.next = 0
        self.cost: dict[str, float] = {}
        self.last: FrameResult | None = None

    def decode(self, image: np.ndarray) -> list[str]:
        started = self.clock()
        frame = grey(image)
        found, regions = zxing_with_regions(frame)
        steps: list[str] = []
        tried = 0
        while not found and tried < len(self.fallbacks):
            name, fallback = self.fallbacks[self.next]
            tried += 1
            cost = self.cost.get(name)
            if cost is not None and cost > self.budget * TOO_SLOW:
                self.next = (self.next + 1) % len(self.fallbacks)
                continue  # never fits a frame at this size (pyzbar on a large frame)
            left = self.budget - (self.clock() - started)
            # An unmeasured fallback runs only first in a frame: a frame overruns at most once.
            if steps and (cost is None or cost > left):
                break
            step_started = self.clock()
            found = fallback(frame, regions)
            spent = self.clock() - step_started
            self.cost[name] = (
                spent if name not in self.cost else 0.7 * self.cost[name] + 0.3 * spent
            )
            steps.append(name)
            self.next = (self.next + 1) % len(self.fallbacks)
        self.last = FrameResult(_unique(found), (self.clock() - started) * 1000, steps)
        return self.last.texts
