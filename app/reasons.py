"""Words the software writes on registrations itself (stored as data, in English) and the way
they are read: in the reader's language on pages and files, in Dutch towards a school
administration package. Stored values never change, so old rows read the same."""

from __future__ import annotations

import re

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.models import JustificationKind

LEFT_AT_END = "left at the end"
LEFT_EARLY = "left early"
LATE_ARRIVAL = "late arrival"

REASON_LABELS = {
    LEFT_AT_END: _l("left at the end"),
    LEFT_EARLY: _l("left early"),
    LATE_ARRIVAL: _l("late arrival"),
}

KIND_LABELS = {"in": _l("in"), "out": _l("out")}

SOURCE_LABELS = {
    "scan": _l("scan"),
    "manual": _l("by hand"),
    "import": _l("imported"),
    "self-report": _l("self-reported"),
    "correction": _l("correction"),
}


# What the software writes as the last error of a mail or an exchange event (stored in
# English, the same for every reader), and how it reads: exact texts, then texts that start with
# a known prefix, whose rest is read the same way (errors nest: "waiting for an earlier event
# of this participant: peer unreachable: ConnectionError").
STORED_LABELS = {
    "withdrawn: the code it holds was revoked": _l("withdrawn: the code it holds was revoked"),
    "withdrawn: a new link was sent instead": _l("withdrawn: a new link was sent instead"),
    "withdrawn: the account was deactivated": _l("withdrawn: the account was deactivated"),
    "withdrawn by hand": _l("withdrawn by hand"),
    "withdrawn: the address was corrected": _l("withdrawn: the address was corrected"),
    "the connection is paused": _l("the connection is paused"),
    "no identifier for this participant": _l("no identifier for this participant"),
    "the event of this job is gone": _l("the event of this job is gone"),
    "ConnectionError": _l("no connection"),
    "ConnectTimeout": _l("no answer in time"),
    "ReadTimeout": _l("no answer in time"),
    "Timeout": _l("no answer in time"),
    "SSLError": _l("secure connection failed"),
    "TooManyRedirects": _l("too many redirects"),
}
STORED_PREFIXES = (
    (
        "waiting for an earlier event of this participant: ",
        _l("waiting for an earlier event of this participant: %(rest)s"),
    ),
    ("given up after a week: ", _l("given up after a week: %(rest)s")),
    ("peer unreachable: ", _l("package unreachable: %(rest)s")),
    ("no code for state ", _l("no code for the state %(rest)s")),
)
_ANSWERED = re.compile(r"peer (answered|refused with) (\d{3}): (.*)", re.S)


def reason_text(reason: str | None) -> str:
    """A registration's reason, or a mail's or exchange event's last error, as the reader reads
    it: the software's own words translated, a person's remark as they typed it."""
    if not reason:
        return ""
    label = REASON_LABELS.get(reason) or STORED_LABELS.get(reason)
    if label is not None:
        return str(label)
    for prefix, template in STORED_PREFIXES:
        if reason.startswith(prefix):
            return str(template % {"rest": reason_text(reason[len(prefix) :])})
    answered = _ANSWERED.fullmatch(reason)
    if answered:
        words = (
            _l("package answered %(status)s: %(text)s")
            if answered[1] == "answered"
            else _l("package refused with %(status)s: %(text)s")
        )
        return str(words % {"status": answered[2], "text": answered[3]})
    return reason


def dutch_reason(reason: str | None) -> str:
    """The reason in Dutch, whatever the language of the request (a remark to a package)."""
    with force_locale("nl"):
        return reason_text(reason)


def kind_text(kind: object) -> str:
    value = str(getattr(kind, "value", kind))
    return str(KIND_LABELS.get(value, value))


def source_text(source: object) -> str:
    value = str(getattr(source, "value", source))
    return str(SOURCE_LABELS.get(value, value))


# How a justification's kind reads (its stored value is the enum's). Not KIND_LABELS: that name
# is the registrations' kinds above, which kind_text reads.
JUSTIFICATION_KIND_LABELS = {
    JustificationKind.DOCTOR: _l("Doctor's note"),
    JustificationKind.EMPLOYER: _l("Employer's certificate"),
    JustificationKind.KLEIN_VERLET: _l("Klein verlet"),
    JustificationKind.OTHER: _l("Other"),
}
