"""Certificates: what is due per participant, issuing and correcting, the issued ones."""

import datetime as dt
from typing import Annotated, Any

from app.api.schemas.fields import (
    Answer,
    Choice,
    DayField,
    IdField,
    OutDay,
    OutMoment,
    QueryChoice,
    Request,
    Text,
)
from app.api.schemas.paging import CursorPaging
from app.domain.certificates import DueState
from app.models import CertificateKind

# As long as the web's correction form takes (app.forms.ReasonForm).
MAX_REASON = 2000


class CertificateIssue(Request):
    """One certificate for one participant: a diligence certificate names the first day of
    one of the training's lesson periods (``period_start``), the other kinds none."""

    participant_id: Annotated[int, IdField()]
    kind: Annotated[CertificateKind, Choice(CertificateKind)]
    period_start: Annotated[dt.date | None, DayField(required=False)] = None


class CertificateCorrect(Request):
    """A correction: a new certificate that replaces this one, and why."""

    reason: Annotated[str, Text(MAX_REASON, one_line=False)]


class CertificatesDue(Request):
    """Issue every due and overdue certificate: ``expected`` is the number the caller saw
    due (the due list's ``bulk``); when the list changed since, nothing is issued."""

    expected: Annotated[int, IdField()]


class CertificateFilter(CursorPaging):
    """``GET /certificates``: the issued certificates in scope, by training, participant and
    kind; oldest first."""

    training_id: Annotated[int | None, IdField(required=False, query=True)] = None
    participant_id: Annotated[int | None, IdField(required=False, query=True)] = None
    kind: Annotated[str | None, QueryChoice([k.value for k in CertificateKind])] = None


class CertificateOut(Answer):
    """An issued certificate as stored: the figures it shows (the national register number
    masked), who issued it and when; a correction names the one it replaces and why. Its PDF
    is at ``/certificates/{id}/pdf``."""

    id: int
    kind: CertificateKind
    training_id: int
    participant_id: int
    period_start: OutDay | None
    period_end: OutDay | None
    issued_at: OutMoment
    issued_by_id: int | None
    corrects_id: int | None
    correction_reason: str | None
    figures: dict[str, Any]


class CertificateList(Answer):
    items: list[CertificateOut]
    total: int = 0
    page: int = 1
    per_page: int = 0
    next_cursor: str | None = None


class DueLineOut(Answer):
    """One certificate a participant should get: its deadline (none without paid leave: on
    request), its state,
    and what was issued for it (oldest first; the last one is in force)."""

    participant_id: int
    participant_name: str
    kind: CertificateKind
    period_start: OutDay | None
    period_end: OutDay | None
    due: OutDay | None
    state: DueState
    paid_leave: bool
    regime: str | None
    certificate_ids: list[int]
    issued_late: bool


class DueList(Answer):
    """The training's due list as the certificates page shows it, paged; ``summary`` counts
    the lines per state and ``bulk`` the certificates "issue all due" would issue."""

    training_id: int
    summary: dict[str, int]
    bulk: int
    items: list[DueLineOut]
    total: int = 0
    page: int = 1
    per_page: int = 0


class DueRefusedOut(Answer):
    participant_id: int
    kind: CertificateKind
    period_start: OutDay | None
    error: str
    message: str


class DueIssuedOut(Answer):
    """What "issue all due" did: the certificates issued, and those refused with the reason
    (the others stand)."""

    issued: list[CertificateOut]
    refused: list[DueRefusedOut]
