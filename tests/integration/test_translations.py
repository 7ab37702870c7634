"""The interface is Dutch by default, English on request; every string has its Dutch translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.helpers.translations import ENGLISH, _visible_words

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


def test_every_page_speaks_dutch_and_writes_hours_with_a_decimal_comma(app, make, auth):
    """A crawl of the pages in Dutch: no English interface word on any of them, and hours with
    a decimal comma (the catalogue test above proves each marked string is translated; this
    one finds strings that were never marked)."""
    from datetime import time, timedelta

    from app.extensions import db
    from app.models import Role, Session
    from tests.helpers.web import PAST, reopen, scan

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
    client = auth.as_role(Role.ADMIN, branch=None)
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


# --- Dutch and Belgian formats everywhere a person reads (issue 20, section 1) ------------------


def _english_phrases() -> set[str]:
    """The catalogue's English source strings as phrases of three words or more (the fixed
    parts between placeholders too) whose Dutch is different: none may show on a Dutch page."""
    import re

    phrases: set[str] = set()
    for message in _read(read_po, CATALOG / "messages.po"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, list | tuple) else (message.id,)
        strings = _strings(message.string)
        dutch = " ".join(strings if isinstance(strings, tuple) else (strings,))
        for text in ids:
            for part in re.split(r"%\(\w+\)[sd]|%[sd]|\n", text):
                part = part.strip(" .,:;()'\"")
                if len(part.split()) >= 3 and part not in dutch:
                    phrases.add(part)
    return phrases


DECIMAL_POINT = r"(?<![\w.,])\d+\.\d{1,2}(?![\d,])"  # 1.5, 0.75 (not 1.000 or 1.000,50)
ISO_DATE = r"\b\d{4}-\d{2}-\d{2}\b"
RFC_DATE = r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4}"
ENGLISH_HOURS = r"\d h\b"
SINGULAR_AS_PLURAL = r"\b1 (sessies|deelnemers|uren|pogingen|dagen|registraties)\b"


def _visible_text(body: str) -> str:
    import re

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", body)
    text = re.sub(r"\S+@\S+|https?://\S+", " ", text)
    import html

    return " ".join(html.unescape(text).split())


def dutch_problems(text: str, phrases: set[str]) -> list[str]:
    """What a Dutch reader should never see in ``text``: English phrases of the catalogue, a
    decimal point, an ISO or RFC date, "h" for hours, "1 sessies"."""
    import re

    found = [f"english: {p}" for p in phrases if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text)]
    for name, pattern in (
        ("decimal point", DECIMAL_POINT),
        ("ISO date", ISO_DATE),
        ("RFC date", RFC_DATE),
        ("hours as h", ENGLISH_HOURS),
        ("singular as plural", SINGULAR_AS_PLURAL),
    ):
        found += [f"{name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    return found


def test_dutch_formats_on_every_page_file_mail_and_exchange_state(app, make, auth):
    """Roll call with the software's own reasons, the export's registrations, the outbox with a
    withdrawn mail and its date, the exchange page with a waiting event and its codes mapping,
    self-reported hours (portal and promotor), a justification's session, the paper list PDF:
    all in Dutch, with Belgian numbers and dates."""
    import io
    from datetime import UTC, date, datetime, time

    from pypdf import PdfReader
    from sqlalchemy import select

    from app.attendance import operations as attendance_ops
    from app.audit import Actor
    from app.domain.cutoff import BRUSSELS
    from app.domain.exchange import DEFAULT_MAPPING, DUTCH_STATE_NAMES, STATES, format_mapping
    from app.extensions import db
    from app.models import (
        Branch,
        ExchangeConnection,
        ExchangeEvent,
        JustificationKind,
        OutboxMail,
        Participant,
        Role,
        Session,
    )
    from app.participants.operations.codes import reissue_code
    from tests.helpers.portal import elearning_training, link_supervisor, portal_client, report
    from tests.helpers.web import PAST, reopen

    phrases = _english_phrases()
    assert "left at the end" in phrases and "in this period; lost above" in phrases
    # A session of PAST: An arrives late and stays to the end; Ben leaves early; both get the
    # software's own reasons on their registrations. A justification names the session.
    session_id = make.session(PAST, time(9), time(12))
    an = make.participant(name="Anneke Peeters", email="anneke@voorbeeld.be")
    ben = make.participant(name="Bart Claes", email="bart@voorbeeld.be")
    for person in (an, ben):
        make.enrol(session_id, person)
    reopen(app, session_id)
    at = lambda hour, minute=0: datetime.combine(PAST, time(hour, minute), tzinfo=BRUSSELS)  # noqa: E731
    now = datetime.now(UTC)
    with app.app_context():
        session = db.session.get(Session, session_id)
        people = {p: db.session.get(Participant, p) for p in (an, ben)}
        attendance_ops.late_arrival(Actor(None), session, people[an], at(9, 45), now)
        attendance_ops.late_arrival(Actor(None), session, people[ben], at(9), now)
        attendance_ops.left_early(Actor(None), session, people[ben], at(11, 15), now)
        attendance_ops.close_session(Actor(None), session, now)
        attendance_ops.record_justification(
            Actor(None), people[ben], [session], JustificationKind.DOCTOR, PAST, "briefje",
            None, None, today=PAST,
        )  # fmt: skip
        session.training.name, session.training.project.name = "Boekhouden", "Digitaal werken"
        training_id, project_id = session.training_id, session.training.project_id
        # A new code for Ben withdraws the code mail still waiting (no mail server).
        reissue_code(Actor(None), people[ben], now)
        db.session.commit()
        withdrawn = db.session.scalars(
            select(OutboxMail.id).where(OutboxMail.recipient == "bart@voorbeeld.be")
        ).first()
    # E-learning hours of 1 h 30 and 45 minutes, waiting for the supervisor.
    el = make.participant(name="Els Wouters", email="els@voorbeeld.be")
    elearning = elearning_training(app, make, date(2026, 1, 5), [el], code="EL-NL")
    link_supervisor(app, el, "Sara Baas", "sara@voorbeeld.be")
    report(app, elearning, el, start=time(9), end=time(10, 30))
    report(app, elearning, el, start=None, end=None, minutes=45)
    # An exchange connection whose event waits behind an earlier one that could not go out.
    client = auth.as_role(Role.ADMIN, branch=None)
    with app.app_context():
        gent = db.session.scalar(select(Branch.id).where(Branch.name == "Gent"))
    client.post(
        "/admin/exchange/new",
        data={
            "branch": str(gent), "name": "Informat", "url": "https://informat.example/a",
            "secret": "", "events": ["registration", "mark", "justification", "exemption"],
            "identifier": "email", "split_at": "12:00",
            "mapping": format_mapping(DEFAULT_MAPPING, DUTCH_STATE_NAMES),
        },
    )  # fmt: skip
    with app.app_context():
        connection = db.session.scalars(select(ExchangeConnection)).one()
        connection_id = connection.id
        assert connection.mapping == DEFAULT_MAPPING  # the Dutch names are read as the states
        db.session.add(
            ExchangeEvent(
                connection_id=connection_id, direction="out", event_id="e-1",
                session_id=session_id, participant_id=an,
                day=PAST, part="am", state="late", code="L", remark="left at the end",
                registered_at=now, payload={"x": 1}, attempts=2,
                last_error="waiting for an earlier event of this participant: "
                "peer unreachable: ConnectionError",
            )
        )  # fmt: skip
        db.session.commit()
    pages = {
        "roll call": f"/sessions/{session_id}/roll-call",
        "participant": f"/trainings/{training_id}/participants/{ben}",
        "attendance": f"/trainings/{training_id}/attendance",
        "attendance csv": f"/trainings/{training_id}/attendance.csv",
        "export csv": f"/projects/{project_id}/submission.csv?start={PAST}&end={PAST}",
        "outbox": "/admin/outbox",
        "withdrawn mail": f"/admin/outbox/{withdrawn}",
        "exchange": f"/admin/exchange/{connection_id}",
        "self-reports": f"/trainings/{elearning}/self-reports",
        "from participants": "/from-participants",
    }
    problems = {}
    texts = {}
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        texts[name] = _visible_text(response.get_data(as_text=True))
        problems[name] = dutch_problems(texts[name], phrases)
    portal = portal_client(app, "els@voorbeeld.be")
    for path in ("/portal/", "/portal/hours"):
        texts[path] = _visible_text(portal.get(path).get_data(as_text=True))
        problems[path] = dutch_problems(texts[path], phrases)
    paper = client.get(f"/trainings/{training_id}/paper-list/0.pdf")
    if paper.status_code == 200:
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(paper.data)).pages)
        problems["paper list"] = dutch_problems(" ".join(text.split()), phrases)
    assert {name: found for name, found in problems.items() if found} == {}
    # The words themselves, so the test cannot pass on an empty page.
    assert "vertrokken op het einde" in texts["roll call"]
    assert "te laat gekomen" in texts["roll call"] and "vroeger vertrokken" in texts["roll call"]
    assert "manueel" in texts["export csv"]
    assert "ingetrokken: de code erin werd ingetrokken" in texts["withdrawn mail"]
    assert (
        "wacht op een eerder bericht van deze deelnemer: pakket onbereikbaar" in texts["exchange"]
    )
    assert not any(f"{state} =" in texts["exchange"] for state in STATES if "_" in state)
    assert "1,50" in texts["self-reports"] and "0,75" in texts["self-reports"]
    assert "1,50" in texts["/portal/hours"]


def test_counts_agree_with_their_noun_and_a_typed_time_is_no_scan(app, make, today, auth):
    """ "1 sessie", never "1 sessies"; enrolling a class counts the sessions that take them
    (not a cancelled one); a late arrival typed in the future is refused without speaking of
    a scan."""
    from datetime import time, timedelta

    from app.audit import Actor
    from app.extensions import db
    from app.models import Role, Session
    from app.planning.operations import cancel_session

    later = today + timedelta(days=14)
    first = make.session(later, time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    cancelled = make.session(later + timedelta(days=1), time(9), time(12), training_id=training_id)
    with app.app_context():
        from datetime import UTC, datetime

        cancel_session(Actor(None), db.session.get(Session, cancelled), "ziek", datetime.now(UTC))
        db.session.commit()
    person = make.participant(name="Anneke Peeters")
    client = auth.as_role(Role.PROMOTOR)
    page = " ".join(client.get(f"/trainings/{training_id}").get_data(as_text=True).split())
    assert "ingeschreven voor de 1 sessie;" in page and "1 sessies" not in page
    done = client.post(
        f"/trainings/{training_id}/enrol",
        data={"enrol-participants": [str(person)]},
        follow_redirects=True,
    )
    text = " ".join(done.get_data(as_text=True).split())
    assert "1 deelnemer ingeschreven voor 1 sessie (1 nieuwe inschrijving)." in text
    # Today's session, a late arrival at a time still to come (not in the day's last minutes).
    from datetime import datetime as clock

    from app.domain.cutoff import BRUSSELS

    if clock.now(BRUSSELS).time() > time(23, 50):
        return
    now_session = make.session(today, time(0, 0), time(23, 59))
    make.enrol(now_session, person)
    trainer = auth.as_role(Role.ADMIN, branch=None)
    answer = trainer.post(
        f"/sessions/{now_session}/late-arrival",
        data={"late-participant": str(person), "late-arrived": "23:58"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert (
        "ligt in de toekomst" in answer and "scan" not in answer.lower().split("ligt in")[0][-80:]
    )
