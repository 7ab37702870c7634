"""Who can be enrolled in which session (docs/rules.md, "Enrolment")."""

from __future__ import annotations

import enum


class EnrolmentRefusal(enum.StrEnum):
    """Why a participant cannot be enrolled in a session; the value is the refusal's code."""

    OTHER_BRANCH = "other_branch"
    PARTICIPANT_ENDED = "participant_ended"
    CANCELLED = "cancelled"


def enrolment_refusal(
    *,
    participant_branch_id: int,
    session_branch_id: int,
    participant_ended: bool,
    session_cancelled: bool,
) -> EnrolmentRefusal | None:
    """Why this participant cannot be enrolled in this session, or ``None`` when they can.

    A participant is enrolled only in their own branch's sessions; an ended (or merged) record
    takes no new enrolment; a cancelled session takes nobody. The first reason that applies
    is the answer, in that order.
    """
    if participant_branch_id != session_branch_id:
        return EnrolmentRefusal.OTHER_BRANCH
    if participant_ended:
        return EnrolmentRefusal.PARTICIPANT_ENDED
    if session_cancelled:
        return EnrolmentRefusal.CANCELLED
    return None


def skipped_in_bulk(refusal: EnrolmentRefusal | None) -> bool:
    """Enrolling many people in many sessions at once (a class in a whole training) leaves a
    cancelled session out and says so; any other refusal refuses the whole request, as it
    would for one enrolment."""
    return refusal is EnrolmentRefusal.CANCELLED
