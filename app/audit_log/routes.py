"""The audit pages: the filtered, paged list of records, its CSV export, and the same list
narrowed to one object (its history), linked from the object's page."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime

from flask import Response, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.audit_log import bp, history
from app.domain.limits import day_in_range, id_in_range
from app.errors import Forbidden
from app.extensions import db
from app.models import Participant, Role, Session, Training, User
from app.scoping import Principal
from app.spreadsheet import csv_cell, dutch
from app.text import without_control_characters
from app.web import BRUSSELS


def _require_reader() -> None:
    if not history.may_read(current_user):
        raise Forbidden()


def parse_filter(args: dict[str, str]) -> tuple[history.Filter, list[str]]:
    """The filter from a query string, and what could not be read (in the user's words).
    A value that cannot be read is left out of the filter and named, never a 500."""
    problems: list[str] = []

    def number(name: str, label: str) -> int | None:
        text = (args.get(name) or "").strip()
        if not text:
            return None
        if re.fullmatch(r"[0-9]{1,10}", text) and id_in_range(int(text)):
            return int(text)
        problems.append(_("%(field)s must be a number.", field=label))
        return None

    def day(name: str, label: str) -> date | None:
        text = (args.get(name) or "").strip()
        if not text:
            return None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                parsed = datetime.strptime(text, pattern).date()
            except ValueError:
                continue
            if day_in_range(parsed):
                return parsed
        problems.append(_("%(field)s must be a date dd/mm/yyyy.", field=label))
        return None

    kind = (args.get("object_type") or "").strip() or None
    if kind is not None and kind not in history.OBJECT_TYPES:
        problems.append(_("Unknown kind of object."))
        kind = None
    action = without_control_characters(args.get("action") or "").strip()[:60] or None
    if action is not None and not re.fullmatch(r"[a-z_.]+", action):
        problems.append(_("An action looks like session.cancel (or session for all of them)."))
        action = None
    email = without_control_characters(args.get("email") or "").strip()[:254] or None
    found = history.Filter(
        participant_id=number("participant", _("Participant")),
        session_id=number("session", _("Session")),
        training_id=number("training", _("Training")),
        object_type=kind,
        object_id=number("object_id", _("Object number")) if kind else None,
        user_id=number("user", _("Person")),
        email=email,
        action=action,
        day_from=day("from", _("From")),
        day_to=day("to", _("To")),
    )
    return found, problems


def _people() -> list[User]:
    """The users the person filter offers: a branch's reader sees only its own users."""
    query = select(User).order_by(User.name, User.email)
    if current_user.branch_id is not None:
        query = query.where(User.branch_id == current_user.branch_id)
    return list(db.session.scalars(query))


def _subject(wanted: history.Filter) -> str | None:
    """The name of the object whose history is shown, when the reader may see it."""
    from app import scoping

    for value, model, query in (
        (wanted.participant_id, Participant, scoping.participants),
        (wanted.session_id, Session, scoping.sessions),
        (wanted.training_id, Training, scoping.trainings),
    ):
        if value is not None:
            found = db.session.scalars(query(current_user).where(model.id == value)).first()
            if found is None:
                return None
            if isinstance(found, Session):
                return f"{found.training.name} {found.day.strftime('%d/%m/%Y')}"
            return found.name
    return None


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    _require_reader()
    wanted, problems = parse_filter(request.args.to_dict())
    asked = request.args.get("page", "1")
    page_number = int(asked) if asked.isdigit() and len(asked) < 7 else 1
    page = history.read_page(current_user, wanted, page_number)
    args = {k: v for k, v in request.args.to_dict().items() if k != "page" and v}
    return render_template(
        "audit_log/index.html",
        page=page,
        wanted=wanted,
        problems=problems,
        args=args,
        people=_people(),
        object_types=history.OBJECT_TYPES,
        subject=_subject(wanted),
        central=current_user.role == Role.ADMIN and current_user.branch_id is None,
    )


CSV_HEADER = ("id", "time", "who", "action", "object", "object_id", "summary", "changes")


@bp.get("/audit.csv")
@login_required
def export_csv() -> ResponseReturnValue:
    """Every record the filter finds, streamed in batches: a year of a branch is a large file,
    and is written without holding it in memory."""
    _require_reader()
    wanted, _problems = parse_filter(request.args.to_dict())
    # The answer streams after the request's transaction ended: the scope is read now.
    viewer = Principal(current_user.id, current_user.role, current_user.branch_id, 0)
    is_dutch = dutch()

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        yield "\ufeff"
        writer.writerow(
            [
                _("Number"),
                _("Time"),
                _("Who"),
                _("Action"),
                _("Object"),
                _("Object number"),
                _("Summary"),
                _("Changes"),
            ]
        )
        for entry in history.read_all(viewer, wanted):
            writer.writerow(
                [
                    csv_cell(value, is_dutch)
                    for value in (
                        entry.id,
                        entry.at.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M:%S"),
                        entry.who,
                        entry.action,
                        entry.object_label,
                        entry.object_id,
                        entry.summary,
                        entry.changes_text,
                    )
                ]
            )
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=audit.csv"},
    )
