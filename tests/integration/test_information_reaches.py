"""Issue 20, "information that reaches the person who acts": the trainer's remark on the roll
call ("ziek gemeld, briefje volgt") is shown to the promotor where justifications are handled:
the participant's attendance page (the form that records them) and the documents sent from
the portal."""

from __future__ import annotations

from datetime import UTC, datetime

from app.attendance.operations import RollCallLine, confirm_roll_call
from app.audit import Actor
from app.extensions import db
from app.models import Role, Session
from tests.helpers.portal import held_session, portal_client, send

REMARK = "ziek gemeld, briefje volgt"


def test_the_trainers_remark_reaches_the_promotor_handling_justifications(app, make, today, auth):
    session_id, person = held_session(app, make, today)
    with app.app_context():
        session = db.session.get(Session, session_id)
        training_id = session.training_id
        confirm_roll_call(
            Actor(None), session, [RollCallLine(person, False, REMARK)], datetime.now(UTC)
        )
        db.session.commit()
    promotor = auth.as_role(Role.PROMOTOR)
    page = promotor.get(f"/trainings/{training_id}/participants/{person}").get_data(as_text=True)
    assert "Opmerkingen bij de aanwezigheden" in page and REMARK in page
    send(portal_client(app, "an@example.org"), session_id)
    inbox = promotor.get("/from-participants").get_data(as_text=True)
    assert f"Opmerking van de opleider: {REMARK}" in inbox
    # Someone else's remark is not shown beside this participant's document.
    other = promotor.get(f"/trainings/{training_id}/participants/{person}").get_data(as_text=True)
    assert other.count(REMARK) == 1


def test_no_remark_no_box(app, make, today, auth):
    session_id, person = held_session(app, make, today)
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    promotor = auth.as_role(Role.PROMOTOR)
    page = promotor.get(f"/trainings/{training_id}/participants/{person}").get_data(as_text=True)
    assert "Opmerkingen bij de aanwezigheden" not in page


# --- A closure day on which sessions are planned ----------------------------------------------


def _closure_days(app):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.models import ClosureDay

    with app.app_context():
        return sorted(db.session.scalars(select(ClosureDay.day)))


def test_a_closure_day_on_planned_sessions_warns_names_them_and_cancels_them(
    app, make, today, auth
):
    from datetime import time, timedelta

    day = today + timedelta(days=20)
    session_id = make.session(day, time(9), time(12))
    make.enrol(session_id, make.participant(name="An Peeters"))
    with app.app_context():
        training = db.session.get(Session, session_id).training.name
    client = auth.as_role(Role.ADMIN, branch=None)
    data = {"day": day.isoformat(), "label": "Pedagogische studiedag"}
    warned = " ".join(client.post("/admin/closure-days", data=data).get_data(as_text=True).split())
    assert "Op deze dagen is 1 sessie gepland:" in warned
    assert f"{day.strftime('%d/%m/%Y')} 09:00–12:00" in warned and training in warned
    assert _closure_days(app) == []  # nothing added before support decides
    done = client.post(
        "/admin/closure-days", data={**data, "planned": "cancel"}, follow_redirects=True
    )
    text = done.get_data(as_text=True)
    assert "1 sluitingsdag toegevoegd." in text and "1 sessie geannuleerd." in text
    assert _closure_days(app) == [day]
    with app.app_context():
        session = db.session.get(Session, session_id)
        assert session.cancelled and session.cancel_reason == "Pedagogische studiedag"


def test_support_may_keep_the_sessions_and_enter_a_school_holiday_as_a_range(
    app, make, today, auth
):
    from datetime import time, timedelta

    first = today + timedelta(days=30)
    session_id = make.session(first + timedelta(days=2), time(9), time(12))
    client = auth.as_role(Role.ADMIN, branch=None)
    data = {
        "day": first.isoformat(),
        "until": (first + timedelta(days=13)).isoformat(),
        "label": "Kerstvakantie",
        "planned": "keep",
    }
    done = client.post("/admin/closure-days", data=data, follow_redirects=True)
    assert "14 sluitingsdagen toegevoegd." in done.get_data(as_text=True)
    assert _closure_days(app) == [first + timedelta(days=n) for n in range(14)]
    with app.app_context():
        assert not db.session.get(Session, session_id).cancelled
    backwards = client.post(
        "/admin/closure-days",
        data={"day": first.isoformat(), "until": (first - timedelta(days=1)).isoformat()},
    )
    assert "De laatste dag kan niet voor de eerste vallen." in backwards.get_data(as_text=True)
    too_long = client.post(
        "/admin/closure-days",
        data={"day": first.isoformat(), "until": (first + timedelta(days=200)).isoformat()},
    )
    assert "hoogstens 120 dagen" in too_long.get_data(as_text=True)


# --- The front desk enrols a walk-in in today's session ---------------------------------------


def test_the_front_desk_looks_up_a_walk_in_and_enrols_them_today(app, make, today, auth):
    from datetime import time

    from sqlalchemy import select

    from app.models import Enrolment

    session_id = make.session(today, time(0, 0), time(23, 59))
    walk_in = make.participant(name="Karel Vandamme", email="karel@voorbeeld.be")
    make.participant(name="Other Branch", email="other@voorbeeld.be", branch="Brugge")
    desk = auth.as_role(Role.FRONTDESK)
    page = desk.get("/frontdesk?q=vandamme").get_data(as_text=True)
    assert "Karel Vandamme" in page and "Vandaag inschrijven" in page
    assert "Other Branch" not in desk.get("/frontdesk?q=other").get_data(as_text=True)
    done = desk.post(
        "/frontdesk/enrol",
        data={"participant_id": walk_in, "session_id": session_id},
        follow_redirects=True,
    )
    assert "Karel Vandamme is ingeschreven voor" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == session_id, Enrolment.participant_id == walk_in
            )
        ).one()
    again = desk.post(
        "/frontdesk/enrol",
        data={"participant_id": walk_in, "session_id": session_id},
        follow_redirects=True,
    )
    assert "was al ingeschreven" in again.get_data(as_text=True)
    # Not another day's session, not for a trainer.
    tomorrow = make.session(today + timedelta_days(1), time(9), time(12))
    assert (
        desk.post(
            "/frontdesk/enrol", data={"participant_id": walk_in, "session_id": tomorrow}
        ).status_code
        == 404
    )
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.post(
        "/frontdesk/enrol", data={"participant_id": walk_in, "session_id": session_id}
    ).status_code in (403, 404)


def timedelta_days(n: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(days=n)


def test_the_front_desk_reminds_the_trainer_with_a_button_recorded(app, make, today, auth):
    from datetime import time

    from sqlalchemy import select

    from app.models import AuditRecord, OutboxMail

    tom = make.user(Role.TRAINER, email="tom@voorbeeld.be")
    session_id = make.session(today, time(0, 0), time(0, 2), trainer_id=tom)
    make.enrol(session_id, make.participant(name="An Peeters"))
    desk = auth.as_role(Role.FRONTDESK)
    page = desk.get("/frontdesk").get_data(as_text=True)
    assert "Opleider herinneren per mail" in page  # past its end, nothing registered
    done = desk.post(f"/frontdesk/sessions/{session_id}/remind", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "kreeg een herinnering per mail" in text and "herinnerd om" in text
    with app.app_context():
        [mail] = db.session.scalars(
            select(OutboxMail).where(OutboxMail.recipient == "tom@voorbeeld.be")
        ).all()
        assert "nog geen registratie" in mail.subject
        [record] = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "session.remind_trainer")
        ).all()
        assert record.object_id == session_id and record.after == {"trainer_id": tom}
    again = desk.post(f"/frontdesk/sessions/{session_id}/remind", follow_redirects=True)
    assert "kreeg om" in again.get_data(as_text=True)
    with app.app_context():
        assert (
            len(
                db.session.scalars(
                    select(OutboxMail).where(OutboxMail.recipient == "tom@voorbeeld.be")
                ).all()
            )
            == 1
        )
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.post(f"/frontdesk/sessions/{session_id}/remind").status_code in (403, 404)


# --- A supervisor is told when they are linked ----------------------------------------------


def test_a_supervisor_is_told_by_mail_when_linked_with_a_link_to_the_portal(app, make):
    from sqlalchemy import select

    from app.models import OutboxMail
    from tests.helpers.portal import link_supervisor

    an = make.participant(name="An Peeters", email="an@voorbeeld.be")
    link_supervisor(app, an, "Sara Baas", "sara@voorbeeld.be")
    with app.app_context():
        [mail] = db.session.scalars(
            select(OutboxMail).where(OutboxMail.recipient == "sara@voorbeeld.be")
        ).all()
        assert mail.subject == "Aanwezig: u keurt de e-learninguren van An Peeters goed"
        text = mail.message.decode("utf-8", "replace")
        assert "/portal/sign-in" in text
    link_supervisor(app, an, "Sara Baas", "sara@voorbeeld.be")  # no change: no second mail
    with app.app_context():
        assert (
            len(
                db.session.scalars(
                    select(OutboxMail).where(OutboxMail.recipient == "sara@voorbeeld.be")
                ).all()
            )
            == 1
        )


def test_a_supervisor_gets_one_mail_a_day_when_hours_wait(app, make, today):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from app.models import OutboxMail
    from app.supervision.daily import send_waiting_mails
    from tests.helpers.portal import elearning_training, link_supervisor, report

    an = make.participant(name="An Peeters", email="an@voorbeeld.be")
    ben = make.participant(name="Ben Claes", email="ben@voorbeeld.be")
    training = elearning_training(app, make, today, [an, ben], code="EL-DAILY")
    for person in (an, ben):
        link_supervisor(app, person, "Sara Baas", "sara@voorbeeld.be")
    report(app, training, an)
    report(app, training, ben, start=None, end=None, minutes=45)

    def waiting_mails():  # type: ignore[no-untyped-def]
        return db.session.scalars(
            select(OutboxMail).where(
                OutboxMail.recipient == "sara@voorbeeld.be",
                OutboxMail.subject.contains("wachten op uw goedkeuring"),
            )
        ).all()

    now = datetime.now(UTC)
    with app.app_context():
        assert send_waiting_mails(now) == 1  # one mail for both participants
        db.session.commit()
        [mail] = waiting_mails()
        text = mail.message.decode("utf-8", "replace")
        assert "An Peeters" in text and "Ben Claes" in text and "/portal/sign-in" in text
        assert send_waiting_mails(now + timedelta(hours=2)) == 0  # at most one a day
        assert send_waiting_mails(now + timedelta(hours=21)) == 1  # the next day, if still waiting
        db.session.commit()
        assert len(waiting_mails()) == 2
