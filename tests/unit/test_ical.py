"""The iCalendar writer: escaping, folding at 75 octets without splitting a character, CRLF,
and a feed the icalendar library reads back with the same text."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import icalendar

from app.domain import ical


def test_text_is_escaped():
    assert ical.escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "DESCRIPTION:" + "é" * 100
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line


def test_the_feed_reads_back_with_the_same_text():
    event = ical.Event(
        uid="session-1@aanwezig",
        day=date(2027, 3, 29),
        start=time(9),
        end=time(12, 30),
        summary="Excel; gevorderd, deel 2",
        location="Lokaal 3 — Gent",
        description="Opleiding: Excel\nLesgever: Tom " + "x" * 120,
        cancelled=True,
        changed_at=datetime(2027, 3, 1, 10, tzinfo=UTC),
    )
    text = ical.calendar("Aanwezig", [event], datetime(2027, 3, 2, tzinfo=UTC))
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    [read] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(read["SUMMARY"]) == event.summary
    assert str(read["LOCATION"]) == event.location
    assert str(read["DESCRIPTION"]) == event.description
    assert str(read["STATUS"]) == "CANCELLED"
    assert read.decoded("DTSTART").astimezone(UTC) == datetime(2027, 3, 29, 7, tzinfo=UTC)
