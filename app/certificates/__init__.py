"""Certificates for paid educational leave: the attest van nauwgezetheid (per lesson period)
and the attest van regelmatige inschrijving, stored with their figures and never changed."""

from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")

from app.certificates import operations, routes  # noqa: E402,F401  (routes; immutability guard)
