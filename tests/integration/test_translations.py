"""The interface is Dutch by default, English on request; every string has its Dutch translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "app" / "translations" / "nl" / "LC_MESSAGES"


def _read(reader, path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return reader(handle)


def _key(message_id):  # type: ignore[no-untyped-def]
    # Plural messages: the .po reader gives a tuple of ids, the .mo reader a list.
    return tuple(message_id) if isinstance(message_id, list | tuple) else message_id


def _strings(value):  # type: ignore[no-untyped-def]
    return tuple(value) if isinstance(value, list | tuple) else value


def _translated(message) -> bool:  # type: ignore[no-untyped-def]
    forms = _strings(message.string)
    return all(forms if isinstance(forms, tuple) else (forms,)) and "fuzzy" not in message.flags


def test_every_interface_string_is_translated_and_compiled(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
         "-k", "_l", "-o", str(pot), "app"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    wanted = {_key(m.id) for m in _read(read_po, pot) if m.id}
    po = {_key(m.id): m for m in _read(read_po, CATALOG / "messages.po") if m.id}
    mo = {_key(m.id): _strings(m.string) for m in _read(read_mo, CATALOG / "messages.mo") if m.id}
    assert not wanted - set(po), "run scripts/translations.sh: strings missing from the catalogue"
    untranslated = [i for i in wanted if not _translated(po[i])]
    assert not untranslated, untranslated
    assert all(mo.get(i) == _strings(po[i].string) for i in wanted), (
        "run scripts/translations.sh compile"
    )


def test_dutch_by_default_and_english_on_request(client):
    assert "Aanmelden" in client.get("/login").get_data(as_text=True)
    client.post("/language/en", data={"next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)


ENGLISH = {"the", "and", "with", "yes", "no", "save", "cancel", "delete", "none", "from",
           "until", "back", "submit", "required", "invalid", "error", "please", "hours",
           "present", "absent", "participants", "sessions", "enrolled", "change", "not"}  # fmt: skip


def _visible_words(html: str) -> set[str]:
    import re

    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\S+@\S+|https?://\S+", " ", text)  # addresses are data, not interface
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)}


def test_every_page_speaks_dutch_and_writes_hours_with_a_decimal_comma(app, make):
    """A crawl of the pages in Dutch: no English interface word on any of them, and hours with
    a decimal comma (the catalogue test above proves each marked string is translated; this
    one finds strings that were never marked)."""
    from datetime import time, timedelta

    from app.extensions import db
    from app.models import Role, Session
    from tests.integration.conftest import PAST, reopen, scan
    from tests.integration.test_web_planning import log_in

    session_id = make.session(PAST, time(9), time(12), time(10, 15), time(10, 30))
    person = make.participant(name="Anneke Peeters", email="anneke@voorbeeld.be")
    make.enrol(session_id, person)
    reopen(app, session_id)
    from datetime import datetime

    from app.domain.cutoff import BRUSSELS

    api = make.api()
    scan(api, session_id, make.code(person), datetime.combine(PAST, time(9), tzinfo=BRUSSELS))
    scan(api, session_id, make.code(person), datetime.combine(PAST, time(11), tzinfo=BRUSSELS))
    with app.app_context():
        session = db.session.get(Session, session_id)
        session.training.name, session.training.project.name = "Boekhouden", "Digitaal werken"
        session.location = "Lokaal 1"
        training_id, project_id = session.training_id, session.training.project_id
        db.session.commit()
    client = log_in(app, Role.ADMIN, make, branch=None)
    pages = [
        "/", "/?month=", "/archive", "/projects", f"/projects/{project_id}",
        f"/trainings/{training_id}", f"/trainings/{training_id}/series",
        f"/sessions/{session_id}", f"/sessions/{session_id}/edit",
        f"/sessions/{session_id}/roll-call", f"/sessions/{session_id}/incomplete",
        "/participants/", f"/participants/{person}",
        f"/trainings/{training_id}/attendance", f"/trainings/{training_id}/participants/{person}",
        f"/trainings/{training_id}/certificates", f"/projects/{project_id}/submission",
        "/admin/users", "/admin/branches", "/admin/partners", "/admin/closure-days",
        "/admin/outbox", "/tokens", "/frontdesk", "/does-not-exist",
    ]  # fmt: skip
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        words = _visible_words(response.get_data(as_text=True))
        assert not words & ENGLISH, (path, sorted(words & ENGLISH))
    # 9:00 to 11:00 with a quarter-hour break: 1,75 hours present, written the Belgian way.
    page = client.get(f"/trainings/{training_id}/participants/{person}").get_data(as_text=True)
    assert "1,75" in page and "1.75" not in page
    assert (timedelta(hours=1, minutes=45)).total_seconds() == 6300
