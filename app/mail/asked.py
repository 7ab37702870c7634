"""Mails asked for on a public page (a password reset, a portal sign-in link).

The page only stores a job and answers; the worker looks the address up and makes the mail.
So the answer takes the same time whether the address has an account or not (a lookup, a
token and a rendered mail took about twice as long for a known address, which told who has an
account), and it never says which it was (docs/security.md, "Account existence").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import update

from app import jobs
from app.extensions import db
from app.mail import outbox
from app.models import Job


def register(name: str, make: Callable[[Mapping[str, Any]], None]) -> None:
    """A kind of asked-for mail: ``make(payload)`` runs in the worker with the links' base."""

    def perform(job: jobs.Claimed) -> None:
        with _as_asked(job.payload):
            make(job.payload)
        # What was typed on the page (perhaps nobody's address) is not kept once handled.
        db.session.execute(update(Job).where(Job.id == job.id).values(payload={}))

    jobs.register(jobs.JobKind(name, perform=perform))
    if name not in outbox.MAKERS:
        outbox.MAKERS.append(name)


def ask(name: str, email: str, **facts: Any) -> None:
    """Store the request as a job (in the caller's transaction): the same work for any address."""
    base = request.host_url if has_request_context() else None
    jobs.enqueue(name, {"email": email, "base_url": base, **facts})


@contextmanager
def _as_asked(payload: Mapping[str, Any]) -> Iterator[None]:
    """Links made in the worker point where they would have from the page: ``PUBLIC_URL`` when
    set (``app.links.external_url``), else the address the page was asked on."""
    base = payload.get("base_url")
    if current_app.config.get("PUBLIC_URL") or not isinstance(base, str) or not base:
        yield
        return
    with current_app.test_request_context(base_url=base):
        yield
