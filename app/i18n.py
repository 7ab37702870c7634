"""Language and time zone: Dutch by default, English when the user chose it."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def select_locale() -> str:
    if not has_request_context():  # CLI, mail worker: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if isinstance(chosen, str) and chosen in current_app.config["LANGUAGES"]:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.language:
        return current_user.language
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "nl"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Europe/Brussels"
