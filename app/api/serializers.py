"""How objects look in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import Participant, Project, Registration, Session, Training
from app.planning.timing import session_times, status_of


def _hhmm(value: Any) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def project(p: Project) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "number": p.number, "branch": p.branch.name}


def training(t: Training) -> dict[str, Any]:
    return {
        "id": t.id,
        "project_id": t.project_id,
        "name": t.name,
        "code": t.code,
        "mode": t.mode.value,
        "trainers": [u.email for u in t.trainers],
    }


def session(s: Session, now: datetime) -> dict[str, Any]:
    times = session_times(s)
    return {
        "id": s.id,
        "training_id": s.training_id,
        "training_name": s.training.name,
        "date": s.day.isoformat(),
        "start": _hhmm(s.start),
        "end": _hhmm(s.end),
        "break_start": _hhmm(s.break_start),
        "break_end": _hhmm(s.break_end),
        "location": s.location,
        "trainer_email": s.trainer.email if s.trainer else None,
        "status": status_of(s, now, times).value,
        "reopened": s.reopened,
        "scan_opens": times.opens.isoformat(),
        "deadline": times.deadline.isoformat(),
    }


def participant(p: Participant) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "national_number": p.masked_national_number or None,
        "key_version": p.key_version,
    }


def registration(r: Registration) -> dict[str, Any]:
    return {
        "id": r.id,
        "session_id": r.session_id,
        "participant_id": r.participant_id,
        "kind": r.kind.value if r.kind else None,
        "at": r.at.isoformat() if r.at else None,
        "received_at": r.received_at.isoformat(),
        "source": r.source.value,
        "nonce": r.nonce,
        "voids_id": r.voids_id,
        "reason": r.reason,
        "user_id": r.user_id,
        "token_id": r.token_id,
    }
