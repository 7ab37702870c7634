"""Sessions in the calendar: a trainer's and a portal participant's secret iCalendar address,
read back with the ``icalendar`` library: one event per session with its place, trainer and
training, times in Europe/Brussels across a change to summer time, a cancelled session marked
cancelled, only the owner's sessions, and a renewed address ending the old one."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from app.audit import Actor
from app.extensions import db
from app.models import AuditRecord, CalendarFeed, Role, Session
from app.planning.operations import cancel_session
from app.security import hash_api_token
from tests.builders import PASSWORD
from tests.helpers.portal import portal_client

BRUSSELS = ZoneInfo("Europe/Brussels")


def _dst_sunday() -> date:
    """The last Sunday of March next year: summer time starts that night."""
    last = date(date.today().year + 1, 3, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _address(page: str) -> str:
    found = re.search(r'id="calendar-url" value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*id="calendar-url"', page
    )
    assert found, page
    return found[1].replace("&amp;", "&")


def _read(client, address: str) -> icalendar.Calendar:  # type: ignore[no-untyped-def]
    path = address.split("localhost", 1)[1]
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "no-store" in response.headers["Cache-Control"]
    return icalendar.Calendar.from_ical(response.get_data())


def _events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def _trainer_client(app):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/login", data={"email": "tom@example.org", "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def trainer_week(app, make):  # type: ignore[no-untyped-def]
    """A trainer's sessions around the change to summer time, one of them cancelled, and
    another trainer's session the same week."""
    sunday = _dst_sunday()
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    other = make.user(Role.TRAINER, "Gent", email="otto@example.org")
    friday = make.session(sunday - timedelta(days=2), time(9), time(12), trainer_id=trainer)
    with app.app_context():
        training_id = db.session.get(Session, friday).training_id
    monday = make.session(
        sunday + timedelta(days=1), time(9), time(12), trainer_id=trainer, training_id=training_id
    )
    tuesday = make.session(
        sunday + timedelta(days=2), time(18), time(21), trainer_id=trainer, training_id=training_id
    )
    theirs = make.session(sunday + timedelta(days=1), time(13), time(16), trainer_id=other)
    with app.app_context():
        cancel_session(
            Actor(None), db.session.get(Session, tuesday), "zaal onbeschikbaar", datetime.now(UTC)
        )
        db.session.commit()
    return {
        "sunday": sunday,
        "friday": friday,
        "monday": monday,
        "tuesday": tuesday,
        "theirs": theirs,
        "trainer": trainer,
    }


def test_a_trainer_subscribes_and_the_feed_holds_their_week_across_summer_time(
    app, make, trainer_week
):
    client = _trainer_client(app)
    assert 'id="calendar-link"' in client.get("/").get_data(as_text=True)
    page = client.post("/calendar/").get_data(as_text=True)
    address = _address(page)
    calendar = _read(app.test_client(), address)

    assert calendar["VERSION"] == "2.0"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Brussels"
    events = _events(calendar)
    ids = {f"session-{trainer_week[k]}@aanwezig" for k in ("friday", "monday", "tuesday")}
    assert set(events) == ids  # not the other trainer's session

    friday = events[f"session-{trainer_week['friday']}@aanwezig"]
    monday = events[f"session-{trainer_week['monday']}@aanwezig"]
    # 09:00 in Brussels is 08:00 UTC before the change and 07:00 UTC after it.
    assert friday.decoded("DTSTART").astimezone(UTC).time() == time(8)
    assert monday.decoded("DTSTART").astimezone(UTC).time() == time(7)
    assert monday.decoded("DTEND").astimezone(UTC).time() == time(10)
    assert str(monday["DTSTART"].params["TZID"]) == "Europe/Brussels"
    assert monday.decoded("DTSTART").astimezone(BRUSSELS).time() == time(9)
    assert str(monday["LOCATION"]) == "Room 1"
    assert str(monday["SUMMARY"]) == "Training"
    assert "tom@example.org" in str(monday["DESCRIPTION"])
    assert str(monday["STATUS"]) == "CONFIRMED"
    tuesday = events[f"session-{trainer_week['tuesday']}@aanwezig"]
    assert str(tuesday["STATUS"]) == "CANCELLED"
    assert tuesday.decoded("DTSTART").astimezone(UTC).time() == time(16)


def test_renewing_ends_the_old_address_and_only_a_hash_is_kept(app, make, trainer_week):
    client = _trainer_client(app)
    first = _address(client.post("/calendar/").get_data(as_text=True))
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    assert token.startswith("cal_") and len(token) >= 40
    with app.app_context():
        feed = db.session.scalars(select(CalendarFeed)).one()
        assert feed.token_hash == hash_api_token(token)
        assert feed.user_id == trainer_week["trainer"]
    page = client.get("/calendar/").get_data(as_text=True)
    assert token not in page and 'id="calendar-state"' in page

    second = _address(client.post("/calendar/").get_data(as_text=True))
    assert second != first
    reader = app.test_client()
    old = reader.get(first.split("localhost", 1)[1])
    assert old.status_code == 404
    assert "tom" not in old.get_data(as_text=True)
    assert _events(_read(reader, second))
    with app.app_context():
        assert len(db.session.scalars(select(CalendarFeed)).all()) == 1
        actions = db.session.scalars(
            select(AuditRecord.action).where(AuditRecord.object_type == "calendar_feeds")
        ).all()
        assert sorted(actions) == ["calendar_feed.create", "calendar_feed.renew"]


def test_unknown_and_malformed_tokens_answer_404(client):
    for token in ("cal_nothing", "azt_" + "x" * 43, "x" * 300, "cal_%00"):
        assert client.get(f"/calendar/{token}.ics").status_code == 404
    # Making an address needs a login (staff) or a portal sign-in.
    assert client.post("/calendar/").status_code == 302
    assert client.post("/portal/calendar").status_code == 302


def test_a_portal_participant_gets_only_their_own_sessions(app, make):
    sunday = _dst_sunday()
    mine = make.session(sunday - timedelta(days=2), time(9), time(12))
    gone = make.session(sunday + timedelta(days=1), time(9), time(12))
    someone_elses = make.session(sunday + timedelta(days=1), time(13), time(15))
    other_branch = make.session(sunday + timedelta(days=3), time(9), time(12), branch="Brugge")
    an = make.participant(email="an@example.org", name="An")
    an_brugge = make.participant(branch="Brugge", email="an@example.org", name="An")
    bo = make.participant(email="bo@example.org", name="Bo")
    make.enrol(mine, an)
    make.enrol(gone, an)
    make.enrol(other_branch, an_brugge)
    make.enrol(someone_elses, bo)
    with app.app_context():
        cancel_session(Actor(None), db.session.get(Session, gone), "ziek", datetime.now(UTC))
        db.session.commit()

    client = portal_client(app, "an@example.org")
    assert 'id="calendar-link"' in client.get("/portal/sessions").get_data(as_text=True)
    address = _address(client.post("/portal/calendar").get_data(as_text=True))
    events = _events(_read(app.test_client(), address))
    assert set(events) == {
        f"session-{mine}@aanwezig",
        f"session-{gone}@aanwezig",
        f"session-{other_branch}@aanwezig",
    }
    assert str(events[f"session-{gone}@aanwezig"]["STATUS"]) == "CANCELLED"
    with app.app_context():
        feed = db.session.scalars(select(CalendarFeed)).one()
        assert feed.email == "an@example.org" and feed.user_id is None
        # The portal renewal is attributed to the sign-in.
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.object_type == "calendar_feeds")
        ).one()
        assert record.portal_sign_in_id is not None
        assert record.user_id is None
