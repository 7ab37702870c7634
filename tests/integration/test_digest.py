"""docs/rules.md, "Daily digest": the promotor and the trainer get one mail a working day with
what needs them, over real SMTP, once per person and day whatever the number of runs; nothing
for someone with nothing due, nothing for someone who switched it off."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app import digest
from app.audit import Actor
from app.clock import clock_of
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.jobs import runner
from app.jobs.daily import schedule_due
from app.mail.outbox import deliver_pending
from app.models import DigestSent, Kind, OutboxMail, Role, Session, Source, TrainingEnrolment, User
from app.scanning.service import register
from app.settings import settings_of
from tests.builders import PASSWORD, job_run
from tests.concurrency import same_time
from tests.helpers.mail import MAIL_TO_INBOX

YESTERDAY = date(2026, 11, 24)  # a Tuesday
TODAY = date(2026, 11, 25)
NOW = datetime.combine(TODAY, time(7, 5), tzinfo=BRUSSELS)
START = date(2026, 11, 5)  # the training's first lesson: regular enrolment due on 25/11


@pytest.fixture
def app_config() -> dict:
    return MAIL_TO_INBOX


@pytest.fixture
def training(app, make):  # type: ignore[no-untyped-def]
    """A training of Gent taught by Tom: An on paid leave, present at the first lesson, checked
    in yesterday and never out, her regular enrolment certificate due today; one lesson to
    come."""
    tom = make.user(Role.TRAINER, email="tom@example.org")
    first = make.session(START, time(9), time(12), trainer_id=tom)
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    yesterday = make.session(YESTERDAY, time(9), time(12), training_id=training_id, trainer_id=tom)
    later = make.session(TODAY + timedelta(days=7), time(9), time(12), training_id=training_id)
    an = make.participant(name="An Peeters")
    for session_id in (first, yesterday, later):
        make.enrol(session_id, an)
    with app.app_context():
        for enrolment in db.session.scalars(select(TrainingEnrolment)):
            enrolment.enrolled_on, enrolment.paid_leave = START, True
        # Present at the first lesson; in at 09:00 yesterday and never out (incomplete). One
        # more absence (the last lesson) would bring her below 2/3 of the lessons.
        for day, session_id, kinds in (
            (START, first, ((Kind.IN, 9), (Kind.OUT, 12))),
            (YESTERDAY, yesterday, ((Kind.IN, 9),)),
        ):
            for kind, hour in kinds:
                at = datetime.combine(day, time(hour), tzinfo=BRUSSELS)
                register(
                    Actor(None),
                    db.session.get(Session, session_id),
                    an,
                    kind,
                    at,
                    at,
                    Source.MANUAL,
                    early_minutes=60,
                )
        db.session.commit()
    return {"tom": tom, "session": yesterday, "training": training_id}


def run_the_day(app) -> None:  # type: ignore[no-untyped-def]
    """What the workers do in the morning: schedule the daily digest, run its job."""
    with app.app_context():
        schedule_due(NOW)
        runner.run_due("worker", ["digest"], job_run(app, NOW), 10)


def deliver(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return deliver_pending(clock_of(app), settings_of(app))


def body(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_body(preferencelist=("plain",)).get_content()


def test_the_promotor_and_the_trainer_get_the_digest_over_smtp_once_a_day(
    app, make, training, inbox
):
    make.user(Role.PROMOTOR, email="petra@example.org")
    make.user(Role.PROMOTOR, branch="Brugge", email="bram@example.org")  # nothing in Brugge
    with app.app_context():
        tom = db.session.get(User, training["tom"])
        tom.language = "en"
        db.session.commit()
    deliver(app)  # the participant's QR code mail
    inbox.messages.clear()
    run_the_day(app)
    assert deliver(app) == (2, 0)
    mails = {m["To"]: m for m in inbox.messages}
    assert set(mails) == {"petra@example.org", "tom@example.org"}
    dutch, english = body(mails["petra@example.org"]), body(mails["tom@example.org"])
    assert "25/11/2026" in mails["petra@example.org"]["Subject"]
    assert mails["petra@example.org"]["Subject"].startswith("Aanwezig: wat vandaag")
    assert mails["tom@example.org"]["Subject"].startswith("Aanwezig: what needs you today")
    for text in (dutch, english):
        assert "An Peeters" in text
        assert "24/11/2026 09:00-12:00" in text  # the session to complete before 10:00
        assert "10:00" in text
    assert "zonder check-out" in dutch and "without a check-out" in english
    assert "Attest van regelmatige inschrijving" in dutch  # due today
    assert "Certificate of regular enrolment" in english
    assert "examentoelating" in dutch  # one more absence puts the 2/3 out of reach
    # Paid leave is judged per lesson period: the line names the period (here the whole
    # training, under three months) in which one more absence loses it.
    period = f"(05/11/2026-{(TODAY + timedelta(days=7)).strftime('%d/%m/%Y')})"
    assert any("educatief verlof" in line and period in line for line in dutch.splitlines())
    assert any("educational leave" in line and period in line for line in english.splitlines())
    html = mails["petra@example.org"].get_body(preferencelist=("html",)).get_content()
    assert f"/trainings/{training['training']}/certificates" in html
    assert f"/sessions/{training['session']}" in html and "/password" in html
    # A second run the same day (another worker, a job run again) sends nothing more.
    run_the_day(app)
    with app.app_context():
        assert digest.send_digests(TODAY, NOW) == 0
        assert db.session.scalar(select(func.count()).select_from(DigestSent)) == 3
        nothing = db.session.scalars(
            select(DigestSent).join(User).where(User.email == "bram@example.org")
        ).one()
        assert nothing.mail_id is None  # looked at, nothing to say: no mail
    assert deliver(app) == (0, 0)
    assert len(inbox.messages) == 2


def test_two_runs_at_the_same_moment_send_one_digest_per_person(
    app, make, training, caplog, monkeypatch
):
    """Two workers run the day's digest at the same instant, and both read that Tom has had
    none yet before either writes (held there by a barrier, the worst interleaving). The one
    whose (person, day) row lands first queues his mail; the database's key refuses the other's
    row, which then queues nothing and logs why, on SQLite and on PostgreSQL alike."""
    caplog.set_level(logging.INFO, logger="app.digest")
    both_read = threading.Barrier(2)
    digest_for = digest.digest_for

    def after_both_read(user, trainings):  # type: ignore[no-untyped-def]
        both_read.wait(30)
        return digest_for(user, trainings)

    monkeypatch.setattr(digest, "digest_for", after_both_read)

    def run(_: int) -> dict:
        with app.app_context():
            queued = digest.send_digests(TODAY, NOW)
            db.session.commit()
        return {"queued": queued, "thread": threading.current_thread().name}

    outcomes = same_time(2, run)
    refused_in = {
        record.threadName
        for record in caplog.records
        if record.getMessage()
        == f"digest of {TODAY} for user {training['tom']} was sent by another worker"
    }
    for outcome in outcomes:
        outcome["refused"] = outcome.pop("thread") in refused_in
    assert sorted(outcomes, key=lambda outcome: -outcome["queued"]) == [
        {"queued": 1, "refused": False},  # the sender
        {"queued": 0, "refused": True},  # refused by the key: Tom's digest was written
    ]
    monkeypatch.setattr(digest, "digest_for", digest_for)
    with app.app_context():
        assert digest.send_digests(TODAY, NOW) == 0  # the retry finds everyone done
        db.session.commit()
        mails = db.session.execute(
            select(OutboxMail.id, OutboxMail.recipient).where(OutboxMail.participant_id.is_(None))
        ).all()
        sent = db.session.execute(select(DigestSent.user_id, DigestSent.mail_id)).all()
    assert [recipient for _, recipient in mails] == ["tom@example.org"]
    assert sent == [(training["tom"], mails[0].id)]  # the sender's mail, recorded once


def test_someone_who_switched_the_digest_off_gets_none(app, make, training, inbox):
    make.user(Role.PROMOTOR, email="petra@example.org")
    client = app.test_client()
    client.post("/login", data={"email": "petra@example.org", "password": PASSWORD})
    page = client.get("/password")
    assert "dagelijkse overzicht" in page.get_data(as_text=True).lower()
    assert client.post("/account/digest", data={}).status_code == 302  # box unticked: off
    deliver(app)  # the participant's QR code mail
    inbox.messages.clear()
    with app.app_context():
        assert not db.session.scalars(
            select(User.digest_enabled).where(User.email == "petra@example.org")
        ).one()
    run_the_day(app)
    deliver(app)
    assert [m["To"] for m in inbox.messages] == ["tom@example.org"]
    client.post("/account/digest", data={"enabled": "y"})
    with app.app_context():
        assert db.session.scalars(
            select(User.digest_enabled).where(User.email == "petra@example.org")
        ).one()


def test_no_digest_on_a_weekend_and_none_before_its_time(app, make, training):
    make.user(Role.PROMOTOR, email="petra@example.org")
    saturday = datetime.combine(date(2026, 11, 28), time(8), tzinfo=BRUSSELS)
    with app.app_context():
        assert schedule_due(saturday) == []
        assert schedule_due(NOW.replace(hour=6, minute=59)) == []
        assert schedule_due(NOW, ["digest"]) == ["digest"]
        assert schedule_due(NOW + timedelta(hours=1), ["digest"]) == []  # once for the day


def test_the_setting_is_offered_to_promotors_and_trainers_only(app, make):
    make.user(Role.FRONTDESK, email="frida@example.org")
    client = app.test_client()
    client.post("/login", data={"email": "frida@example.org", "password": PASSWORD})
    assert "dagelijkse overzicht" not in client.get("/password").get_data(as_text=True).lower()
    assert client.post("/account/digest", data={}).status_code == 404


def test_the_command_line_queues_todays_digest_once(app, make):
    """``flask send-digest``: by hand, with the same once-a-day guarantee."""
    make.user(Role.PROMOTOR, email="petra@example.org")
    runner_ = app.test_cli_runner()
    first = runner_.invoke(args=["send-digest"])
    assert first.exit_code == 0, first.output
    assert "queued" in first.output
    again = runner_.invoke(args=["send-digest"])
    assert again.output.strip() == "queued 0 digest mails"


def test_a_worker_looks_for_daily_jobs_about_once_a_minute(app, monkeypatch):
    """The worker loop's hook: it asks the schedule for the kinds it runs, not on every poll."""
    from app.jobs import worker as worker_module

    asked: list[list[str] | None] = []
    monkeypatch.setattr(worker_module, "schedule_due", lambda now, kinds: asked.append(kinds))
    worker = worker_module.Worker(app, kinds=["digest", "mail"])
    with app.app_context():
        worker._schedule()
        worker._schedule()
    assert asked == [["digest", "mail"]]
