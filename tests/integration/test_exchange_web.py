"""Support's exchange pages: only support, per branch; the secret shown once; clear refusals."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditRecord, ExchangeConnection, ExchangeEvent, Role
from tests.helpers.exchange import _branch, _form


def test_support_creates_a_connection_and_sees_its_secret_once(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    gent = _branch(app, "Gent")
    page = client.post("/admin/exchange/new", data=_form(gent))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "shown this once only" in text
    with app.app_context():
        connection = db.session.scalars(select(ExchangeConnection)).one()
        assert connection.active is False and connection.secret_last4
        secret_start = text.index("whsec_")
        secret = text[secret_start : text.index("<", secret_start)]
        assert secret.endswith(connection.secret_last4)
        assert secret.encode() not in connection.secret_encrypted  # stored encrypted
        audits = db.session.scalars(select(AuditRecord.after)).all()
        assert all(secret not in str(a) for a in audits)
        cid = connection.id
    detail = client.get(f"/admin/exchange/{cid}").get_data(as_text=True)
    assert secret not in detail and connection.secret_last4 in detail
    assert "Paused" in detail
    assert client.post(f"/admin/exchange/{cid}/switch", data={"on": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(ExchangeConnection, cid).active is True
    listing = client.get("/admin/exchange/").get_data(as_text=True)
    assert "Informat" in listing and "switched on" in listing


def test_bad_settings_get_a_clear_answer_never_a_500(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    gent = _branch(app, "Gent")
    cases = [
        (_form(gent, identifier="national_number"), "only travel over https"),
        (
            _form(gent, identifier="national_number", url="http://x.example"),
            "only travel over https",
        ),
        (_form(gent, url="ftp://x.example"), "starting with https://"),
        (_form(gent, mapping="present |"), "state = code"),
        (_form(gent, mapping="present = |\nabsent = |"), "codes mapping"),
        (_form(gent, secret="not a secret"), "whsec_"),
    ]
    for data, message in cases:
        page = client.post("/admin/exchange/new", data=data)
        assert page.status_code == 200
        assert message in page.get_data(as_text=True), message
    with app.app_context():
        assert db.session.scalars(select(ExchangeConnection)).all() == []
    allowed = _form(gent, identifier="national_number", national_number_allowed="y")
    assert "shown this once" in client.post("/admin/exchange/new", data=allowed).get_data(
        as_text=True
    )


def test_only_support_of_the_branch_manages_its_connections(app, make, auth):
    central = auth.as_role(Role.ADMIN, branch=None, english=True)
    brugge = _branch(app, "Brugge")
    assert central.post("/admin/exchange/new", data=_form(brugge)).status_code == 200
    with app.app_context():
        cid = db.session.scalars(select(ExchangeConnection.id)).one()
    gent_support = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    assert gent_support.get(f"/admin/exchange/{cid}").status_code == 404
    assert gent_support.post(f"/admin/exchange/{cid}/switch", data={"on": "1"}).status_code == 404
    assert "Informat" not in gent_support.get("/admin/exchange/").get_data(as_text=True)
    promotor = auth.as_role(Role.PROMOTOR, branch="Brugge", english=True)
    assert promotor.get("/admin/exchange/").status_code == 403
    assert promotor.get(f"/admin/exchange/{cid}").status_code == 403
    assert central.get(f"/admin/exchange/{cid}").status_code == 200


def test_the_push_and_the_retry_button_from_the_page(app, make, today, auth):
    from datetime import time

    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    gent = _branch(app, "Gent")
    client.post("/admin/exchange/new", data=_form(gent, url="http://informat.invalid/none"))
    with app.app_context():
        cid = db.session.scalars(select(ExchangeConnection.id)).one()
    # Paused: the push is refused with its reason.
    page = client.post(
        f"/admin/exchange/{cid}/push",
        data={"date_from": "2026-09-01", "date_to": "2027-08-31"},
        follow_redirects=True,
    )
    assert "Switch the connection on" in page.get_data(as_text=True)
    client.post(f"/admin/exchange/{cid}/switch", data={"on": "1"})
    session_id = make.session(today, time(0, 0), time(11, 59))
    pid = make.participant()
    make.enrol(session_id, pid)
    from datetime import UTC, datetime

    from app.attendance.operations import RollCallLine, confirm_roll_call
    from app.audit import Actor
    from app.models import Session

    with app.app_context():
        confirm_roll_call(
            Actor(None),
            db.session.get(Session, session_id),
            [RollCallLine(pid, False, "ziek")],
            datetime.now(UTC),
        )
        db.session.commit()
    with app.app_context():
        event = db.session.scalars(select(ExchangeEvent)).first()
        assert event is not None and event.code == "B"
        event_id = event.id
    page = client.get(f"/admin/exchange/{cid}").get_data(as_text=True)
    assert "waiting" in page and "ziek" in page
    assert client.post(f"/admin/exchange/events/{event_id}/retry").status_code == 302
    bad = client.post(
        f"/admin/exchange/{cid}/push", data={"date_from": "1800-01-01", "date_to": "x"}
    )
    assert bad.status_code == 200
    first = today.replace(day=1)
    pushed = client.post(
        f"/admin/exchange/{cid}/push",
        data={"date_from": first.isoformat(), "date_to": today.isoformat()},
        follow_redirects=True,
    )
    assert "already sent or nothing to send" in pushed.get_data(as_text=True)
    assert client.post("/admin/exchange/events/999999/retry").status_code == 404


def test_a_new_secret_is_shown_once_and_the_old_one_no_longer_signs(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    gent = _branch(app, "Gent")
    client.post("/admin/exchange/new", data=_form(gent))
    with app.app_context():
        connection = db.session.scalars(select(ExchangeConnection)).one()
        cid, before = connection.id, connection.secret_encrypted
    page = client.post(f"/admin/exchange/{cid}", data=_form(gent, secret="generate"))
    assert "shown this once only" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ExchangeConnection, cid).secret_encrypted != before
    kept = client.post(f"/admin/exchange/{cid}", data=_form(gent, name="Informat 2"))
    assert kept.status_code == 302


def test_the_connection_page_runs_the_same_queries_for_2_and_for_20_events(app, make, today, auth):
    from datetime import UTC, datetime, time

    from app.attendance.operations import RollCallLine, confirm_roll_call
    from app.audit import Actor
    from app.models import Session
    from tests.helpers.queries import queries

    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    client.post("/admin/exchange/new", data=_form(_branch(app, "Gent")))
    with app.app_context():
        cid = db.session.scalars(select(ExchangeConnection.id)).one()
    client.post(f"/admin/exchange/{cid}/switch", data={"on": "1"})
    session_id = make.session(today, time(0, 0), time(11, 59))
    people = [make.participant() for _ in range(20)]
    for pid in people:
        make.enrol(session_id, pid)

    def mark(pids: list[int]) -> None:
        with app.app_context():
            confirm_roll_call(
                Actor(None),
                db.session.get(Session, session_id),
                [RollCallLine(pid, False, "x") for pid in pids],
                datetime.now(UTC),
            )
            db.session.commit()

    mark(people[:2])
    few = queries(app, client, f"/admin/exchange/{cid}")
    mark(people[2:])
    assert queries(app, client, f"/admin/exchange/{cid}") == few
    assert queries(app, client, "/admin/exchange/") <= 10
