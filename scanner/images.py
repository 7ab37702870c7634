"""Reading a still image for ``aanwezig-scan decode`` (and pairing from a photo), safely.

The size is read from the file's header first (Pillow opens lazily) and an image larger than
``MAX_PIXELS`` is refused before a single pixel is decoded: a 40,000 x 40,000 PNG is a few
megabytes on disk but 4.8 GB once decoded.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

# 50 megapixels: a 48 MP phone photo (8000 x 6000) still passes; decoded it takes 150 MB.
MAX_PIXELS = 50_000_000
# Our check (below Pillow's) replaces Pillow's own, which refuses without saying the size.
Image.MAX_IMAGE_PIXELS = None


class ImageRefused(Exception):
    """A file that is not read, with a stable ``code`` and a message in Dutch."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def read_image(name: str | Path) -> np.ndarray:
    """The image as a BGR array, or :class:`ImageRefused` saying why not."""
    path = Path(name)
    if not path.is_file():
        raise ImageRefused("not_found", f"{path} bestaat niet of is geen bestand.")
    try:
        with Image.open(path) as header:  # reads the header only
            width, height = header.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused(
            "unreadable", f"{path} is geen afbeelding die gelezen kan worden."
        ) from exc
    if width * height > MAX_PIXELS:
        raise ImageRefused("too_large", too_large_message(path, width, height))
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageRefused("unreadable", f"{path} is geen afbeelding die gelezen kan worden.")
    return image


def too_large_message(path: Path, width: int, height: int) -> str:
    return (
        f"{path} is te groot om te lezen ({width} x {height} pixels): hoogstens {MAX_PIXELS // 1_000_000} megapixels. "
        "Verklein de afbeelding of snij de code eruit."
    )
