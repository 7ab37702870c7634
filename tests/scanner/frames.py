"""Frames made for the tests: codes rendered, degraded the way a door and a webcam degrade them."""

from __future__ import annotations

import cv2
import numpy as np

from qr.images import code_png


def code_image(text: str, box: int = 6) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(code_png(text, box_size=box), np.uint8), cv2.IMREAD_COLOR)


def on_background(
    code: np.ndarray, size: tuple[int, int] = (640, 480), scale: float = 0.5, seed: int = 0
) -> np.ndarray:
    """The code somewhere in a busy, greyish frame of the given size (width, height)."""
    width, height = size
    rng = np.random.default_rng(seed)
    frame = rng.integers(60, 180, (height, width, 3), dtype=np.uint8)
    frame = cv2.GaussianBlur(frame, (0, 0), 6)
    side = int(min(width, height) * scale)
    resized = cv2.resize(code, (side, side), interpolation=cv2.INTER_AREA)
    y, x = (height - side) // 2, (width - side) // 3
    frame[y : y + side, x : x + side] = resized
    return frame


def tilt(frame: np.ndarray, degrees: float = 25) -> np.ndarray:
    h, w = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(frame, matrix, (w, h), borderValue=(128, 128, 128))


def perspective(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * 0.08, h * 0.05], [w * 0.95, 0], [w, h], [0, h * 0.92]])
    return cv2.warpPerspective(
        frame, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(128, 128, 128)
    )


def blur(frame: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    return cv2.GaussianBlur(frame, (0, 0), sigma)


def motion(frame: np.ndarray, length: int = 7) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return cv2.filter2D(frame, -1, kernel)


def dim(frame: np.ndarray, factor: float = 0.25) -> np.ndarray:
    return (frame.astype(np.float32) * factor).astype(np.uint8)


def glare(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    spot = np.exp(-(((xx - w * 0.4) ** 2) + ((yy - h * 0.45) ** 2)) / (2 * (w * 0.12) ** 2)) * 140
    return np.clip(frame.astype(np.float32) + spot[..., None], 0, 255).astype(np.uint8)


def phone_screen(code: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """A code on a bright screen with a dark bezel, slightly tilted, with screen noise."""
    screen = cv2.copyMakeBorder(code, 30, 60, 20, 20, cv2.BORDER_CONSTANT, value=(245, 245, 245))
    screen = cv2.copyMakeBorder(screen, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=(20, 20, 20))
    frame = on_background(screen, size, 0.7, seed=3)
    noise = np.random.default_rng(4).normal(0, 8, frame.shape)
    return tilt(np.clip(frame + noise, 0, 255).astype(np.uint8), -12)


def small(code: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    return on_background(code, size, 0.16, seed=5)


def empty_frames(size: tuple[int, int] = (640, 480)) -> list[np.ndarray]:
    """Frames with no code: noise, a blank wall, stripes, a chessboard-like pattern."""
    width, height = size
    rng = np.random.default_rng(7)
    stripes = np.tile(np.repeat(np.array([30, 220], np.uint8), 8), width // 16 + 1)[:width]
    board = ((np.indices((height, width)).sum(axis=0) // 20) % 2 * 200 + 20).astype(np.uint8)
    return [
        rng.integers(0, 255, (height, width, 3), dtype=np.uint8),
        np.full((height, width, 3), 128, np.uint8),
        cv2.cvtColor(np.tile(stripes, (height, 1)), cv2.COLOR_GRAY2BGR),
        cv2.cvtColor(board, cv2.COLOR_GRAY2BGR),
        cv2.GaussianBlur(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), (0, 0), 3),
    ]


def degraded(text: str, size: tuple[int, int] = (640, 480)) -> dict[str, np.ndarray]:
    code = code_image(text)
    base = on_background(code, size)
    return {
        "straight": base,
        "tilted": tilt(base),
        "perspective": perspective(base),
        "blurred": blur(base),
        "motion": motion(base),
        "dim": dim(base),
        "glare": glare(base),
        "phone screen": phone_screen(code, size),
        "small and far": small(code, size),
    }
