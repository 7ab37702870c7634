"""Everyday planning without dead ends: change, cancel, plan in series, trainers' work relations.

Every change is audited with its before and after; refusals carry their reason.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.audit import Actor
from app.extensions import db
from app.models import (
    AuditRecord,
    ClosureDay,
    Enrolment,
    OutboxMail,
    PartnerOrganisation,
    Project,
    Role,
    Session,
    Training,
    User,
)
from app.models.org import Branch
from tests.builders import PASSWORD, future_monday


def _audits(app, action: str, object_id: int):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalars(
            select(AuditRecord).where(
                AuditRecord.action == action, AuditRecord.object_id == object_id
            )
        ).all()


def _session(app, session_id: int) -> Session:  # type: ignore[no-untyped-def]
    with app.app_context():
        session = db.session.get(Session, session_id)
        db.session.expunge(session)
        return session


def _edit(client, session_id: int, **changes):  # type: ignore[no-untyped-def]
    data = {
        "edit-day": future_monday().isoformat(),
        "edit-start": "09:00",
        "edit-end": "12:00",
        "edit-trainer": "0",
        "edit-location": "Room 1",
    }
    data.update({f"edit-{k}": v for k, v in changes.items()})
    return client.post(f"/sessions/{session_id}/edit", data=data)


def _scan_now(make, session_id: int, person: int) -> None:
    api = make.api()
    response = api.post(
        "/scans", {"session_id": session_id, "code": make.code(person), "nonce": uuid.uuid4().hex}
    )
    assert response.status_code == 200, response.get_json()


# --- Changing a session -------------------------------------------------------------------


def test_a_session_is_moved_and_the_change_is_audited_before_and_after(app, make, auth):
    client = auth.as_role(Role.PROMOTOR)
    monday = future_monday()
    session_id = make.session(monday, time(9), time(12))
    wednesday = monday + timedelta(days=2)
    response = _edit(client, session_id, day=wednesday.isoformat(), start="13:00", end="16:30")
    assert response.status_code == 302
    moved = _session(app, session_id)
    assert (moved.day, moved.start, moved.end) == (wednesday, time(13), time(16, 30))
    (record,) = _audits(app, "session.change", session_id)
    assert record.before["day"] == monday.isoformat() and record.before["start"] == "09:00:00"
    assert record.after["day"] == wednesday.isoformat() and record.after["end"] == "16:30:00"


def test_a_move_that_leaves_registrations_outside_is_refused_unless_support_says_why(
    app, make, today, auth
):
    session_id = make.session(today, time(0, 0), time(23, 59))
    person = make.participant()
    make.enrol(session_id, person)
    _scan_now(make, session_id, person)
    tomorrow = (today + timedelta(days=1)).isoformat()
    promotor = auth.as_role(Role.PROMOTOR, english=True)
    page = _edit(promotor, session_id, day=tomorrow, start="09:00", end="12:00")
    assert page.status_code == 200
    assert "would fall outside the session" in page.get_data(as_text=True)
    assert _session(app, session_id).day == today
    support = auth.as_role(Role.ADMIN, branch=None, english=True)
    done = _edit(support, session_id, day=tomorrow, reason="planned on the wrong day by mistake")
    assert done.status_code == 302
    assert _session(app, session_id).day == today + timedelta(days=1)
    (record,) = _audits(app, "session.change", session_id)
    assert record.after["override_reason"] == "planned on the wrong day by mistake"


def test_the_edit_page_asks_for_the_reason_only_of_who_may_override(app, make, today, auth):
    """app.domain.sessions.may_override_registrations_outside decides the page too."""
    session_id = make.session(today + timedelta(days=7), time(9), time(12))
    promotor = auth.as_role(Role.PROMOTOR)
    support = auth.as_role(Role.ADMIN, branch=None)
    edit = f"/sessions/{session_id}/edit"
    assert 'name="edit-reason"' not in promotor.get(edit).get_data(as_text=True)
    assert 'name="edit-reason"' in support.get(edit).get_data(as_text=True)


def test_a_change_that_overlaps_another_session_is_refused(app, make, auth):
    monday = future_monday()
    first = make.session(monday, time(9), time(12))
    training_id = _session(app, first).training_id
    second = make.session(monday, time(13), time(16), training_id=training_id)
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = _edit(client, second, day=monday.isoformat(), start="11:00", end="14:00")
    assert "overlaps the session" in page.get_data(as_text=True)
    assert _session(app, second).start == time(13)


# --- Cancelling -----------------------------------------------------------------------------


def test_cancelling_mails_the_enrolled_and_the_session_counts_nowhere(app, make, auth):
    from app.attendance.figures import training_figures
    from app.exports.operations import submission_plan

    monday = future_monday()
    session_id = make.session(monday, time(9), time(12))
    people = [make.participant(), make.participant()]
    for person in people:
        make.enrol(session_id, person)
    client = auth.as_role(Role.PROMOTOR, english=True)
    with app.app_context():
        mails_before = db.session.scalar(select(func.count()).select_from(OutboxMail))
    response = client.post(f"/sessions/{session_id}/cancel", data={"cancel-reason": "Trainer ill"})
    assert response.status_code == 302
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "cancelled" in page and "Trainer ill" in page
    with app.app_context():
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()[mails_before:]
        assert len(mails) == 2 and all(
            "Cancelled" in m.subject or "Geannuleerd" in m.subject for m in mails
        )
        session = db.session.get(Session, session_id)
        assert session.cancelled
        figures = training_figures(session.training, datetime.now(UTC) + timedelta(days=800))
        assert figures.sessions == []
        plan = submission_plan(session.training.project, monday, monday, datetime.now(UTC))
        assert [item.skip for item in plan] == ["cancelled"]
    (record,) = _audits(app, "session.cancel", session_id)
    assert record.before["cancelled_at"] is None and record.after["cancel_reason"] == "Trainer ill"
    # Nobody can be enrolled in it any more, and it no longer blocks its time slot.
    assert client.post(f"/sessions/{session_id}/enrol", data={"enrol-participants": people[0]})
    with app.app_context():
        training = db.session.get(Session, session_id).training
        from app.planning.operations import create_session

        create_session(Actor(None), training, monday, time(9), time(12))  # no overlap refusal
        db.session.commit()


def test_a_session_with_registrations_cannot_be_cancelled(app, make, today, auth):
    session_id = make.session(today, time(0, 0), time(23, 59))
    person = make.participant()
    make.enrol(session_id, person)
    _scan_now(make, session_id, person)
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = client.post(f"/sessions/{session_id}/cancel", data={"cancel-reason": "x"})
    assert "has registrations, so it cannot be cancelled" in page.get_data(as_text=True)
    assert not _session(app, session_id).cancelled


# --- Planning in series --------------------------------------------------------------------


def _series(client, training_id: int, step: str, days=(), **fields):  # type: ignore[no-untyped-def]
    data = {
        "series-first": fields.pop("first"),
        "series-last": fields.pop("last"),
        "series-weekdays": fields.pop("weekdays", ["1", "3"]),
        "series-start": "18:00",
        "series-end": "21:00",
        "series-break_start": "19:30",
        "series-break_end": "19:45",
        "series-location": "Lokaal X",
        "series-trainer": "0",
        "step": step,
        "series-days": list(days),
    }
    data.update({f"series-{k}": v for k, v in fields.items()})
    return client.post(f"/trainings/{training_id}/series", data=data)


def _training_for_series(app, make) -> int:  # type: ignore[no-untyped-def]
    session_id = make.session(date(2027, 1, 4), time(9), time(12))  # a Monday, not in the series
    return _session(app, session_id).training_id


def _count_sessions(app, training_id: int) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Session).where(Session.training_id == training_id)
        )


def test_the_preview_lists_every_date_marks_holidays_closures_and_overlaps_and_plans_nothing(
    app, make, auth
):
    training_id = _training_for_series(app, make)
    # Thursday 6 May 2027 is Ascension Day; Tuesday 4 May 2027 a closure day; an existing
    # session of the training on Thursday 29 April 2027 in the evening overlaps.
    make.session(date(2027, 4, 29), time(17), time(19), training_id=training_id)
    with app.app_context():
        db.session.add(ClosureDay(day=date(2027, 5, 4), label="Pedagogische studiedag"))
        db.session.commit()
    client = auth.as_role(Role.PROMOTOR, english=True)
    before = _count_sessions(app, training_id)
    page = _series(client, training_id, "preview", first="2027-04-27", last="2027-05-20")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "8 dates proposed." in html  # Tue/Thu from 27 April to 20 May
    assert "Public holiday: O. L. H. Hemelvaart" in html or "Ascension" in html
    assert "Closure day: Pedagogische studiedag" in html
    assert "Overlaps the session from 17:00 to 19:00" in html
    assert 'value="2027-05-06" id="day-2027-05-06" aria-label="06/05/2027">' in html  # unticked
    assert 'value="2027-05-04" id="day-2027-05-04" aria-label="04/05/2027">' in html  # unticked
    assert 'value="2027-05-11" id="day-2027-05-11" aria-label="11/05/2027" checked>' in html
    assert 'value="2027-04-29" id="day-2027-04-29" aria-label="29/04/2027" disabled>' in html
    assert _count_sessions(app, training_id) == before  # nothing created before confirming


def test_confirming_plans_the_ticked_dates_and_enrols_the_training(app, make, auth):
    training_id = _training_for_series(app, make)
    person = make.participant()
    first_session = db_session_of(app, training_id)
    make.enrol(first_session, person)
    client = auth.as_role(Role.PROMOTOR)
    ticked = ["2027-04-27", "2027-04-29", "2027-05-06"]  # the holiday ticked back on purpose
    response = _series(
        client, training_id, "confirm", days=[*ticked, "2031-01-01", "garbage"],
        first="2027-04-27", last="2027-05-20", enrol_all="y",
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalars(
            select(Session).where(
                Session.training_id == training_id, Session.day >= date(2027, 4, 1)
            )
        ).all()
        assert sorted(s.day.isoformat() for s in made) == ticked  # never a date not offered
        assert all(
            (s.start, s.end, s.break_start) == (time(18), time(21), time(19, 30)) for s in made
        )
        enrolled = db.session.scalars(
            select(Enrolment.session_id).where(Enrolment.participant_id == person)
        ).all()
        assert {s.id for s in made} <= set(enrolled)


def db_session_of(app, training_id: int) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalars(
            select(Session.id).where(Session.training_id == training_id)
        ).first()


def test_a_series_across_the_change_to_summer_time_keeps_its_local_times(app, make, auth):
    from app.timing import session_times

    training_id = _training_for_series(app, make)
    client = auth.as_role(Role.PROMOTOR)
    # Summer time starts on Sunday 28 March 2027: the Thursday before and the Tuesday after.
    response = _series(
        client, training_id, "confirm", days=["2027-03-25", "2027-03-30"],
        first="2027-03-22", last="2027-04-02",
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalars(
            select(Session).where(
                Session.training_id == training_id, Session.day >= date(2027, 3, 1)
            )
        ).all()
        starts = [session_times(s).start for s in made]
    assert [s.hour for s in starts] == [18, 18]
    assert [s.utcoffset() for s in starts] == [timedelta(hours=1), timedelta(hours=2)]


def test_a_series_with_bad_input_says_what_is_wrong(app, make, auth):
    training_id = _training_for_series(app, make)
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = _series(client, training_id, "preview", first="2027-05-20", last="2027-04-01")
    assert "The last date must not be before the first." in page.get_data(as_text=True)
    page = _series(client, training_id, "preview", first="2027-01-01", last="2029-01-01")
    assert "A series covers at most" in page.get_data(as_text=True)
    page = _series(
        client, training_id, "preview", first="2027-01-01", last="2027-02-01", weekdays=[]
    )
    assert "Choose at least one weekday." in page.get_data(as_text=True)


# --- Trainers: work relations and double bookings -------------------------------------------


def test_only_trainers_with_a_work_relation_with_the_branch_can_be_assigned(app, make, auth):
    from app.errors import Refusal
    from app.planning.operations import check_trainer

    external = make.user(Role.TRAINER, branch=None, email="extern@partner.example")
    other_branch = make.user(Role.TRAINER, branch="Brugge", email="brugge@example.org")
    session_id = make.session(future_monday(), time(9), time(12))
    with app.app_context():
        training = db.session.get(Session, session_id).training
        partner = PartnerOrganisation(name="Partner vzw")
        db.session.add(partner)
        db.session.get(User, external).partner = partner
        db.session.commit()
        for user_id in (external, other_branch):
            with pytest.raises(Refusal) as refused:
                check_trainer(db.session.get(User, user_id), training)
            assert refused.value.code == "no_work_relation"
        partner = db.session.get(PartnerOrganisation, partner.id)
        partner.branches = [training.project.branch]
        db.session.commit()
        check_trainer(db.session.get(User, external), training)  # now allowed
    # The session form offers only the trainers who may teach here.
    client = auth.as_role(Role.PROMOTOR)
    page = client.get(f"/trainings/{_session(app, session_id).training_id}").get_data(as_text=True)
    assert "extern@partner.example" in page and "Partner vzw" in page
    assert "brugge@example.org" not in page


def test_a_trainer_booked_elsewhere_at_that_time_needs_a_confirmation(app, make, auth):
    trainer = make.user(Role.TRAINER, email="t@example.org")
    monday = future_monday()
    make.session(monday, time(9), time(12), trainer_id=trainer)  # another training
    other_training = _session(app, make.session(monday + timedelta(days=1))).training_id
    client = auth.as_role(Role.PROMOTOR, english=True)
    data = {"day": monday.isoformat(), "start": "10:00", "end": "11:00", "trainer": str(trainer)}
    before = _count_sessions(app, other_training)
    page = client.post(f"/trainings/{other_training}", data=data)
    assert page.status_code == 200
    assert "Tick the box below to plan this session with them anyway." in page.get_data(
        as_text=True
    )
    assert _count_sessions(app, other_training) == before
    confirmed = client.post(f"/trainings/{other_training}", data={**data, "confirm_trainer": "y"})
    assert confirmed.status_code == 302
    assert _count_sessions(app, other_training) == before + 1


# --- Trainings, projects, users, branches, closure days ------------------------------------


def test_a_training_is_renamed_and_given_other_trainers(app, make, auth):
    trainer = make.user(Role.TRAINER, email="t@example.org")
    session_id = make.session(future_monday())
    training_id = _session(app, session_id).training_id
    client = auth.as_role(Role.PROMOTOR)
    response = client.post(
        f"/trainings/{training_id}/edit",
        data={"edit-name": "Excel gevorderd", "edit-code": "XL2", "edit-mode": "e-learning",
              "edit-trainers": [str(trainer)]},
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        training = db.session.get(Training, training_id)
        assert (training.name, training.code, training.mode.value) == (
            "Excel gevorderd",
            "XL2",
            "e-learning",
        )
        assert [u.id for u in training.trainers] == [trainer]
    (record,) = _audits(app, "training.change", training_id)
    assert record.before["name"] == "Training" and record.after["trainers"] == [trainer]


def test_a_project_number_is_unique_and_a_project_with_registrations_keeps_its_branch(
    app, make, today, auth
):
    session_id = make.session(today, time(0, 0), time(23, 59))
    person = make.participant()
    make.enrol(session_id, person)
    _scan_now(make, session_id, person)
    with app.app_context():
        project = db.session.get(Session, session_id).training.project
        project_id, number = project.id, project.number
        db.session.add(Branch(name="Brugge"))
        db.session.commit()
    other = make.session(future_monday())
    with app.app_context():
        other_project = db.session.get(Session, other).training.project_id
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    page = client.post(
        f"/projects/{other_project}/edit",
        data={"edit-name": "X", "edit-number": number, "edit-branch": "Gent"},
    ).get_data(as_text=True)
    assert "Another project already has this number." in page
    page = client.post(
        f"/projects/{project_id}/edit",
        data={"edit-name": "Renamed", "edit-number": number, "edit-branch": "Brugge"},
    ).get_data(as_text=True)
    assert "stays in its branch" in page
    ok = client.post(
        f"/projects/{project_id}/edit",
        data={"edit-name": "Renamed", "edit-number": number, "edit-branch": "Gent"},
    )
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.get(Project, project_id).name == "Renamed"


def test_closure_days_in_the_past_are_refused_and_future_ones_can_be_removed(
    app, make, today, auth
):
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    page = client.post(
        "/admin/closure-days", data={"day": (today - timedelta(days=1)).isoformat()}
    ).get_data(as_text=True)
    assert "would move deadlines that already passed" in page
    future = future_monday()
    assert client.post("/admin/closure-days", data={"day": future.isoformat()}).status_code == 302
    with app.app_context():
        closure_id = db.session.scalars(select(ClosureDay.id)).one()
    assert client.post(f"/admin/closure-days/{closure_id}/remove").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ClosureDay)) == 0
    assert _audits(app, "closure_day.delete", closure_id)


def test_support_changes_a_users_name_email_and_employer(app, make, auth):
    user_id = make.user(Role.TRAINER, email="old@example.org")
    with app.app_context():
        partner = PartnerOrganisation(name="Partner vzw")
        db.session.add(partner)
        db.session.commit()
        partner_id = partner.id
    client = auth.as_role(Role.ADMIN, branch=None)
    response = client.post(
        f"/admin/users/{user_id}/edit",
        data={"email": "new@example.org", "name": "Nieuwe Naam", "role": "trainer",
              "branch": "0", "partner": str(partner_id)},
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.email, user.name, user.partner_id) == (
            "new@example.org",
            "Nieuwe Naam",
            partner_id,
        )
        assert user.session_generation == 1  # the old address's sessions ended
    record = _audits(app, "user.change", user_id)[-1]
    assert record.before["email"] == "old@example.org" and record.after["partner_id"] == partner_id


def test_a_branch_is_renamed(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
    client.post("/admin/branches", data={"name": "Brugge"})
    with app.app_context():
        branch_id = db.session.scalars(select(Branch.id).where(Branch.name == "Brugge")).one()
    response = client.post(
        f"/admin/branches/{branch_id}", data={f"branch{branch_id}-name": "Brugge-Noord"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Branch, branch_id).name == "Brugge-Noord"


def test_a_session_added_later_offers_to_enrol_the_trainings_participants(app, make, auth):
    monday = future_monday()
    first = make.session(monday, time(9), time(12))
    training_id = _session(app, first).training_id
    people = [make.participant(), make.participant()]
    for person in people:
        make.enrol(first, person)
    client = auth.as_role(Role.PROMOTOR, english=True)
    created = client.post(
        f"/trainings/{training_id}",
        data={"day": (monday + timedelta(days=7)).isoformat(), "start": "09:00", "end": "12:00", "trainer": "0"},
    )  # fmt: skip
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "2 participants of this training are not enrolled in this session." in page
    new_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert client.post(f"/sessions/{new_id}/enrol-training").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Enrolment).where(Enrolment.session_id == new_id)
            )
            == 2
        )


def test_the_trainers_start_page_switches_to_the_whole_month(app, make, today):
    trainer = make.user(Role.TRAINER, email="t@example.org")
    first = today.replace(day=1)
    later = (
        (first + timedelta(days=20)) if first.month == (first + timedelta(days=20)).month else first
    )
    make.session(later, time(9), time(12), trainer_id=trainer)
    make.session(future_monday(), time(9), time(12), trainer_id=trainer)
    client = app.test_client()
    client.post("/login", data={"email": "t@example.org", "password": PASSWORD})
    page = client.get("/?month=").get_data(as_text=True)
    assert later.strftime("%d/%m/%Y") in page
    assert future_monday().strftime("%d/%m/%Y") not in page
    nxt = client.get(f"/?month={future_monday():%Y-%m}").get_data(as_text=True)
    assert future_monday().strftime("%d/%m/%Y") in nxt
    assert client.get("/?month=9999-99").status_code == 200
