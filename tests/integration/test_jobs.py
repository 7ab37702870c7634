"""Background jobs: a due job is claimed by one worker, a lease that runs out makes it due
again, failures are retried with back-off, and every mail keeps one Message-ID."""

from __future__ import annotations

import email
import email.policy
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.jobs import runner
from app.mail import outbox
from app.models import Job, OutboxMail
from tests.helpers.jobs import queue_mails
from tests.processes import Relay, free_port

LEASE = timedelta(seconds=30)
SMTP_PORT = free_port()


@pytest.fixture
def app_config() -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": SMTP_PORT, "MAIL_RETRY_SECONDS": 10}


@pytest.fixture
def relay():  # type: ignore[no-untyped-def]
    relay = Relay(SMTP_PORT).start()
    yield relay
    relay.stop()


def claim(app, owner: str, now: datetime, limit: int = 10) -> list[int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return [job.id for job in runner.claim(owner, ["mail"], now, LEASE, limit)]


def job(app, job_id: int) -> Job:  # type: ignore[no-untyped-def]
    with app.app_context():
        found = db.session.get(Job, job_id)
        db.session.expunge(found)
        return found


def test_a_claimed_job_is_not_claimed_again_until_its_lease_runs_out(app):
    [job_id] = queue_mails(app, 1)
    now = datetime.now(UTC)
    assert claim(app, "first", now) == [job_id]
    assert claim(app, "second", now) == []
    assert claim(app, "second", now + LEASE - timedelta(seconds=1)) == []
    claimed = job(app, job_id)
    assert (claimed.lease_owner, claimed.attempts) == ("first", 1)
    # The first worker died: after its lease the job is due again, for another worker.
    assert claim(app, "second", now + LEASE + timedelta(seconds=1)) == [job_id]
    again = job(app, job_id)
    assert (again.lease_owner, again.attempts) == ("second", 2)


def test_many_claimers_at_once_take_every_job_exactly_once(app):
    ids = queue_mails(app, 60)
    taken: list[list[int]] = []
    errors: list[BaseException] = []
    sizes: list[int] = []
    start = threading.Barrier(4)

    def claimer(name: str) -> None:
        mine: list[int] = []
        try:
            start.wait()
            while batch := claim(app, name, datetime.now(UTC), limit=3):
                sizes.append(len(batch))
                mine.extend(batch)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        taken.append(mine)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    every = [job_id for mine in taken for job_id in mine]
    assert sorted(every) == sorted(ids)  # each once: none twice, none left
    assert max(sizes) == 3  # a claim takes no more than its batch (PostgreSQL once took all)
    assert sum(1 for mine in taken if mine) >= 2


def test_a_worker_that_stops_gives_back_what_it_did_not_start(app):
    ids = queue_mails(app, 3)
    now = datetime.now(UTC)
    with app.app_context():
        claimed = runner.claim("leaving", ["mail"], now, LEASE, 10)
        assert runner.release(claimed[1:], "leaving") == 2
        assert runner.release(claimed[1:], "someone else") == 0
    assert claim(app, "next", now) == ids[1:]  # due at once, not after the lease
    assert job(app, ids[1]).attempts == 1  # the given-back claim did not count as an attempt


def test_a_failed_mail_is_retried_later_with_its_error_shown_and_then_sent_once(app, relay):
    [job_id] = queue_mails(app, 1)
    relay.stop()  # the mail server is down
    now = datetime.now(UTC)
    with app.app_context():
        assert outbox.deliver_pending(now) == (0, 1)
    failed = job(app, job_id)
    assert failed.finished_at is None and failed.lease_owner is None
    assert "ConnectionRefusedError" in failed.last_error
    assert failed.due_at == pytest.approx(now + timedelta(seconds=10), abs=timedelta(seconds=1))
    relay.start()
    with app.app_context():
        assert outbox.deliver_pending(now + timedelta(seconds=5)) == (0, 0)  # not due yet
        assert outbox.deliver_pending(now + timedelta(seconds=11)) == (1, 0)
        assert outbox.deliver_pending(now + timedelta(hours=1)) == (0, 0)
        mail = db.session.scalars(select(OutboxMail)).one()
        assert mail.sent_at is not None and mail.job.finished_at is not None
        assert mail.job.last_error is None and mail.job.attempts == 2
    assert relay.count() == 1


def test_the_back_off_doubles_per_attempt_up_to_half_an_hour(app):
    kind = jobs.KINDS["mail"]
    with app.app_context():
        delays = [
            runner._backoff(jobs.Claimed(1, "mail", {}, attempts, datetime.now(UTC)), kind)
            for attempts in (1, 2, 3, 10)
        ]
    assert delays == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        timedelta(minutes=30),
    ]


def test_every_attempt_at_a_mail_carries_the_same_message_id(app, relay):
    [job_id] = queue_mails(app, 1)
    with app.app_context():
        stored = db.session.scalars(select(OutboxMail)).one()
        parsed = email.message_from_bytes(stored.message, policy=email.policy.default)
        created = stored.job.created_at
    expected = f"<aanwezig.{job_id}.{created:%Y%m%d%H%M%S}@aanwezig.local>"
    assert parsed["Message-ID"] == expected and parsed["Date"]
    now = datetime.now(UTC)
    # A worker claimed it and died after the server took the mail: the lease runs out and the
    # mail goes again, as the same message.
    assert claim(app, "died", now) == [job_id]
    with app.app_context():
        [sent] = runner.claim("died-too", ["mail"], now + LEASE * 2, LEASE, 1)
        assert runner.perform(sent, "died-too")
        assert outbox.deliver_pending(now + LEASE * 4) == (0, 0)
    assert [item.message_id for item in relay.received] == [expected]


def test_a_mail_queued_before_message_ids_gets_one_derived_from_its_job(app, relay):
    [job_id] = queue_mails(app, 1)
    with app.app_context():
        mail = db.session.scalars(select(OutboxMail)).one()
        mail.message = b"\r\n".join(
            line for line in mail.message.split(b"\r\n") if not line.startswith(b"Message-ID:")
        )
        created = mail.job.created_at
        db.session.commit()
        assert outbox.deliver_pending() == (1, 0)
    [received] = relay.received
    assert received.message_id == f"<aanwezig.{job_id}.{created:%Y%m%d%H%M%S}@aanwezig.local>"


def test_without_a_mail_server_mail_jobs_are_not_claimed_at_all(app):
    app.config["SMTP_HOST"] = None
    [job_id] = queue_mails(app, 1)
    with app.app_context():
        assert "mail" not in jobs.enabled_kinds(app)  # other kinds (the exchange) still run
        assert outbox.deliver_pending() == (0, 0)
    assert job(app, job_id).attempts == 0


def test_a_job_of_an_unknown_kind_waits_with_its_reason_and_one_that_cannot_succeed_ends(app):
    with app.app_context():
        stray = Job(kind="webhook-from-the-future", payload={"url": "x"})
        db.session.add(stray)
        db.session.commit()
        now = datetime.now(UTC)
        [claimed] = runner.claim("w", ["webhook-from-the-future"], now, LEASE, 5)
        assert not runner.perform(claimed, "w", now)
        stray = db.session.get(Job, claimed.id)
        assert stray.finished_at is None and "no handler" in stray.last_error

        def impossible(job: jobs.Claimed) -> None:
            raise jobs.Permanent("the target is gone")

        jobs.register(jobs.JobKind("test-impossible", perform=impossible))
        try:
            doomed = jobs.enqueue("test-impossible")
            db.session.commit()
            now = datetime.now(UTC)
            [claimed] = runner.claim("w", ["test-impossible"], now, LEASE, 5)
            assert not runner.perform(claimed, "w", now)
            doomed = db.session.get(Job, claimed.id)
            assert doomed.finished_at is not None and "the target is gone" in doomed.last_error
        finally:
            del jobs.KINDS["test-impossible"]
        with pytest.raises(ValueError):
            jobs.enqueue("no-such-kind")
        db.session.rollback()


def test_the_outbox_page_shows_a_mail_being_sent_and_hides_its_retry_button(app, make, auth):
    from app.models import Role

    queue_mails(app, 1)
    claim(app, "busy-worker", datetime.now(UTC))
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "being sent" in page and "Retry now" not in page
