"""The paper attendance list printed from the digital registrations, and the export and
submission of a project's registrations for the subsidy body."""

from flask import Blueprint

bp = Blueprint("exports", __name__, template_folder="templates")

from app.exports import routes  # noqa: E402,F401
