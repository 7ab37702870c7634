"""Branch exchange helpers: a branch's row and the exchange settings form."""

from __future__ import annotations

from sqlalchemy import select

from app.domain.exchange import DEFAULT_MAPPING, format_mapping
from app.extensions import db
from app.models import Branch


def _branch(app, name: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        branch = db.session.scalar(select(Branch).where(Branch.name == name))
        if branch is None:
            branch = Branch(name=name)
            db.session.add(branch)
            db.session.commit()
        return branch.id


def _form(branch: int, **changes: object) -> dict:
    data = {
        "branch": str(branch),
        "name": "Informat",
        "url": "https://informat.example/aanwezig",
        "secret": "",
        "events": ["registration", "mark", "justification", "exemption"],
        "identifier": "email",
        "split_at": "12:00",
        "mapping": format_mapping(DEFAULT_MAPPING),
    }
    data.update(changes)
    return data
