"""Mails asked for on a public page (a password reset, a portal sign-in link).

The page only stores a job and answers; the worker looks the address up and makes the mail.
So the answer takes the same time whether the address has an account or not (a lookup, a
token and a rendered mail took about twice as long for a known address, which told who has an
account), and it never says which it was (docs/security.md, "Account existence").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import update

from app import jobs
from app.extensions import db
from app.mail import outbox
from app.models import Job


def register(name: str, make: Callable[[Mapping[str, Any], jobs.Run], None]) -> None:
    """A kind of asked-for mail: ``make(payload, run)`` runs in the worker."""

    def perform(job: jobs.Claimed, run: jobs.Run) -> None:
        # Links are built from the configured address (app.links.external_url), never from
        # the host the page was asked on, so the worker needs nothing of the request.
        make(job.payload, run)
        # What was typed on the page (perhaps nobody's address) is not kept once handled.
        db.session.execute(update(Job).where(Job.id == job.id).values(payload={}))

    jobs.register(jobs.JobKind(name, perform=perform))
    if name not in outbox.MAKERS:
        outbox.MAKERS.append(name)


def ask(name: str, email: str, **facts: Any) -> None:
    """Store the request as a job (in the caller's transaction): the same work for any address."""
    jobs.enqueue(name, {"email": email, **facts})
