"""Certificates (attest van nauwgezetheid, attest van regelmatige inschrijving), the paper list
and the export for the subsidy body."""

from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")

from app.certificates import routes  # noqa: E402,F401
