"""A session's status for a person, first rule that applies, and early termination."""

from datetime import date, datetime

from app.domain.cutoff import BRUSSELS
from app.domain.participation import before_enrolment, session_status, takes_part

END = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)
AFTER = datetime(2026, 11, 24, 12, 1, tzinfo=BRUSSELS)


def status(now=AFTER, **facts):  # type: ignore[no-untyped-def]
    given = dict(exempt=False, late_enrolment=False, incomplete=False, counts_as_present=False)
    given.update(facts)
    return session_status(ends_at=END, now=now, **given)


def test_a_session_that_has_not_ended_is_future_whatever_else_is_known():
    assert status(now=END.replace(minute=0, hour=11), counts_as_present=True) == "future"
    assert status(now=END, exempt=True) == "exempt"  # ended exactly now: given


def test_an_exemption_comes_before_everything_the_registrations_say():
    assert status(exempt=True, late_enrolment=True, incomplete=True) == "exempt"


def test_a_session_before_the_enrolment_is_late_enrolment_not_absence():
    assert status(late_enrolment=True, counts_as_present=True) == "late_enrolment"


def test_an_open_check_in_is_incomplete_until_someone_resolves_it():
    assert status(incomplete=True, counts_as_present=True) == "incomplete"


def test_otherwise_the_syntra_rule_decides_present_or_absent():
    assert status(counts_as_present=True) == "present"
    assert status() == "absent"


def test_lessons_after_an_early_termination_are_not_the_participant_s():
    stopped = date(2026, 11, 24)
    assert takes_part(date(2026, 11, 24), stopped)  # the day itself still counts
    assert not takes_part(date(2026, 11, 25), stopped)
    assert takes_part(date(2030, 1, 1), None)


def test_lessons_before_the_enrolment_in_the_training():
    assert before_enrolment(date(2026, 11, 23), date(2026, 11, 24))
    assert not before_enrolment(date(2026, 11, 24), date(2026, 11, 24))
    assert not before_enrolment(date(2026, 11, 23), None)
