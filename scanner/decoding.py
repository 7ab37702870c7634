"""Decoding QR codes from camera frames: one function the camera loop, the CLI and the
benchmark all call.

The fast path is zxing-cpp on the greyscale frame (measured in bench/decode.py: it decodes the
most real photos and is about an order of magnitude faster than pyzbar). Only when it finds
nothing do cheap fallbacks run: contrast equalisation (dim light, glare) and a 2x upscale for a
small or far code. Frames without any code pay the fast path plus these fallbacks, so the
fallbacks are limited to images small enough to stay cheap.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import zxingcpp

Decoder = Callable[[np.ndarray], list[str]]
_CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
UPSCALE_MAX_SIDE = 1000
SECOND_DECODER = True  # pyzbar as the last resort: it reads a few photos zxing-cpp misses  # above this the code is rarely too small; upscaling would cost too much


def grey(image: np.ndarray) -> np.ndarray:
    """BGR, BGRA or greyscale in; greyscale out."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def zxing_decoder(image: np.ndarray) -> list[str]:
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in results if r.valid and r.text]


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


def decode(image: np.ndarray, decoder: str = "zxing", fallbacks: bool = True) -> list[str]:
    """The texts of the QR codes in a BGR or greyscale image (empty when there is none)."""
    read = DECODERS[decoder]
    frame = grey(image)
    found = read(frame)
    if found or not fallbacks:
        return _unique(found)
    found = read(_CLAHE.apply(frame))
    if found:
        return _unique(found)
    if max(frame.shape[:2]) <= UPSCALE_MAX_SIDE:
        found = read(cv2.resize(frame, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
        if found:
            return _unique(found)
    if decoder != "pyzbar" and SECOND_DECODER and _PYZBAR:
        found = pyzbar_decoder(frame)
    return _unique(found)
