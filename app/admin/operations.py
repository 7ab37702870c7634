"""Support's changes to users, branches and closure days; each audited. They flush; the caller commits.

An administrator registered at a branch (the local access administrator) manages only the users
of that branch; branches and closure days concern the whole organisation and are for central
support (an administrator without a branch).
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit, checks
from app.audit import Actor
from app.auth import operations as accounts
from app.errors import Forbidden, NotFound, Refusal
from app.extensions import db
from app.models import Branch, ClosureDay, PartnerOrganisation, Role, User
from app.planning.timing import forget_closure_days

USER_FIELDS = ("email", "name", "role", "branch_id", "active")


def _local_branch(actor: Actor) -> int | None:
    """The branch a local administrator is limited to; None for central support."""
    return actor.user.branch_id if actor.user is not None else None


def _check_branch(actor: Actor, branch: Branch | None) -> None:
    local = _local_branch(actor)
    if local is not None and (branch is None or branch.id != local):
        raise Forbidden(_l("You can only manage users of your own branch."))


def _check_user(actor: Actor, user: User) -> None:
    local = _local_branch(actor)
    if local is not None and user.branch_id != local:
        raise NotFound("user")


def require_central(actor: Actor) -> None:
    if _local_branch(actor) is not None:
        raise Forbidden(_l("Only central support manages branches and closure days."))


def create_user(
    actor: Actor, email: str, role: Role, password: str, branch: Branch | None, name: str = ""
) -> User:
    _check_branch(actor, branch)
    name = checks.text((name or "").strip(), "name")
    return accounts.create_user(actor, email, role, password, branch, name)


def change_user(actor: Actor, user: User, role: Role, branch: Branch | None) -> None:
    _check_user(actor, user)
    _check_branch(actor, branch)
    if actor.user is not None and user.id == actor.user.id:
        if role != Role.ADMIN:
            raise Refusal("own_role", _l("You cannot take away your own admin role."))
        if branch is not None and branch.id != user.branch_id:
            raise Refusal("own_branch", _l("You cannot limit your own account to a branch."))
    before = audit.snapshot(user, USER_FIELDS)
    user.role = role
    user.branch = branch
    db.session.flush()
    audit.record(actor, "user.change", user, before, audit.snapshot(user, USER_FIELDS))


def set_active(actor: Actor, user: User, active: bool) -> None:
    _check_user(actor, user)
    if actor.user is not None and user.id == actor.user.id:
        raise Refusal("own_account", _l("You cannot deactivate your own account."))
    if user.active == active:
        return
    before = audit.snapshot(user, USER_FIELDS)
    user.active = active
    if not active:
        accounts.end_sessions(user)
    db.session.flush()
    audit.record(
        actor,
        "user.activate" if active else "user.deactivate",
        user,
        before,
        audit.snapshot(user, USER_FIELDS),
    )


def create_branch(actor: Actor, name: str) -> Branch:
    require_central(actor)
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the branch's name."))
    if db.session.scalars(select(Branch).where(Branch.name == name)).first():
        raise Refusal("duplicate_branch", _l("A branch with this name already exists."))
    branch = Branch(name=name)
    db.session.add(branch)
    db.session.flush()
    audit.record(actor, "branch.create", branch, after={"name": name})
    return branch


def update_user(
    actor: Actor,
    user: User,
    name: str,
    email: str,
    role: Role,
    branch: Branch | None,
    partner: PartnerOrganisation | None,
) -> None:
    """Change a user's name, email, role, branch or partner organisation; audited."""
    change_user(actor, user, role, branch)
    email = accounts.clean_email(email)
    holder = accounts.find_user(email)
    if holder is not None and holder.id != user.id:
        raise Refusal(
            "duplicate_email",
            _l("A user with this email address already exists."),
            status=409,
            field="email",
        )
    before = audit.snapshot(user, (*USER_FIELDS, "partner_id"))
    user.name = checks.text((name or "").strip(), "name")
    if email != user.email:
        accounts.end_sessions(user)  # the old address no longer logs in anywhere
    user.email = email
    user.partner = partner
    db.session.flush()
    audit.record(
        actor, "user.change", user, before, audit.snapshot(user, (*USER_FIELDS, "partner_id"))
    )


def rename_branch(actor: Actor, branch: Branch, name: str) -> None:
    require_central(actor)
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the branch's name."), field="name")
    other = db.session.scalars(select(Branch.id).where(Branch.name == name)).first()
    if other is not None and other != branch.id:
        raise Refusal(
            "duplicate_branch", _l("A branch with this name already exists."), field="name"
        )
    before = {"name": branch.name}
    branch.name = name
    db.session.flush()
    audit.record(actor, "branch.change", branch, before, {"name": name})


def save_partner(
    actor: Actor, partner: PartnerOrganisation | None, name: str, branches: list[Branch]
) -> PartnerOrganisation:
    """Create a partner organisation or change it; its branches are its work relations."""
    require_central(actor)
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the organisation's name."), field="name")
    other = db.session.scalars(
        select(PartnerOrganisation.id).where(PartnerOrganisation.name == name)
    ).first()
    if other is not None and (partner is None or other != partner.id):
        raise Refusal(
            "duplicate_partner", _l("An organisation with this name already exists."), field="name"
        )
    before = None
    if partner is None:
        partner = PartnerOrganisation(name=name)
        db.session.add(partner)
    else:
        before = {"name": partner.name, "branches": sorted(b.id for b in partner.branches)}
    partner.name = name
    partner.branches = list(branches)
    db.session.flush()
    after = {"name": partner.name, "branches": sorted(b.id for b in partner.branches)}
    audit.record(
        actor, "partner.create" if before is None else "partner.change", partner, before, after
    )
    return partner


def add_closure_day(actor: Actor, day: date, label: str, today: date | None = None) -> ClosureDay:
    """A day the organisation is closed. Not in the past: it would move registration
    deadlines that already passed, and sessions locked by them would open again."""
    require_central(actor)
    checks.day(day, "day")
    checks.text(label or "", "label")
    if today is not None and day < today:
        raise Refusal(
            "closure_in_past",
            _l("A closure day in the past would move deadlines that already passed."),
            field="day",
        )
    if db.session.scalars(select(ClosureDay).where(ClosureDay.day == day)).first():
        raise Refusal("duplicate_closure", _l("This day is already a closure day."))
    closure = ClosureDay(day=day, label=(label or "").strip())
    db.session.add(closure)
    db.session.flush()
    audit.record(
        actor, "closure_day.create", closure, after={"day": day.isoformat(), "label": closure.label}
    )
    forget_closure_days()
    return closure


def remove_closure_day(actor: Actor, closure: ClosureDay, today: date) -> None:
    """Take back a closure day that has not come yet (a past one stays: see above)."""
    require_central(actor)
    if closure.day < today:
        raise Refusal(
            "closure_in_past",
            _l("A closure day in the past would move deadlines that already passed."),
        )
    audit.record(
        actor,
        "closure_day.delete",
        closure,
        before={"day": closure.day.isoformat(), "label": closure.label},
    )
    db.session.delete(closure)
    db.session.flush()
    forget_closure_days()
