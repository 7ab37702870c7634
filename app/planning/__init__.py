"""Web pages for the planning area."""

from flask import Blueprint

bp = Blueprint("planning", __name__, template_folder="templates")

from app.planning.routes import dashboard, projects, series, sessions, trainings  # noqa: E402,F401
