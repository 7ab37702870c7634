"""The staff's side of the portal: supervisors on the participant's page, the self-reported
e-learning hours per training (what waits, since when, a reminder to the supervisor), and the
documents for an absence that participants sent (accept or reject)."""

from flask import Blueprint

bp = Blueprint("supervision", __name__, template_folder="templates")

from app.supervision import routes  # noqa: E402,F401
