"""Reading the audit trail: who changed what and when, scoped, filtered, paged, readable.

Central support (an admin without a branch) reads every record; a promotor or a branch's
administrator the records of their branch's objects (``AuditRecord.branch_id``: the branch the
object belonged to at the time); trainers and the front desk none. Records about users,
tokens, sign-ins and the organisation belong to no branch, so only central support reads them.
Every filter is a narrowing of that scope, never a way around it.

One page costs a fixed number of queries: the records, their count, and one query per kind of
name shown (users, tokens, sign-ins, participants, sessions, trainings, voided registrations).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from app.domain.cutoff import BRUSSELS
from app.errors import Forbidden
from app.extensions import db
from app.models import (
    ApiToken,
    AuditRecord,
    Certificate,
    Participant,
    PortalSignIn,
    Registration,
    Role,
    Session,
    Training,
    User,
)
from app.scoping import Viewer

PER_PAGE = 50
MAX_PER_PAGE = 200
# Columns whose values say nothing to a reader (hashes, digests, the row's own id).
HIDDEN = frozenset(
    {"id", "request_digest", "nonce", "nonce_hash", "token_hash", "national_number_index"}
)
# The kinds of object a history can be asked for by object type and id.
OBJECT_TYPES = {
    "participant": "participants",
    "session": "sessions",
    "training": "trainings",
    "certificate": "certificates",
    "registration": "registrations",
    "project": "projects",
    "enrolment": "enrolments",
    "justification": "justifications",
    "exemption": "exemptions",
    "supervisor": "supervisors",
    "user": "users",
}

WhoKind = Literal["user", "token", "portal", "package", "system"]


def may_read(viewer: Viewer) -> bool:
    return viewer.role in (Role.ADMIN, Role.PROMOTOR)


def scoped(viewer: Viewer) -> Select[AuditRecord]:
    """The records ``viewer`` may read (403 for those who may read none)."""
    if not may_read(viewer):
        raise Forbidden()
    query = select(AuditRecord)
    if viewer.branch_id is not None:
        query = query.where(AuditRecord.branch_id == viewer.branch_id)
    return query


@dataclass(frozen=True)
class Filter:
    """What a reader narrows the records to; every field optional."""

    participant_id: int | None = None
    session_id: int | None = None
    training_id: int | None = None
    object_type: str | None = None  # a key of OBJECT_TYPES
    object_id: int | None = None
    user_id: int | None = None  # the acting user
    email: str | None = None  # the acting portal sign-in's address
    action: str | None = None  # "session.cancel", or "session" for every session.* action
    day_from: date | None = None  # Brussels days, both included
    day_to: date | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.participant_id is not None:
            query = query.where(AuditRecord.participant_id == self.participant_id)
        if self.session_id is not None:
            query = query.where(AuditRecord.session_id == self.session_id)
        if self.training_id is not None:
            query = query.where(AuditRecord.training_id == self.training_id)
        if self.object_type is not None:
            query = query.where(_object(self.object_type, self.object_id))
        if self.user_id is not None:
            query = query.where(AuditRecord.user_id == self.user_id)
        if self.email:
            signed_in = select(PortalSignIn.id).where(PortalSignIn.email == self.email.lower())
            query = query.where(AuditRecord.portal_sign_in_id.in_(signed_in))
        if self.action:
            if "." in self.action:
                query = query.where(AuditRecord.action == self.action)
            else:
                query = query.where(
                    AuditRecord.action.startswith(self.action + ".", autoescape=True)
                )
        if self.day_from is not None:
            query = query.where(AuditRecord.at >= _start_of(self.day_from))
        if self.day_to is not None:
            query = query.where(AuditRecord.at < _start_of(self.day_to + timedelta(days=1)))
        return query

    def is_empty(self) -> bool:
        return all(getattr(self, name) in (None, "") for name in self.__dataclass_fields__)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BRUSSELS).astimezone(UTC)


def _object(kind: str, object_id: int | None) -> Any:
    """One object's own records; a registration's include the corrections that void it, and a
    certificate's the certificates that correct it."""
    table = OBJECT_TYPES[kind]
    if object_id is None:
        return AuditRecord.object_type == table
    own = (AuditRecord.object_type == table) & (AuditRecord.object_id == object_id)
    if kind == "registration":
        voiding = select(Registration.id).where(Registration.voids_id == object_id)
        return or_(own, (AuditRecord.object_type == table) & AuditRecord.object_id.in_(voiding))
    if kind == "certificate":
        correcting = select(Certificate.id).where(Certificate.corrects_id == object_id)
        return or_(own, (AuditRecord.object_type == table) & AuditRecord.object_id.in_(correcting))
    return own


# --- Presentation ----------------------------------------------------------------------------


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class Entry:
    """One record as a reader sees it."""

    id: int
    at: datetime
    who: str
    who_kind: WhoKind
    user_id: int | None
    action: str
    object_type: str
    object_id: int | None
    object_label: str
    participant_id: int | None
    session_id: int | None
    training_id: int | None
    summary: str
    changes: list[Change] = field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def changes_text(self) -> str:
        """The changes on one line, for a CSV cell."""
        return "; ".join(f"{c.field}: {c.before} → {c.after}" for c in self.changes)


@dataclass
class Page:
    entries: list[Entry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def read_page(viewer: Viewer, wanted: Filter, page: int = 1, per_page: int = PER_PAGE) -> Page:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    query = wanted.apply(scoped(viewer))
    total = (
        db.session.scalar(
            query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
        )
        or 0
    )
    records = db.session.scalars(
        query.order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(describe(list(records)), total, page, per_page)


def read_all(viewer: Viewer, wanted: Filter, batch: int = 1000) -> Iterator[Entry]:
    """Every record in scope, newest first, in batches (for the CSV export): keyset paging on
    (at, id), so the thousandth batch costs what the first does."""
    query = wanted.apply(scoped(viewer)).order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
    last: tuple[datetime, int] | None = None
    while True:
        step = query
        if last is not None:
            step = step.where(
                or_(
                    AuditRecord.at < last[0],
                    (AuditRecord.at == last[0]) & (AuditRecord.id < last[1]),
                )
            )
        records = list(db.session.scalars(step.limit(batch)))
        if not records:
            return
        yield from describe(records)
        last = (records[-1].at, records[-1].id)
        db.session.expunge_all()


def describe(records: list[AuditRecord]) -> list[Entry]:
    names = _Names(records)
    return [
        Entry(
            id=r.id,
            at=r.at,
            who=names.who(r)[0],
            who_kind=names.who(r)[1],
            user_id=r.user_id,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            object_label=names.object_label(r),
            participant_id=r.participant_id,
            session_id=r.session_id,
            training_id=r.training_id,
            summary=names.summary(r),
            changes=changes(r.before, r.after),
            before=r.before,
            after=r.after,
        )
        for r in records
    ]


class _Names:
    """The names a page shows, each kind looked up once for the whole page."""

    def __init__(self, records: list[AuditRecord]):
        def ids(values: Any) -> set[int]:
            return {v for v in values if isinstance(v, int)}

        self.users = _by_id(User, ids(r.user_id for r in records))
        self.tokens = _by_id(ApiToken, ids(r.token_id for r in records))
        self.sign_ins = _by_id(PortalSignIn, ids(r.portal_sign_in_id for r in records))
        self.participants = _by_id(Participant, ids(r.participant_id for r in records))
        self.sessions = _by_id(
            Session,
            ids(r.session_id for r in records),
            joinedload(Session.training),
        )
        self.trainings = _by_id(Training, ids(r.training_id for r in records))
        voided = ids(
            (r.after or {}).get("voids_id") for r in records if r.object_type == "registrations"
        )
        self.registrations = _by_id(Registration, voided)

    def who(self, r: AuditRecord) -> tuple[str, WhoKind]:
        user = self.users.get(r.user_id) if r.user_id else None
        token = self.tokens.get(r.token_id) if r.token_id else None
        if user is not None and token is not None:
            device = token.device_name or token.label or f"#{token.id}"
            kind = _("scanner") if token.device_name else _("API token")
            return f"{user.display_name} ({kind} {device})", "token"
        if user is not None:
            return user.display_name, "user"
        if r.portal_sign_in_id:
            sign_in = self.sign_ins.get(r.portal_sign_in_id)
            address = sign_in.email if sign_in else f"#{r.portal_sign_in_id}"
            return f"{address} ({_('portal')})", "portal"
        if r.action.startswith("exchange.import"):
            return _("administration package"), "package"
        return _("the system"), "system"

    def object_label(self, r: AuditRecord) -> str:
        kind = r.object_type
        if kind == "participants" and r.object_id in self.participants:
            return f"{_('participant')} {self.participants[r.object_id].name}"
        if kind == "sessions" and r.object_id in self.sessions:
            return f"{_('session')} {_session_name(self.sessions[r.object_id])}"
        if kind == "trainings" and r.object_id in self.trainings:
            return f"{_('training')} {self.trainings[r.object_id].name}"
        label = f"{kind} #{r.object_id}" if r.object_id is not None else kind
        about = []
        if r.participant_id in self.participants:
            about.append(self.participants[r.participant_id].name)
        if r.session_id in self.sessions:
            about.append(_session_name(self.sessions[r.session_id]))
        elif r.training_id in self.trainings:
            about.append(self.trainings[r.training_id].name)
        return f"{label} ({', '.join(about)})" if about else label

    def summary(self, r: AuditRecord) -> str:
        """A registration, or a correction, in one line; other records have their changes."""
        if r.object_type != "registrations" or not isinstance(r.after, dict):
            if r.action == "participant.reveal_national_number":
                return _("Read the national register number in full")
            return ""
        new = _registration_text(r.after.get("kind"), r.after.get("at"))
        voids = r.after.get("voids_id")
        if voids is None:
            return f"{new} ({r.after.get('source')})"
        old = self.registrations.get(voids)
        old_text = _registration_text(old.kind.value if old.kind else None, old.at) if old else ""
        return _(
            "Correction: registration #%(old)s (%(old_text)s) voided, new: %(new)s; reason: %(reason)s",
            old=voids,
            old_text=old_text or "?",
            new=new,
            reason=r.after.get("reason") or "",
        )


def _by_id(model: Any, ids: set[int], *options: Any) -> dict[int, Any]:
    if not ids:
        return {}
    return {
        obj.id: obj
        for obj in db.session.scalars(select(model).where(model.id.in_(ids)).options(*options))
    }


def _session_name(session: Session) -> str:
    return f"{session.training.name} {session.day.strftime('%d/%m/%Y')} {session.start.strftime('%H:%M')}"


def _registration_text(kind: str | None, at: Any) -> str:
    direction = _("void") if kind is None else _("check-in") if kind == "in" else _("check-out")
    return f"{direction} {readable(at)}" if at else direction


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields that changed, in words: for a new object what it was made with, for a
    deleted one what it held, else each field whose value differs."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    found = []
    for name in dict.fromkeys([*before, *after]):
        if name in HIDDEN:
            continue
        old, new = before.get(name), after.get(name)
        if name in before and name in after and old == new:
            continue
        if old is None and new is None:
            continue
        found.append(
            Change(
                name,
                readable(old) if name in before else "",
                readable(new) if name in after else "",
            )
        )
    return found


def readable(value: Any) -> str:
    """A JSON value of a record as a Belgian reader reads it: times in Brussels time."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, str):
        parsed = _iso(value)
        if parsed is not None:
            return readable(parsed) if isinstance(parsed, datetime) else parsed.strftime("%d/%m/%Y")
        return value
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {readable(v)}" for k, v in value.items())
    return str(value)


def _iso(text: str) -> date | datetime | None:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    if len(text) >= 16 and text[4] == "-" and text[10] == "T":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    return None
