"""Which of a training's sessions are a participant's, and the status of each for them.

Moved out of ``app.attendance.figures`` so the order of the rules is stated (and tested) once;
the figures only load the rows and call these. See ``docs/rules.md`` ("Hours and thresholds
(figures)").
"""

from __future__ import annotations

from datetime import date, datetime

from app.domain.thresholds import Status


def takes_part(day: date, terminated_on: date | None) -> bool:
    """Early termination (seed 002, "datum voortijdige stopzetting"): a session on a day after
    ``terminated_on`` is no longer the participant's. They left the training, so that lesson is
    neither given to them nor missed by them; the day itself still counts."""
    return terminated_on is None or day <= terminated_on


def before_enrolment(day: date, enrolled_on: date | None) -> bool:
    """A session on a day before the participant enrolled in the training: hours missed through
    late enrolment (box D of the diligence certificate), not an absence."""
    return enrolled_on is not None and day < enrolled_on


def session_status(
    *,
    ends_at: datetime,
    now: datetime,
    exempt: bool,
    late_enrolment: bool,
    incomplete: bool,
    counts_as_present: bool,
) -> Status:
    """The status of one session for one person, the first that applies:

    1. ``future``: the session has not ended at ``now`` (it counts nowhere yet);
    2. ``exempt``: an exemption names the session (blank on the lists);
    3. ``late_enrolment``: the session lies before the enrolment in the training;
    4. ``incomplete``: a check-in without a check-out, until someone resolves it;
    5. ``present``: the Syntra rule (``app.domain.attendance.counts_as_present``);
    6. ``absent``: otherwise (justified or not is kept beside the status).
    """
    if ends_at > now:
        return "future"
    if exempt:
        return "exempt"
    if late_enrolment:
        return "late_enrolment"
    if incomplete:
        return "incomplete"
    if counts_as_present:
        return "present"
    return "absent"
