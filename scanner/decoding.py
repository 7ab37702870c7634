"""Decoding QR codes from camera frames: one function the camera loop, the CLI and the
benchmark all call.

The fast path is zxing-cpp on the greyscale frame (measured in bench/decode.py: it decodes the
most real photos and is about an order of magnitude faster than pyzbar). Only when it saw a code
it could not read do the fallbacks run: contrast equalisation (dim light, glare), a 2x upscale
for a small or far code, and pyzbar as a second decoder. A frame with no code at all, what most
camera frames are, costs one zxing-cpp pass.
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


def zxing_with_candidates(image: np.ndarray) -> tuple[list[str], bool]:
    """The decoded texts, and whether zxing-cpp saw a code it could not read.

    The second answer is the cheap signal that decides whether the fallbacks are worth running:
    a frame with no code at all (most camera frames) then costs one zxing-cpp pass only.
    """
    results = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode, return_errors=True
    )
    texts = [r.text for r in results if r.valid and r.text]
    return texts, any(not r.valid for r in results)


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


def decode(image: np.ndarray, decoder: str = "zxing", fallbacks: bool | str = True) -> list[str]:
    """The texts of the QR codes in a BGR or greyscale image (empty when there is none).

    ``fallbacks``: True (the camera default) tries them only when the fast path saw a code it
    could not read; "always" also tries them on frames where it saw nothing (still images);
    False never.
    """
    read = DECODERS[decoder]
    frame = grey(image)
    if decoder == "zxing":
        found, candidate = zxing_with_candidates(frame)
    else:
        found, candidate = read(frame), False
    if found or not fallbacks or (fallbacks != "always" and not candidate):
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
