"""Command-line commands: users, tokens, demo data, mail delivery, the background worker."""

from __future__ import annotations

import secrets
from datetime import date
from typing import NoReturn

import click
from flask import Flask
from flask.cli import with_appcontext

from app import checks
from app.audit import Actor
from app.auth.operations import create_user, find_user, get_or_create_branch, issue_token
from app.clock import now as clock_now
from app.domain.cutoff import BRUSSELS
from app.errors import Refusal
from app.extensions import db
from app.models import Role
from app.timing import forget_closure_days


def register(app: Flask) -> None:
    for command in (
        create_user_command,
        create_token_command,
        set_password_command,
        demo_command,
        send_mail_command,
        digest_command,
        worker_command,
        closure_command,
    ):
        app.cli.add_command(command)


def _fail(refusal: Refusal) -> NoReturn:
    raise click.ClickException(str(refusal.message))


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--branch", default=None, help="Branch name (created when new).")
@click.option("--password", default=None, help="Generated and printed when omitted.")
@click.option("--name", default="")
@click.option(
    "--keep-password",
    is_flag=True,
    help="No change asked at the first login (a service account, a test); by default a user "
    "given an initial password chooses their own when they first log in.",
)
def create_user_command(
    email: str, role: str, branch: str | None, password: str | None, name: str, keep_password: bool
) -> None:
    """Create a user who can log in to the web admin."""
    shown = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = create_user(
            Actor(None),
            email,
            Role(role),
            password,
            get_or_create_branch(checks.text(branch, "branch")) if branch else None,
            checks.text(name, "name"),
            must_change=not keep_password,
        )
    except Refusal as refusal:
        db.session.rollback()
        _fail(refusal)
    db.session.commit()
    click.echo(
        f"Created {user.role.value} {user.email}" + (f" with password {password}" if shown else "")
    )


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.password_option(help="Asked for twice when omitted.")
def set_password_command(email: str, password: str) -> None:
    """Give a user a new password; every session they had ends."""
    from app.auth.operations import set_password

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user {email}.")
    try:
        set_password(Actor(None), user, password, clock_now())
    except Refusal as refusal:
        db.session.rollback()
        _fail(refusal)
    db.session.commit()
    click.echo(f"New password set for {user.email}; their sessions have ended.")


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--label", default="cli")
def create_token_command(email: str, label: str) -> None:
    """Create an API token for a user; the token is printed on the last line."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user {email}.")
    plain = issue_token(Actor(None), user, label)
    db.session.commit()
    click.echo(f"Token for {user.email} (shown once):")
    click.echo(plain)


@click.command("demo-data")
@with_appcontext
@click.option("--password", default=None)
def demo_command(password: str | None) -> None:
    """Load demo data (once) and print the logins."""
    from app.demo import load_demo

    for line in load_demo(clock_now(), password):
        click.echo(line)


@click.command("send-mail")
@with_appcontext
@click.option("--loop/--once", default=False, help="Keep delivering (a worker for mail only).")
def send_mail_command(loop: bool) -> None:
    """Deliver the outbox's due mail over SMTP."""
    from flask import current_app

    from app.mail.outbox import KIND, MAKERS, deliver_pending, smtp_configured

    if not smtp_configured():
        raise click.ClickException("SMTP_HOST is not set: mail stays in the outbox.")
    if loop:
        # With the links asked for on the login and portal pages: making them is making mail.
        kinds = [*MAKERS, KIND]
        # current_app is typed as the Flask it stands for, not as the werkzeug proxy it is;
        # the proxy's own method hands over the real app (the worker outlives this context).
        _run_worker(current_app._get_current_object(), kinds=kinds)  # type: ignore[attr-defined]
        return
    from app.clock import clock_of
    from app.settings import settings

    sent, failed = deliver_pending(clock_of(current_app), settings())
    click.echo(f"sent {sent}, failed {failed}")


@click.command("send-digest")
@with_appcontext
def digest_command() -> None:
    """Queue today's digest mails now (the workers do it each working day from DIGEST_TIME);
    someone who had today's digest gets no second one."""
    from app.digest import send_digests
    from app.domain.cutoff import BRUSSELS
    from app.extensions import db

    now = clock_now()
    queued = send_digests(now.astimezone(BRUSSELS).date(), now)
    db.session.commit()
    click.echo(f"queued {queued} digest mails")


@click.command("worker")
@with_appcontext
@click.option("--batch", type=click.IntRange(1, 100), default=None, help="Jobs claimed at once.")
@click.option(
    "--poll", type=click.FloatRange(0.05, 60), default=None, help="Seconds between looks."
)
def worker_command(batch: int | None, poll: float | None) -> None:
    """Run the background jobs (the outbox's mail first) until SIGTERM or Ctrl-C.

    Any number of workers may run, on any number of machines, against one database: each job
    is claimed by one of them. On SIGTERM the job in hand is finished and the others claimed
    are given back.
    """
    from flask import current_app

    # current_app is typed as the Flask it stands for, not as the werkzeug proxy it is;
    # the proxy's own method hands over the real app (the worker outlives this context).
    _run_worker(current_app._get_current_object(), batch=batch, poll=poll)  # type: ignore[attr-defined]


def _run_worker(
    app: Flask,
    *,
    kinds: list[str] | None = None,
    poll: float | None = None,
    batch: int | None = None,
) -> None:
    import logging
    import signal

    from app.jobs.worker import Worker
    from app.logs import configure_json_logging

    level = str(app.config.get("LOG_LEVEL", "INFO")).upper()
    if str(app.config.get("LOG_FORMAT")).lower() == "json":
        configure_json_logging(level)
    else:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = Worker(app, kinds=kinds, poll=poll, batch=batch)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    click.echo(f"worker {worker.name} running; SIGTERM or Ctrl-C stops it", err=True)
    worker.run()


@click.command("add-closure-day")
@with_appcontext
@click.argument("day")
@click.option("--label", default="")
def closure_command(day: str, label: str) -> None:
    """Add a day the organisation is closed (not a working day for deadlines)."""
    from app.planning.closures import add_closure_day

    try:
        parsed = date.fromisoformat(day)
    except ValueError as exc:
        raise click.BadParameter("give the day as YYYY-MM-DD", param_hint="DAY") from exc
    try:
        add_closure_day(Actor(None), parsed, label, clock_now().astimezone(BRUSSELS).date())
    except Refusal as refusal:
        db.session.rollback()
        if refusal.code != "duplicate_closure":
            _fail(refusal)
    else:
        db.session.commit()
        forget_closure_days()
    click.echo(f"Closure day {parsed.isoformat()} recorded.")
