"""Render a code as a PNG image."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def code_png(text: str, box_size: int = 8, border: int = 4) -> bytes:
    """Return a PNG of the QR code for ``text``.

    Error correction M survives a cracked phone screen or a crease in paper while keeping the
    module count low enough for a laptop camera at arm's length.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
