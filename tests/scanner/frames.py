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


# Hard frames: what defeats a single decoder pass at a real door. Each kind comes at several
# strengths drawn from a fixed seed, from "a careful trainer" to "a phone held at an angle under
# a ceiling light"; the strengths were chosen so that zxing-cpp alone fails on a good share.
HARD_KINDS = ("glare", "motion blur", "phone at 40°", "small and far", "low light and noise")


def _jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def _place(
    code: np.ndarray, size: tuple[int, int], side: int, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[int, int, int]]:
    """The code (side x side) at a random place on a textured background; returns the frame and
    where the code is (x, y, side)."""
    width, height = size
    frame = rng.integers(70, 170, (height, width, 3), dtype=np.uint8)
    frame = cv2.GaussianBlur(frame, (0, 0), 5)
    resized = cv2.resize(code, (side, side), interpolation=cv2.INTER_AREA)
    x = int(rng.integers(width // 10, max(width // 10 + 1, width - side - width // 10)))
    y = int(rng.integers(height // 10, max(height // 10 + 1, height - side - height // 10)))
    frame[y : y + side, x : x + side] = resized
    return frame, (x, y, side)


def hard_glare(code: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    frame, (x, y, side) = _place(code, size, int(min(size) * rng.uniform(0.38, 0.5)), rng)
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = x + side * rng.uniform(0.3, 0.7), y + side * rng.uniform(0.3, 0.7)
    radius = side * rng.uniform(0.1, 0.17)
    spot = np.exp(-(((xx - cx) ** 2) + ((yy - cy) ** 2)) / (2 * radius**2))
    veil = rng.uniform(70, 110)  # a washed-out picture: the light on the lens
    out = frame.astype(np.float32) * rng.uniform(0.5, 0.65) + veil
    out += spot[..., None] * rng.uniform(150, 240)  # the reflection burns a patch to white
    return _jpeg(np.clip(out, 0, 255).astype(np.uint8), 80)


def hard_motion(code: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    side = int(min(size) * rng.uniform(0.4, 0.55))
    frame, _ = _place(code, size, side, rng)
    module = side / 45  # about 37 modules and the quiet zone
    length = max(3, int(module * rng.uniform(1.1, 1.8)))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    angle = rng.uniform(-30, 30)
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    kernel /= kernel.sum()
    blurred = cv2.filter2D(frame, -1, kernel)
    noise = rng.normal(0, 3, blurred.shape)
    return _jpeg(np.clip(blurred + noise, 0, 255).astype(np.uint8), 80)


def hard_phone(code: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A code on a phone screen turned 40° away, with the screen's glow, its pixel grid and a
    reflection."""
    screen = cv2.copyMakeBorder(code, 40, 90, 24, 24, cv2.BORDER_CONSTANT, value=(235, 240, 245))
    screen = cv2.copyMakeBorder(screen, 14, 14, 14, 14, cv2.BORDER_CONSTANT, value=(15, 15, 15))
    side = int(min(size) * rng.uniform(0.4, 0.55))
    frame, _ = _place(np.full((10, 10, 3), 100, np.uint8), size, 1, rng)  # the background
    sh, sw = screen.shape[:2]
    scale = side / sh
    sw_, sh_ = sw * scale, sh * scale
    angle = np.radians(40 + rng.uniform(-3, 3))
    near = sh_ * (1 + 0.22 * np.sin(angle))  # the near edge looks taller: perspective
    far = sh_ * (1 - 0.22 * np.sin(angle))
    width_seen = sw_ * np.cos(angle)
    x0 = float(rng.uniform(size[0] * 0.1, size[0] * 0.9 - width_seen))
    y0 = size[1] / 2
    flip = rng.random() < 0.5
    left, right = (near, far) if not flip else (far, near)
    dst = np.float32(
        [[x0, y0 - left / 2], [x0 + width_seen, y0 - right / 2],
         [x0 + width_seen, y0 + right / 2], [x0, y0 + left / 2]]
    )  # fmt: skip
    src = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(screen, matrix, size, borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((sh, sw), 255, np.uint8), matrix, size) > 0
    frame[mask] = warped[mask]
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    f = min(size) / 480  # the same scene at a higher resolution: the grid and blur scale with it
    grid = 1 + 0.14 * np.sin(xx * rng.uniform(1.9, 2.3) / f) * np.sin(
        yy * rng.uniform(1.9, 2.3) / f
    )
    streak = np.exp(-(((xx - yy * 0.6 - rng.uniform(0, w)) / (w * 0.05)) ** 2)) * rng.uniform(
        60, 110
    )
    out = frame.astype(np.float32) * grid[..., None] * 0.85 + streak[..., None] * mask[..., None]
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.9, 1.5) * f)
    out += rng.normal(0, 6, out.shape)
    return _jpeg(np.clip(out, 0, 255).astype(np.uint8), 75)


def hard_small(code: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    side = int(45 * rng.uniform(1.7, 2.5))  # 1.7 to 2.5 pixels per module
    frame, _ = _place(code, size, side, rng)
    frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.5, 0.8))
    noise = rng.normal(0, 4, frame.shape)
    return _jpeg(np.clip(frame + noise, 0, 255).astype(np.uint8), 70)


def hard_low_light(code: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    frame, _ = _place(code, size, int(min(size) * rng.uniform(0.3, 0.45)), rng)
    dark = frame.astype(np.float32) * rng.uniform(0.05, 0.09)
    shot = rng.poisson(np.maximum(dark, 0) * 2) / 2  # photon noise
    out = shot + rng.normal(0, rng.uniform(5, 8), frame.shape)  # sensor noise
    return _jpeg(np.clip(out, 0, 255).astype(np.uint8), 75)


_HARD = {
    "glare": hard_glare,
    "motion blur": hard_motion,
    "phone at 40°": hard_phone,
    "small and far": hard_small,
    "low light and noise": hard_low_light,
}


def hard_frames(
    texts: list[str], size: tuple[int, int] = (640, 480), per_kind: int = 6, seed: int = 11
) -> list[tuple[str, np.ndarray, str]]:
    """(kind, frame, text) for every hard kind, ``per_kind`` frames each, from a fixed seed."""
    rng = np.random.default_rng([seed, size[0], size[1]])
    frames = []
    for kind in HARD_KINDS:
        for number in range(per_kind):
            text = texts[number % len(texts)]
            frames.append((kind, _HARD[kind](code_image(text, box=8), size, rng), text))
    return frames


def hard_texts(count: int = 5) -> list[str]:
    """Real participant codes (98 characters, QR version 5), signed with a fixed test key so
    the hard frames are the same on every run."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from qr import sign_code

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return [sign_code(key, 1000 + number, 1) for number in range(count)]
