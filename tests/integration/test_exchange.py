"""The exchange with a school administration package, over real HTTP with real signatures.

A reference peer (tests/exchange_peer.py: its own server, store and clock) on one side, our
app served by werkzeug on the other; the worker's delivery is run by the test
(``outgoing.deliver_due``), as a ``flask worker`` would run it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from app.attendance.operations import RollCallLine, confirm_roll_call
from app.audit import Actor
from app.domain.exchange import DEFAULT_MAPPING, EVENT_KINDS
from app.exchange import operations as ops
from app.exchange import outgoing
from app.extensions import db
from app.models import (
    Branch,
    ExchangeConnection,
    ExchangeEvent,
    Participant,
    Role,
    RollCallMark,
    Session,
)
from tests.builders import Builders
from tests.exchange_peer import Peer, free_port
from tests.helpers.config import BASE_CONFIG

PORT = free_port()


# The reference peer listens on this machine, which the exchange reaches only when allowed.
ALLOW_PEER = {"EXCHANGE_ALLOW_HOSTS": "127.0.0.1"}


@pytest.fixture
def app_config() -> dict:
    return {"SERVER_NAME": f"127.0.0.1:{PORT}", **ALLOW_PEER}


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{PORT}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def peer() -> Iterator[Peer]:
    peer = Peer(secret=ops.new_secret(), clock_offset=timedelta(seconds=-2))
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def setting(app: Flask, make: Builders, today: date, peer: Peer) -> dict:
    """A morning session today with one participant, and a connection to the peer."""
    session_id = make.session(today, time(0, 0), time(11, 59))
    pid = make.participant(email="an@example.org")
    make.enrol(session_id, pid)
    with app.app_context():
        branch = db.session.scalar(select(Branch).where(Branch.name == "Gent"))
        connection, _secret = ops.create_connection(
            Actor(None),
            branch,
            ops.ConnectionInput(
                name="Informat",
                url=peer.url,
                events=list(EVENT_KINDS),
                identifier="email",
                national_number_allowed=False,
                mapping=dict(DEFAULT_MAPPING),
                split_at=time(12, 0),
                secret=peer.secret,
            ),
        )
        db.session.commit()
        return {"session": session_id, "participant": pid, "connection": connection.id}


def _switch_on(app: Flask, connection_id: int) -> None:
    with app.app_context():
        ops.switch(Actor(None), db.session.get(ExchangeConnection, connection_id), True, _now())
        db.session.commit()


def _now() -> datetime:
    return datetime.now(UTC)


def _mark(app: Flask, s: dict, present: bool, remark: str = "", now: datetime | None = None):  # type: ignore[no-untyped-def]
    with app.app_context():
        session = db.session.get(Session, s["session"])
        confirm_roll_call(
            Actor(None), session, [RollCallLine(s["participant"], present, remark)], now or _now()
        )
        db.session.commit()


def _deliver(app: Flask, now: datetime | None = None) -> tuple[int, int]:
    with app.app_context():
        return outgoing.deliver_due(now=now)


def _held_here(app: Flask, s: dict) -> tuple[str, str]:
    """The code and remark we hold for the participant's session: the latest mark."""
    with app.app_context():
        mark = db.session.scalars(
            select(RollCallMark)
            .where(
                RollCallMark.session_id == s["session"],
                RollCallMark.participant_id == s["participant"],
            )
            .order_by(RollCallMark.marked_at.desc(), RollCallMark.id.desc())
        ).first()
        assert mark is not None
        code = mark.code or DEFAULT_MAPPING["present" if mark.present else "absent"]
        return code, mark.remark


def _events_url(live: str, s: dict) -> str:
    return f"{live}/api/v1/exchange/{s['connection']}/events"


def test_a_code_entered_here_arrives_at_the_peer_with_its_registration_time_and_remark(
    app: Flask, setting: dict, peer: Peer, today: date
):
    _switch_on(app, setting["connection"])
    at = _now()
    _mark(app, setting, present=False, remark="ziek gemeld", now=at)
    assert _deliver(app) == (1, 0)
    held = peer.moments[("an@example.org", today.isoformat(), "am")]
    assert (held.code, held.remark) == ("B", "ziek gemeld")
    assert held.registered_at == at  # the time it was registered, not the time it was sent
    with app.app_context():
        event = db.session.scalars(select(ExchangeEvent)).one()
        assert event.delivered_at is not None and event.delivered_at >= at


def test_a_roll_call_confirmed_again_sends_only_what_changed(app: Flask, setting: dict, peer: Peer):
    _switch_on(app, setting["connection"])
    _mark(app, setting, present=False, remark="ziek gemeld")
    _mark(app, setting, present=False, remark="ziek gemeld")  # confirmed again, unchanged
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExchangeEvent)) == 1
    _mark(app, setting, present=False, remark="ziek gemeld, attest volgt")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExchangeEvent)) == 2


def test_a_code_entered_at_the_peer_arrives_here_and_is_not_echoed_back(
    app: Flask, live: str, setting: dict, peer: Peer, today: date, make: Builders, auth
):
    _switch_on(app, setting["connection"])
    event = peer.register("an@example.org", today.isoformat(), "am", "Z", "doktersbriefje")
    answer = peer.send(_events_url(live, setting), event)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "applied"
    assert answer.json()["sessions"] == [setting["session"]]
    assert _held_here(app, setting) == ("Z", "doktersbriefje")
    with app.app_context():
        mark = db.session.scalars(select(RollCallMark)).one()
        assert (mark.source, mark.peer, mark.present) == ("import", "Informat", False)
        out = db.session.scalar(
            select(func.count(ExchangeEvent.id)).where(ExchangeEvent.direction == "out")
        )
        assert out == 0  # not echoed back to the peer it came from
    assert _deliver(app) == (0, 0)
    assert peer.received == []
    # Shown where the code is shown: on the roll call, with the peer, its code and the remark.
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    page = client.get(f"/sessions/{setting['session']}/roll-call").get_data(as_text=True)
    assert "from Informat: code Z" in page and "doktersbriefje" in page


@pytest.mark.parametrize("last", ["here", "there"])
@pytest.mark.parametrize("first_to_arrive", ["ours", "theirs"])
def test_both_sides_change_the_same_moment_within_a_second_and_both_keep_the_last(
    app: Flask, live: str, setting: dict, peer: Peer, today: date, last: str, first_to_arrive: str
):
    _switch_on(app, setting["connection"])
    base = _now() - timedelta(seconds=1)
    ours_at, theirs_at = (
        (base + timedelta(milliseconds=600), base)
        if last == "here"
        else (base, base + timedelta(milliseconds=600))
    )
    _mark(app, setting, present=False, remark="hier", now=ours_at)
    theirs = peer.register("an@example.org", today.isoformat(), "am", "Z", "daar", at=theirs_at)
    if first_to_arrive == "ours":
        assert _deliver(app) == (1, 0)
        assert peer.send(_events_url(live, setting), theirs).status_code == 200
    else:
        answer = peer.send(_events_url(live, setting), theirs)
        assert answer.status_code == 200
        assert _deliver(app) == (1, 0)
    if last == "there":
        assert answer_outcome_is_applied_here(app, setting)
    expected = ("B", "hier") if last == "here" else ("Z", "daar")
    assert _held_here(app, setting) == expected
    held = peer.moments[("an@example.org", today.isoformat(), "am")]
    assert (held.code, held.remark) == expected


def answer_outcome_is_applied_here(app: Flask, s: dict) -> bool:
    with app.app_context():
        return (
            db.session.scalar(select(ExchangeEvent.outcome).where(ExchangeEvent.direction == "in"))
            == "applied"
        )


def test_an_older_incoming_event_is_acknowledged_and_not_applied(
    app: Flask, live: str, setting: dict, peer: Peer, today: date
):
    _switch_on(app, setting["connection"])
    _mark(app, setting, present=True)
    old = peer.register(
        "an@example.org", today.isoformat(), "am", "Z", at=_now() - timedelta(minutes=1)
    )
    answer = peer.send(_events_url(live, setting), old)
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "older" and answer.json()["applied"] is False
    assert _held_here(app, setting) == ("|", "")


def test_a_peer_down_for_a_while_gets_everything_in_order_once_back_exactly_once(
    app: Flask, setting: dict, peer: Peer, today: date, database_url: str
):
    _switch_on(app, setting["connection"])
    peer.stop()
    start = _now() - timedelta(seconds=3)
    for i, (present, remark) in enumerate([(False, "1"), (True, "2"), (False, "3")]):
        _mark(app, setting, present, remark, now=start + timedelta(seconds=i))
    # Three marks; the one ticked present also got its check-in: four events.
    done, failed = _deliver(app)
    assert done == 0 and failed == 4
    with app.app_context():
        errors = db.session.scalars(select(ExchangeEvent.last_error)).all()
        assert all("onbereikbaar" in (e or "") for e in errors)
    # The worker restarts: a new app on the same database knows only what is stored.
    again = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **ALLOW_PEER},
        instance_path=app.instance_path,
    )
    peer.start()
    try:
        later = _now() + timedelta(hours=2)  # past every back-off
        assert _deliver(again, later)[1] == 0
        assert _deliver(again, later + timedelta(hours=2)) == (0, 0)
    finally:
        with again.app_context():
            db.session.remove()
            db.engine.dispose()
    assert [(e["state"], e["remark"]) for e in peer.received] == [
        ("absent", "1"),
        ("present", "2"),
        ("present", "2"),  # the roll call's check-in, at the session's start
        ("absent", "3"),
    ]
    assert len({e["event_id"] for e in peer.received}) == 4
    held = peer.moments[("an@example.org", today.isoformat(), "am")]
    assert (held.code, held.remark) == ("B", "3")


def test_a_replayed_or_tampered_event_is_refused(
    app: Flask, live: str, setting: dict, peer: Peer, today: date
):
    import requests

    _switch_on(app, setting["connection"])
    url = _events_url(live, setting)
    event = peer.register("an@example.org", today.isoformat(), "am", "Z", "echt")
    body = json.dumps(event)
    first = peer.send(url, event, body=body)
    assert first.json()["outcome"] == "applied"
    # The same request again (a replay within the five minutes): applied once only.
    replay = requests.post(url, data=body.encode(), headers=dict(first.request.headers), timeout=10)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    # Tampered: the signature of one body on another.
    forged = body.replace('"Z"', '"B"')
    headers = dict(first.request.headers)
    tampered = requests.post(url, data=forged.encode(), headers=headers, timeout=10)
    assert tampered.status_code == 401 and tampered.json()["error"] == "bad_signature"
    # Old: signed ten minutes ago; wrong secret; no signature at all.
    other = peer.register("an@example.org", today.isoformat(), "am", "B")
    old = peer.send(url, other, signed_at=_now() - timedelta(minutes=10))
    assert old.status_code == 401
    assert peer.send(url, other, secret=ops.new_secret()).status_code == 401
    assert requests.post(url, json=other, timeout=10).status_code == 401
    with app.app_context():
        marks = db.session.scalars(select(RollCallMark)).all()
        assert [(m.code, m.remark) for m in marks] == [("Z", "echt")]


def test_bad_events_get_a_clear_answer(
    app: Flask, live: str, setting: dict, peer: Peer, today: date
):
    _switch_on(app, setting["connection"])
    url = _events_url(live, setting)
    unknown_code = peer.register("an@example.org", today.isoformat(), "am", "??")
    assert peer.send(url, unknown_code).json()["error"] == "unknown_code"
    stranger = peer.register("nobody@example.org", today.isoformat(), "am", "B")
    assert peer.send(url, stranger).json()["error"] == "unknown_participant"
    broken = peer.register("an@example.org", "2026-13-01", "am", "B")
    assert peer.send(url, broken).status_code == 400
    not_json = peer.register("an@example.org", today.isoformat(), "am", "B")
    assert peer.send(url, not_json, body="not json").status_code == 400
    # An unknown connection is answered as a wrong signature is: ids cannot be counted.
    assert peer.send(f"{live}/api/v1/exchange/999/events", not_json).status_code == 401


def test_nothing_from_before_the_switch_on_goes_out_until_the_one_time_push_which_is_idempotent(
    app: Flask, setting: dict, peer: Peer, today: date
):
    _mark(app, setting, present=False, remark="voor de koppeling")
    _switch_on(app, setting["connection"])
    assert _deliver(app) == (0, 0)
    assert peer.received == []
    with app.app_context():
        connection = db.session.get(ExchangeConnection, setting["connection"])
        first, last = ops.school_year(today)
        push = ops.push(Actor(None), connection, first, last, today)
        db.session.commit()
        assert (push.queued, push.skipped) == (1, 0)
    assert _deliver(app) == (1, 0)
    held = peer.moments[("an@example.org", today.isoformat(), "am")]
    assert (held.code, held.remark) == ("B", "voor de koppeling")
    with app.app_context():
        connection = db.session.get(ExchangeConnection, setting["connection"])
        again = ops.push(Actor(None), connection, first, last, today)
        db.session.commit()
        assert (again.queued, again.skipped) == (0, 1)
    assert _deliver(app) == (0, 0)
    assert len(peer.received) == 1


def test_a_paused_connection_sends_nothing_new_and_switching_on_sends_nothing_from_the_pause(
    app: Flask, setting: dict, peer: Peer
):
    _switch_on(app, setting["connection"])
    with app.app_context():
        ops.switch(
            Actor(None), db.session.get(ExchangeConnection, setting["connection"]), False, _now()
        )
        db.session.commit()
    _mark(app, setting, present=False)
    _switch_on(app, setting["connection"])
    assert _deliver(app) == (0, 0)
    assert peer.received == []


def test_a_registration_travels_with_its_registration_time(
    app: Flask, setting: dict, peer: Peer, today: date
):
    from app.models import Kind, Source
    from app.scanning.service import register

    _switch_on(app, setting["connection"])
    at = _now()
    with app.app_context():
        session = db.session.get(Session, setting["session"])
        register(Actor(None), session, setting["participant"], Kind.IN, at, at, Source.MANUAL)
        db.session.commit()
    assert _deliver(app) == (1, 0)
    data = peer.received[0]
    assert data["state"] == "late" and data["code"] == "L"  # checked in after 00:00
    assert data["participant"] == {"scheme": "email", "value": "an@example.org"}
    assert data["session"]["id"] == str(setting["session"])
    with app.app_context():
        participant = db.session.get(Participant, setting["participant"])
        assert participant.email == "an@example.org"


def test_a_scan_at_the_door_travels_only_while_the_connection_is_on(
    app: Flask, make: Builders, setting: dict, today: date
):
    """The scan learns in its own facts query whether its branch has a switched-on
    connection: then its registration becomes an event; otherwise nothing is written."""
    import uuid

    session_id = make.session(today, time(0, 0), time(23, 59))
    make.enrol(session_id, setting["participant"])

    def scan(direction: str) -> None:
        answer = make.api().post(
            "/scans",
            {
                "session_id": session_id,
                "code": make.code(setting["participant"]),
                "nonce": uuid.uuid4().hex,
                "direction": direction,
            },
        )
        assert answer.status_code == 200 and not answer.get_json()["repeat"], answer.get_json()

    def events() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(ExchangeEvent))

    scan("in")  # the connection is not switched on yet
    assert events() == 0
    _switch_on(app, setting["connection"])
    scan("out")
    assert events() == 1


def test_a_justification_and_an_exemption_travel_with_their_kind_and_remark(
    app: Flask, setting: dict, peer: Peer, today: date
):
    from app.attendance.operations import add_exemption, record_justification
    from app.models import JustificationKind, TrainingEnrolment

    _switch_on(app, setting["connection"])
    with app.app_context():
        session = db.session.get(Session, setting["session"])
        participant = db.session.get(Participant, setting["participant"])
        record_justification(
            Actor(None),
            participant,
            [session],
            JustificationKind.DOCTOR,
            today,
            "doktersbriefje",
            None,
            None,
            today,
        )
        db.session.commit()
    assert _deliver(app) == (1, 0)
    assert (peer.received[-1]["state"], peer.received[-1]["code"]) == ("justified_doctor", "Z")
    assert peer.received[-1]["remark"] == "doktersbriefje"
    with app.app_context():
        session = db.session.get(Session, setting["session"])
        enrolment = db.session.scalars(
            select(TrainingEnrolment).where(
                TrainingEnrolment.participant_id == setting["participant"]
            )
        ).first()
        assert enrolment is not None, "the setting fixture enrols the participant in a training"
        add_exemption(Actor(None), enrolment, session, None, "vrijgesteld door de school")
        db.session.commit()
    assert _deliver(app) == (1, 0)
    assert (peer.received[-1]["state"], peer.received[-1]["code"]) == ("exempt", "VR")


def test_an_imported_code_goes_on_to_the_other_connections_but_not_back(
    app: Flask, live: str, setting: dict, peer: Peer, today: date
):
    second = Peer(secret=ops.new_secret())
    second.start()
    try:
        with app.app_context():
            connection = db.session.get(ExchangeConnection, setting["connection"])
            other, _ = ops.create_connection(
                Actor(None),
                connection.branch,
                ops.ConnectionInput(
                    "Smartschool",
                    second.url,
                    list(EVENT_KINDS),
                    "email",
                    False,
                    dict(DEFAULT_MAPPING),
                    time(12, 0),
                    second.secret,
                ),
            )
            db.session.commit()
            other_id = other.id
        _switch_on(app, setting["connection"])
        _switch_on(app, other_id)
        at = _now() - timedelta(seconds=1)
        event = peer.register("an@example.org", today.isoformat(), "am", "K", "klein verlet", at)
        assert peer.send(_events_url(live, setting), event).json()["outcome"] == "applied"
        assert _deliver(app) == (1, 0)
        assert peer.received == []  # not back to where it came from
        [forwarded] = second.received
        assert (forwarded["code"], forwarded["remark"]) == ("K", "klein verlet")
        assert datetime.fromisoformat(forwarded["registered_at"]) == at  # the peer's time
    finally:
        second.stop()


def test_a_participant_without_the_chosen_identifier_is_not_sent_and_says_why(
    app: Flask, setting: dict, peer: Peer
):
    with app.app_context():
        connection = db.session.get(ExchangeConnection, setting["connection"])
        connection.identifier = "external_id"
        db.session.commit()
    _switch_on(app, setting["connection"])
    _mark(app, setting, present=False)
    assert _deliver(app) == (0, 0)
    with app.app_context():
        event = db.session.scalars(select(ExchangeEvent)).one()
        assert event.failed_at is not None
        assert event.last_error == "no identifier for this participant"
        from app.errors import Refusal

        with pytest.raises(Refusal):
            ops.retry(Actor(None), event, _now())
        db.session.rollback()
        participant = db.session.get(Participant, setting["participant"])
        participant.external_id = "INF-0042"
        db.session.commit()
    _mark(app, setting, present=True)
    _deliver(app)
    assert {e["participant"]["value"] for e in peer.received} == {"INF-0042"}


def test_an_address_with_an_underscore_and_capitals_finds_its_participant(
    app: Flask, live: str, setting: dict, peer: Peer, make: Builders, today: date
):
    pid = make.participant(email="an_de.smet@example.org")
    make.enrol(setting["session"], pid)
    _switch_on(app, setting["connection"])
    event = peer.register("An_De.Smet@Example.org", today.isoformat(), "am", "B")
    answer = peer.send(_events_url(live, setting), event)
    assert answer.status_code == 200 and answer.json()["outcome"] == "applied"
    lookalike = peer.register("anXde.smet@example.org", today.isoformat(), "am", "B")
    assert peer.send(_events_url(live, setting), lookalike).json()["error"] == "unknown_participant"


def test_what_waited_during_a_pause_goes_out_at_the_switch_on(
    app: Flask, setting: dict, peer: Peer
):
    _switch_on(app, setting["connection"])
    _mark(app, setting, present=False, remark="voor de pauze")
    with app.app_context():
        connection = db.session.get(ExchangeConnection, setting["connection"])
        ops.switch(Actor(None), connection, False, _now())
        db.session.commit()
    assert _deliver(app) == (0, 1)
    with app.app_context():
        assert db.session.scalars(select(ExchangeEvent.last_error)).one() == (
            "the connection is paused"
        )
    _switch_on(app, setting["connection"])  # due again at once, not after the back-off
    assert _deliver(app) == (1, 0)
    assert [e["remark"] for e in peer.received] == ["voor de pauze"]
