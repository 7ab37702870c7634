"""Helpers shared by the web views: run one operation, commit or show why it was refused."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import flash
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import Branch, User

T = TypeVar("T")


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


def attempt(
    operation: Callable[[], T], success: str | None = None, form=None, field: str | None = None
) -> T | None:  # type: ignore[no-untyped-def]
    """Run ``operation`` and commit; on a refusal roll back and show the reason.

    With a ``form`` (and optionally a ``field``) the reason is shown next to that field, so the
    user keeps what they typed; otherwise it is flashed.
    """
    try:
        result = operation()
        db.session.commit()
    except Refusal as refusal:
        db.session.rollback()
        if form is not None:
            target = getattr(form, field) if field else None
            if target is not None:
                target.errors = [*target.errors, str(refusal.message)]
            else:
                form.form_errors.append(str(refusal.message))
        else:
            flash(str(refusal.message), "error")
        return None
    if success:
        flash(success, "success")
    return result
