"""The scanner in the browser: a page of the server that scans with a laptop's or phone's camera.

The page is a shell that holds nothing personal, so a service worker can keep it for offline use;
everything it shows comes from the API with the page's own scanner token (an ``ApiToken`` with a
device name, listed and revoked on *Scannertokens* like a paired laptop scanner). It gets that
token in one step: the signed-in user confirms it here (``POST /scan/device``, CSRF-protected),
or the page reads a pairing code and exchanges it at ``POST /api/v1/devices/pair``. Scans go to
``POST /api/v1/scans`` through a journal in the browser (IndexedDB) with their nonce, as the
laptop scanner's SQLite journal does.
"""

from flask import Blueprint

bp = Blueprint("webscan", __name__, template_folder="templates")

from app.webscan import routes  # noqa: E402,F401
