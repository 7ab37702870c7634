"""Logging in and out, passwords, API tokens."""

from __future__ import annotations

from flask import Blueprint, Flask

from app.extensions import db, login_manager

bp = Blueprint("auth", __name__, template_folder="templates")


def init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.domain.limits import id_in_range
    from app.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """The user of a login session, while its generation is the user's current one."""
        user_id, _, generation = session_id.partition(":")
        if not (user_id.isdigit() and generation.isdigit()) or not id_in_range(int(user_id)):
            return None
        user = db.session.get(User, int(user_id))
        if user is None or str(user.session_generation) != generation:
            return None
        return user


from app.auth import routes  # noqa: E402,F401
