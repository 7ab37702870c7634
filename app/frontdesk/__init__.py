"""The front desk: today's sessions at a glance, reminding a trainer, enrolling a walk-in.

An area of its own above attendance and participants: it uses both (who is in today, enrolling
someone), and neither needs it.
"""

from flask import Blueprint

bp = Blueprint("frontdesk", __name__, template_folder="templates")

from app.frontdesk import routes  # noqa: E402,F401
