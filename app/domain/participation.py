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

    1. ``exempt``: an exemption names the session (blank on the lists), past or still to come;
    2. ``late_enrolment``: the session lies before the enrolment in the training (a future
       enrolment date included);
    3. ``future``: the session has not ended at ``now`` (a lesson still to come);
    4. ``incomplete``: a check-in without a check-out, until someone resolves it;
    5. ``present``: the Syntra rule (``app.domain.attendance.counts_as_present``);
    6. ``absent``: otherwise (justified or not is kept beside the status).

    Exempted lessons and lessons before the enrolment are never counting lessons, whether they
    were held or not: a lesson still to come that is exempted is not a lesson "to come" for the
    thresholds (it can neither be attended nor missed). Whether such a lesson was already held
    (its hours given) is :func:`held`.
    """
    if exempt:
        return "exempt"
    if late_enrolment:
        return "late_enrolment"
    if ends_at > now:
        return "future"
    if incomplete:
        return "incomplete"
    if counts_as_present:
        return "present"
    return "absent"


def held(*, ends_at: datetime, now: datetime) -> bool:
    """The lesson was given at ``now`` (its end has passed): its hours are hours given."""
    return ends_at <= now
