"""Web pages for the participants area."""

from flask import Blueprint

bp = Blueprint("participants", __name__, template_folder="templates", url_prefix="/participants")

from app.participants import routes  # noqa: E402,F401
