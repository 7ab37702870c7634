"""Users and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash as _werkzeug_hash

from app import audit, jobs, links
from app.audit import Actor
from app.db import changed_rows
from app.domain.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from app.errors import Refusal
from app.extensions import db
from app.models import ApiToken, Branch, PasswordReset, Role, User
from app.security import hash_api_token, new_api_token

MIN_PASSWORD_LENGTH = MIN_LENGTH
RESET_PURPOSE = "password-reset"


def clean_email(text: str) -> str:
    """An address as the login form takes it (the same checks), lower-cased."""
    try:
        return validate_email(text or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Refusal("invalid_email", _l("This is not a valid email address.")) from exc


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


def generate_password_hash(password: str) -> str:
    """A password hash with the configured method: scrypt in production; the test settings
    choose a cheap one, since scrypt's deliberate cost was most of an integration test's
    setup. Hashes of any method are checked alike, so a change of method needs no migration."""
    return _werkzeug_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _unknown_user_hash(method: str) -> str:
    """A hash to check a password against when no such user exists (of the configured method,
    so that check costs what a real user's does)."""
    return _werkzeug_hash(secrets.token_urlsafe(16), method=method)


def check_login(email: str, password: str) -> User | None:
    """The user with this email and password, or None.

    A password is checked against a hash whether or not the address is known, so a wrong
    password for a known address takes as long as any password for an unknown one (the time
    would otherwise tell which addresses have an account).
    """
    user = find_user(email)
    stored = (
        user.password_hash
        if user is not None
        else _unknown_user_hash(current_app.config["PASSWORD_HASH_METHOD"])
    )
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not matches:
        return None
    return user


def end_sessions(user: User) -> None:
    """End every login session of ``user`` (see ``User.session_generation``)."""
    user.session_generation += 1
    db.session.flush()


def set_password(
    actor: Actor, user: User, password: str, now: datetime, chosen: bool = False
) -> None:
    """Give ``user`` a new password; every session they had ends, and so does every reset link
    not used yet. ``chosen``: the user chose it themselves (otherwise, set by an operator on
    the command line, they must choose their own at the next login)."""
    check_password(password, user.email, user.name)
    user.password_hash = generate_password_hash(password)
    user.must_change_password = not chosen
    end_sessions(user)
    void_reset_links(user, now)
    audit.record(actor, "user.password_change", user, after={"chosen_by_user": chosen})


def void_reset_links(user: User, now: datetime) -> None:
    """End every reset link of ``user`` not used yet (a new password; a deactivation)."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


def check_password(password: str, email: str = "", name: str = "") -> None:
    """Refuse a password that is short or guessable (``app.domain.passwords``)."""
    problem = password_problem(password or "", [email, name, "aanwezig"])
    if problem == "too_short":
        raise Refusal(
            "weak_password",
            _l("A password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    if problem == "too_long":
        raise Refusal(
            "weak_password",
            _l("A password has at most %(n)s characters.", n=MAX_LENGTH),
            field="password",
        )
    if problem == "guessable":
        raise Refusal(
            "guessable_password",
            _l(
                "This password is too easy to guess: it is a common password, or built from "
                "one, from a name or from your address. A few unrelated words make a good one."
            ),
            field="password",
        )


def change_password(actor: Actor, user: User, current: str, new: str, now: datetime) -> None:
    """The user changes their own password; the current one is required."""
    if not check_password_hash(user.password_hash, current or ""):
        raise Refusal("wrong_password", _l("The current password is not right."), field="current")
    if new == current:
        raise Refusal(
            "same_password", _l("Choose a password other than the current one."), field="password"
        )
    set_password(actor, user, new, now, chosen=True)


def set_digest(actor: Actor, user: User, enabled: bool) -> None:
    """Switch the user's daily digest mail on or off (docs/rules.md, "Daily digest")."""
    if user.digest_enabled == enabled:
        return
    before = {"digest_enabled": user.digest_enabled}
    user.digest_enabled = enabled
    db.session.flush()
    audit.record(actor, "user.digest", user, before, {"digest_enabled": enabled})


def reset_minutes() -> int:
    return int(current_app.config["PASSWORD_RESET_MINUTES"])


def send_reset_link(actor: Actor, user: User, now: datetime) -> PasswordReset | None:
    """Mail ``user`` a one-time link to choose a new password (valid ``PASSWORD_RESET_MINUTES``).

    Asked for by the user (``actor`` without a user) or sent by support, who never sees the
    link nor the password. A deactivated user gets nothing.
    """
    if not user.active:
        return None
    nonce = links.new_nonce()
    reset = PasswordReset(
        user=user,
        nonce_hash=links.nonce_hash(nonce),
        requested_at=now,
        requested_by_id=actor.user_id,
        expires_at=now + timedelta(minutes=reset_minutes()),
    )
    db.session.add(reset)
    db.session.flush()
    token = links.make_token(RESET_PURPOSE, links.LinkKey(reset.id, nonce))
    _queue_reset_mail(user, links.external_url("auth.reset_password", token=token), reset)
    audit.record(
        actor,
        "user.password_reset_link",
        user,
        after={"reset_id": reset.id, "by_support": bool(actor.user_id)},
    )
    return reset


def _queue_reset_mail(user: User, link: str, reset: PasswordReset) -> None:
    """A personal mail: sealed while it waits, emptied once sent (``app.mail.outbox``)."""
    from email.message import EmailMessage

    from app.mail import outbox

    with force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        context = {"user": user, "link": link, "minutes": reset_minutes()}
        message = EmailMessage()
        message["Subject"] = _("Choose a new password for Aanwezig")
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = user.email
        message.set_content(render_template("mail/password_reset.txt", **context))
        message.add_alternative(
            render_template("mail/password_reset.html", **context), subtype="html"
        )
    outbox.queue(message, purpose=RESET_MAIL, user_id=user.id, expires_at=reset.expires_at)


RESET_MAIL = "password_reset"
RESET_REQUEST = "password.reset_request"


def request_reset(email: str) -> None:
    """The login page's "forgot password": only stores the request (``app.mail.asked``), so the
    page answers alike, and as fast, for an address with or without an account."""
    from app.mail import asked

    asked.ask(RESET_REQUEST, email.strip().lower())


def _make_reset_mail(payload: Mapping[str, Any], run: jobs.Run) -> None:
    """In the worker: an active user with this address gets a reset link; anyone else nothing."""
    email = payload.get("email")
    user = find_user(email) if isinstance(email, str) else None
    if user is not None:
        send_reset_link(Actor(None), user, run.now)


def register_jobs() -> None:
    from app.mail import asked

    asked.register(RESET_REQUEST, _make_reset_mail)


def find_reset(token: str, now: datetime) -> PasswordReset:
    """The unused, unexpired reset a link names, or a refusal that says what is wrong."""
    try:
        key = links.read_token(RESET_PURPOSE, token, reset_minutes() * 60)
    except links.LinkExpired:
        raise _expired() from None
    except links.LinkInvalid:
        raise _invalid() from None
    reset = db.session.get(PasswordReset, key.row_id) if 0 < key.row_id < 2**31 else None
    if reset is None or reset.nonce_hash != links.nonce_hash(key.nonce):
        raise _invalid()
    if reset.used_at is not None:
        raise Refusal(
            "link_used",
            _l("This link was used already. Ask for a new one if you still need it."),
            status=410,
        )
    if reset.expires_at < now:
        raise _expired()
    if not reset.user.active:
        raise _invalid()
    return reset


def _expired() -> Refusal:
    return Refusal(
        "link_expired",
        _l("This link has expired. Ask for a new one: it arrives in a minute."),
        status=410,
    )


def _invalid() -> Refusal:
    return Refusal("link_invalid", _l("This link is not valid (it may be incomplete)."), status=404)


def reset_password(token: str, password: str, now: datetime) -> User:
    """Use a reset link once: the new password is set and every session of the user ends."""
    reset = find_reset(token, now)
    check_password(password, reset.user.email, reset.user.name)
    # Claimed in one statement: of two requests with the same link, one sets the password.
    claimed = changed_rows(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed != 1:
        raise Refusal("link_used", _l("This link was used already."), status=410)
    set_password(Actor(reset.user), reset.user, password, now, chosen=True)
    return reset.user


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
    must_change: bool = True,
) -> User:
    """A new user with an initial password, which they must replace by their own at the first
    login (``must_change``; the demo's and the tests' users keep theirs)."""
    email = clean_email(email)
    if find_user(email) is not None:
        raise Refusal(
            "duplicate_email", _l("A user with this email address already exists."), status=409
        )
    check_password(password, email, name)
    user = User(
        email=email,
        name=name,
        role=role,
        branch=branch,
        password_hash=generate_password_hash(password),
        must_change_password=must_change,
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
