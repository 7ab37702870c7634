"""The audit trail, readable: Support › Audit, a branch's records for its promotors, and
each object's history (app.audit writes the records; app.audit_log.history reads them)."""

from flask import Blueprint

bp = Blueprint("audit_log", __name__, template_folder="templates", url_prefix="/audit")

from app.audit_log import routes  # noqa: E402,F401
