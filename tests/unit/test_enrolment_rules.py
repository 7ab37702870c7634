"""docs/rules.md, "Enrolment": who can be enrolled in which session, one rule for one
enrolment and for a class enrolled in a whole training at once."""

from app.domain.enrolment import EnrolmentRefusal, enrolment_refusal, skipped_in_bulk

GENT, BRUGGE = 1, 2


def refusal(participant_branch=GENT, session_branch=GENT, ended=False, cancelled=False):  # type: ignore[no-untyped-def]
    return enrolment_refusal(
        participant_branch_id=participant_branch,
        session_branch_id=session_branch,
        participant_ended=ended,
        session_cancelled=cancelled,
    )


def test_a_current_participant_of_the_branch_is_enrolled_in_a_planned_session():
    assert refusal() is None


def test_a_participant_is_enrolled_only_in_their_own_branchs_sessions():
    assert refusal(participant_branch=BRUGGE) is EnrolmentRefusal.OTHER_BRANCH


def test_an_ended_or_merged_record_takes_no_new_enrolment():
    assert refusal(ended=True) is EnrolmentRefusal.PARTICIPANT_ENDED


def test_a_cancelled_session_takes_nobody():
    assert refusal(cancelled=True) is EnrolmentRefusal.CANCELLED


def test_the_first_reason_that_applies_is_the_answer():
    assert refusal(BRUGGE, ended=True, cancelled=True) is EnrolmentRefusal.OTHER_BRANCH
    assert refusal(ended=True, cancelled=True) is EnrolmentRefusal.PARTICIPANT_ENDED


def test_enrolling_many_at_once_leaves_out_a_cancelled_session_and_refuses_the_rest():
    assert skipped_in_bulk(EnrolmentRefusal.CANCELLED)
    assert not skipped_in_bulk(EnrolmentRefusal.OTHER_BRANCH)
    assert not skipped_in_bulk(EnrolmentRefusal.PARTICIPANT_ENDED)
    assert not skipped_in_bulk(None)


def test_the_refusal_codes_are_those_the_pages_and_the_api_answer():
    assert [r.value for r in EnrolmentRefusal] == ["other_branch", "participant_ended", "cancelled"]
