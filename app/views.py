"""Helpers shared by the web views: choices for selects, the acting user, refusals shown."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from urllib.parse import urlsplit

from flask import flash, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.forms import Form
from app.models import Branch, User
from app.text import has_control_characters, has_line_breaks


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 wants SelectChoice objects)."""
    return [SelectChoice(value, label) for value, label in pairs]


def branch_choices(user: User) -> list[tuple[str, str]]:
    """The branches a user may plan for: their own, or all for central support."""
    query = select(Branch).order_by(Branch.name)
    if user.branch_id is not None:
        query = query.where(Branch.id == user.branch_id)
    return [(b.name, b.name) for b in db.session.scalars(query)]


def actor() -> Actor:
    return Actor(current_user._get_current_object())


class refusals_shown:
    """Show a refusal raised inside the block to the user instead of an error page.

    The request's changes so far are rolled back at once, so the page shown next reflects
    what is stored. The reason goes next to ``field`` of ``form`` (the user keeps what they
    typed), on top of ``form``, or into a flashed message; the view then carries on after the
    block, typically rendering the form again. A success is committed once, at the end of the
    request (``app.db.Application``).

    A class, not a ``@contextmanager`` generator: its ``__exit__`` answers ``bool``, which tells
    mypy that a refusal may end the block and the code after it runs.
    """

    def __init__(self, form: Form | None = None, field: str | None = None) -> None:
        self.form = form
        self.field = field

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        refusal: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if not isinstance(refusal, Refusal):
            return False
        db.session.rollback()
        message = _with_link(refusal)
        form = self.form
        if form is None:
            flash(message, "error")
            return True
        # The field the refusal names, when the form has it; else the one the view chose.
        field = self.field
        named = refusal.details.get("field")
        if isinstance(named, str) and isinstance(getattr(form, named, None), Field):
            field = named
        target = getattr(form, field) if field else None
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            form.form_errors.append(message)
        return True


def _with_link(refusal: Refusal) -> str:
    """The refusal's message, with a link to the existing record a duplicate points at."""
    existing = refusal.details.get("participant_id")
    if existing is None:
        return str(refusal.message)
    link = url_for("participants.detail", participant_id=existing)
    return Markup('{} <a href="{}">{}</a>').format(
        refusal.message, link, _l("Open the existing record")
    )


def local_target(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect).

    Parsed as a URL: no scheme, no host, a single leading slash, and no character a browser
    would drop or turn into a slash (tabs, line breaks, backslashes), which would make
    ``/\t/evil.example`` reach ``//evil.example``.
    """
    if not target or len(target) > 2000:
        return None
    if has_control_characters(target) or has_line_breaks(target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//"):
        return None
    return target
