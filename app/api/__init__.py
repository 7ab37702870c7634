"""The JSON API under /api/v1, authenticated by bearer tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import (  # noqa: E402,F401
    absences,
    audit,
    auth,
    certificates,
    closures,
    edits,
    merging,
    parity,
    rollcall,
    routes,
    selfreports,
)

# The exchange's incoming endpoint is described with the API (one OpenAPI document) and added
# to this blueprint by create_app, which imports app.exchange.incoming: the API imports no area.
