"""Support's changes to users, branches and closure days; each audited."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit
from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import Branch, ClosureDay, Role, User
from app.planning.timing import forget_closure_days

USER_FIELDS = ("email", "role", "branch_id", "active")


def change_user(actor: Actor, user: User, role: Role, branch: Branch | None) -> None:
    if actor.user is not None and user.id == actor.user.id and role != Role.ADMIN:
        raise Refusal("own_role", _l("You cannot take away your own admin role."))
    before = audit.snapshot(user, USER_FIELDS)
    user.role = role
    user.branch = branch
    db.session.flush()
    audit.record(actor, "user.change", user, before, audit.snapshot(user, USER_FIELDS))


def set_active(actor: Actor, user: User, active: bool) -> None:
    if actor.user is not None and user.id == actor.user.id:
        raise Refusal("own_account", _l("You cannot deactivate your own account."))
    before = audit.snapshot(user, USER_FIELDS)
    user.active = active
    db.session.flush()
    audit.record(
        actor,
        "user.activate" if active else "user.deactivate",
        user,
        before,
        audit.snapshot(user, USER_FIELDS),
    )


def create_branch(actor: Actor, name: str) -> Branch:
    name = name.strip()
    if db.session.scalars(select(Branch).where(Branch.name == name)).first():
        raise Refusal("duplicate_branch", _l("A branch with this name already exists."))
    branch = Branch(name=name)
    db.session.add(branch)
    db.session.flush()
    audit.record(actor, "branch.create", branch, after={"name": name})
    return branch


def add_closure_day(actor: Actor, day: date, label: str) -> ClosureDay:
    if db.session.scalars(select(ClosureDay).where(ClosureDay.day == day)).first():
        raise Refusal("duplicate_closure", _l("This day is already a closure day."))
    closure = ClosureDay(day=day, label=label or "")
    db.session.add(closure)
    db.session.flush()
    audit.record(
        actor, "closure_day.create", closure, after={"day": day.isoformat(), "label": label}
    )
    forget_closure_days()
    return closure
