"""Issue 20, "guards against easy mistakes": a session planned in the past is said to be locked
before it is created; a cancelled session says so, offers no roll call, and can be restored while
nothing was registered; a new user starts with the least powerful role; all due certificates
are issued in one confirmed step; /favicon.ico answers; the demo has an evening session."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from app.audit import Actor
from app.certificates import operations as certificate_ops
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import AuditRecord, Certificate, Role, Session, Training
from app.planning.operations import cancel_session
from tests.helpers.courses import build_course, pdf_text
from tests.helpers.web import PAST


def _form(day, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "day": day.isoformat(),
        "start": "09:00",
        "end": "12:00",
        "location": "Lokaal 2",
        **extra,
    }


def _sessions(app, training_id: int) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Session).where(Session.training_id == training_id)
        )


def test_a_session_in_the_past_is_said_to_be_locked_before_it_is_created(app, make, today, auth):
    first = make.session(today + timedelta(days=7), time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    client = auth.as_role(Role.PROMOTOR)
    page = client.post(f"/trainings/{training_id}", data=_form(PAST))
    text = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200 and _sessions(app, training_id) == 1  # not created
    assert "De registraties voor deze dag sloten op 06/01/2026 10:00" in text
    assert "alleen support kan ze heropenen" in text
    confirmed = client.post(f"/trainings/{training_id}", data=_form(PAST, confirm_past="y"))
    assert confirmed.status_code == 302 and _sessions(app, training_id) == 2
    # A day still open needs no confirmation.
    later = client.post(f"/trainings/{training_id}", data=_form(today + timedelta(days=14)))
    assert later.status_code == 302 and _sessions(app, training_id) == 3


def test_a_cancelled_session_offers_no_roll_call_and_is_restored(app, make, today, auth):
    session_id = make.session(today + timedelta(days=3), time(9), time(12))
    make.enrol(session_id, make.participant(name="An Peeters"))
    with app.app_context():
        cancel_session(Actor(None), db.session.get(Session, session_id), "ziek", datetime.now(UTC))
        db.session.commit()
    client = auth.as_role(Role.PROMOTOR)
    text = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "geannuleerd" in text.lower()
    assert f"/sessions/{session_id}/roll-call" not in text
    assert "er is geen aanwezigheidsregistratie en er wordt niet gescand" in text
    roll_call = client.get(f"/sessions/{session_id}/roll-call")
    assert roll_call.status_code == 302 and roll_call.location.endswith(f"/sessions/{session_id}")
    # A trainer or the front desk may not restore it.
    assert auth.as_role(Role.TRAINER).post(f"/sessions/{session_id}/restore").status_code in (
        403,
        404,
    )
    restored = client.post(f"/sessions/{session_id}/restore", follow_redirects=True)
    assert "Sessie hersteld" in restored.get_data(as_text=True)
    with app.app_context():
        session = db.session.get(Session, session_id)
        assert session.cancelled_at is None and not session.cancelled
        assert db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.action == "session.restore")
        )
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f"/sessions/{session_id}/roll-call" in page
    again = client.post(f"/sessions/{session_id}/restore", follow_redirects=True)
    assert "Deze sessie is niet geannuleerd." in again.get_data(as_text=True)


def test_a_restored_session_may_not_overlap_one_planned_in_its_place(app, make, today, auth):
    day = today + timedelta(days=3)
    session_id = make.session(day, time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
        cancel_session(Actor(None), db.session.get(Session, session_id), "", datetime.now(UTC))
        db.session.commit()
    make.session(day, time(10), time(11), training_id=training_id)
    client = auth.as_role(Role.PROMOTOR)
    answer = client.post(f"/sessions/{session_id}/restore", follow_redirects=True)
    assert answer.status_code == 200
    with app.app_context():
        assert db.session.get(Session, session_id).cancelled


def test_a_new_user_starts_with_the_least_powerful_role(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
    page = client.get("/admin/users").get_data(as_text=True)
    selected = page.split('id="role"')[1].split("</select>")[0]  # the new user's form
    assert '<option selected value="frontdesk">' in selected
    assert '<option selected value="admin">' not in selected
    # Least powerful first in the list too.
    assert selected.index('value="frontdesk"') < selected.index('value="admin"')


def test_all_due_certificates_are_issued_in_one_confirmed_step(app, make, auth):
    course = build_course(app, make)
    training_id = course["training"]
    client = auth.as_role(Role.PROMOTOR)
    with app.app_context():
        training = db.session.get(Training, training_id)
        due = certificate_ops.bulk_due(certificate_ops.due_list(training, datetime.now(UTC)))
        expected = len(due)
    assert expected >= 2  # Anaïs and Ben are on paid leave, their deadlines long past
    page = " ".join(
        client.get(f"/trainings/{training_id}/certificates").get_data(as_text=True).split()
    )
    assert f"Alle {expected} verschuldigde attesten uitreiken" in page
    assert f"Deze {expected} attesten nu uitreiken?" in page
    # A stale count (the page was older than the list): nothing is issued.
    stale = client.post(
        f"/trainings/{training_id}/certificates/issue-due",
        data={"expected": str(expected + 1)},
        follow_redirects=True,
    )
    assert "De lijst is gewijzigd" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    done = client.post(
        f"/trainings/{training_id}/certificates/issue-due",
        data={"expected": str(expected)},
        follow_redirects=True,
    )
    assert f"{expected} attesten uitgereikt." in done.get_data(as_text=True)
    with app.app_context():
        issued = db.session.scalars(select(Certificate)).all()
        assert len(issued) == expected
        assert {(c.kind, c.participant_id) for c in issued} == {
            (line.kind, line.participant.id) for line in due
        }
        today = datetime.now(BRUSSELS).date()
        assert all(c.issued_at.astimezone(BRUSSELS).date() == today for c in issued)
        assert all("Attest" in pdf_text(c.pdf) for c in issued)
        left = certificate_ops.bulk_due(
            certificate_ops.due_list(db.session.get(Training, training_id), datetime.now(UTC))
        )
        assert left == []
    after = client.get(f"/trainings/{training_id}/certificates").get_data(as_text=True)
    assert "verschuldigde attesten uitreiken" not in after


def test_the_favicon_answers_without_a_login(app):
    response = app.test_client().get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon" and response.data[:4] == b"\0\0\1\0"


def test_the_demo_has_a_session_still_running_in_the_evening(app):
    from app.demo import load_demo
    from app.timing import is_locked, session_times

    evening = datetime.now(BRUSSELS).replace(hour=20, minute=30, second=0, microsecond=0)
    with app.app_context():
        load_demo(evening, password="demo-wachtwoord-lang-genoeg")
        today = evening.date()
        running = [
            s
            for s in db.session.scalars(select(Session).where(Session.day == today))
            if session_times(s).opens <= evening < session_times(s).end
            and not is_locked(s, evening)
        ]
        assert running, "no demo session to scan into at 20:30"
        # The morning session ended without registrations, but they stay open until 10:00
        # tomorrow: no "verloren" on what can still change.
        from app.attendance.figures import training_figures

        states = [
            leave.state
            for training in db.session.scalars(select(Training))
            for person in training_figures(training, evening).participants
            for leave in person.leave_periods
        ]
        assert "provisional" in states and "lost" not in states


def test_support_invites_a_user_by_mail_instead_of_typing_a_password(app, make, auth):
    from app.models import OutboxMail, User

    client = auth.as_role(Role.ADMIN, branch=None)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Laat leeg om de gebruiker per mail uit te nodigen" in page
    done = client.post(
        "/admin/users",
        data={
            "email": "nieuw@voorbeeld.be",
            "name": "Nina Nieuw",
            "role": "trainer",
            "branch": "0",
        },
        follow_redirects=True,
    )
    assert "uitgenodigd" in done.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "nieuw@voorbeeld.be")).one()
        assert user.role == Role.TRAINER
        [mail] = db.session.scalars(
            select(OutboxMail).where(OutboxMail.recipient == "nieuw@voorbeeld.be")
        ).all()
        assert mail.subject == "Kies een nieuw wachtwoord voor Aanwezig"
        # The link is personal: sealed while the mail waits (docs/security.md), readable only
        # by the worker that sends it.
        from app.mail.outbox import read_message

        assert mail.personal and b"/password/reset/" not in mail.message
        assert b"/password/reset/" in read_message(mail)
