"""Users and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from email_validator import EmailNotValidError, validate_email
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


def clean_email(text: str) -> str:
    """An address as the login form takes it (the same checks), lower-cased."""
    try:
        return validate_email(text or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Refusal("invalid_email", _l("This is not a valid email address.")) from exc


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


@cache
def _unknown_user_hash() -> str:
    """A hash to check a password against when no such user exists."""
    return generate_password_hash(secrets.token_urlsafe(16))


def check_login(email: str, password: str) -> User | None:
    """The user with this email and password, or None.

    A password is checked against a hash whether or not the address is known, so a wrong
    password for a known address takes as long as any password for an unknown one (the time
    would otherwise tell which addresses have an account).
    """
    user = find_user(email)
    stored = user.password_hash if user is not None else _unknown_user_hash()
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not matches:
        return None
    return user


def end_sessions(user: User) -> None:
    """End every login session of ``user`` (see ``User.session_generation``)."""
    user.session_generation += 1
    db.session.flush()


def set_password(actor: Actor, user: User, password: str) -> None:
    """Give ``user`` a new password; every session they had ends."""
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    audit.record(actor, "user.password_change", user)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal(
            "weak_password",
            _l("A password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
        )


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
    email = clean_email(email)
    if find_user(email) is not None:
        raise Refusal(
            "duplicate_email", _l("A user with this email address already exists."), status=409
        )
    _check_password(password)
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
