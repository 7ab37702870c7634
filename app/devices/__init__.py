"""Scanners as devices: pairing one in a single scan, as pretix pairs its scanners.

The tokens page (app/auth) issues a pairing token and shows it as a QR code with the server's
address; the scanner exchanges it here, authenticated by the pairing token itself, for its own
API token with a device name. The long-lived token thus never appears on a screen.
"""

from flask import Blueprint

bp = Blueprint("devices", __name__, url_prefix="/api/v1/devices")

from app.devices import api  # noqa: E402,F401
