"""The JSON API under /api/v1, authenticated by bearer tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import absences, audit, auth, edits, parity, rollcall, routes  # noqa: E402,F401

# The exchange's incoming endpoint is described with the API (one OpenAPI document) and added
# to this blueprint by create_app, which imports app.exchange.incoming: the API imports no area.
