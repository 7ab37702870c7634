"""Users and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app import audit
from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import ApiToken, Branch, Role, User
from app.security import hash_api_token, new_api_token

MIN_PASSWORD_LENGTH = 10


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


def check_login(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def get_or_create_branch(name: str) -> Branch:
    branch = db.session.scalars(select(Branch).where(Branch.name == name)).first()
    if branch is None:
        branch = Branch(name=name)
        db.session.add(branch)
        db.session.flush()
    return branch


def create_user(
    actor: Actor,
    email: str,
    role: Role,
    password: str,
    branch: Branch | None = None,
    name: str = "",
) -> User:
    email = email.strip().lower()
    if find_user(email) is not None:
        raise Refusal(
            "duplicate_email", _l("A user with this email address already exists."), status=409
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal(
            "weak_password",
            _l("A password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
        )
    user = User(
        email=email,
        name=name,
        role=role,
        branch=branch,
        password_hash=generate_password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor, "user.create", user, after=audit.snapshot(user, ("email", "role", "branch_id"))
    )
    return user


def issue_token(actor: Actor, user: User, label: str = "") -> str:
    """Create a token for ``user``; the plain text is returned once and never stored."""
    plain = new_api_token()
    token = ApiToken(user=user, label=label or "", token_hash=hash_api_token(plain))
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "token.create", token, after={"user_id": user.id, "label": token.label})
    return plain


def revoke_token(actor: Actor, token: ApiToken, now: datetime) -> None:
    token.revoked_at = now
    db.session.flush()
    audit.record(actor, "token.revoke", token, after={"revoked_at": now.isoformat()})
