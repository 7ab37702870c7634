"""The JSON API under /api/v1, authenticated by bearer tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import audit, auth, edits, parity, routes  # noqa: E402,F401
from app.exchange import incoming  # noqa: E402,F401
