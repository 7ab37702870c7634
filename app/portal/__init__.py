"""The portal for participants and supervisors: passwordless, by a one-time link by mail.

Its identity is separate from staff logins: a signed-in address (``app.portal.identity``),
kept under its own session key and checked against its stored sign-in on every request. Staff
pages never see it, and a staff login opens no portal page.
"""

from typing import Any

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")


@bp.context_processor
def _portal_globals() -> dict[str, Any]:
    from app.attendance.reports import percent
    from app.portal import identity

    def is_supervisor() -> bool:
        who = identity.current_identity()
        return who is not None and identity.is_supervisor(who)

    return {
        "portal_identity": identity.current_identity,
        "portal_supervisor": is_supervisor,
        "percent_of": percent,
    }


from app.portal.routes import absences, hours, participant, signing_in, supervise  # noqa: E402,F401
