"""An iCalendar feed (RFC 5545) of sessions: one event per session, times in Europe/Brussels.

Written by hand rather than with a library: the feed is a few fixed properties, and what needs
care is stated here once: text escaping (3.3.11), lines folded at 75 octets without splitting a
UTF-8 character (3.1), CRLF line ends, and the VTIMEZONE the TZID of every time refers to (the
EU rule for Brussels since 1996: summer time from the last Sunday of March at 02:00 to the last
Sunday of October at 03:00). The tests read the feed back with the ``icalendar`` library.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

TZID = "Europe/Brussels"
PRODID = "-//Aanwezig//Sessions//NL"

VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


@dataclass(frozen=True)
class Event:
    uid: str
    day: date
    start: time  # local time in Brussels
    end: time
    summary: str
    location: str
    description: str
    cancelled: bool
    changed_at: datetime  # aware: the event's LAST-MODIFIED and its SEQUENCE's source


def escape(text: str) -> str:
    """TEXT as RFC 5545 3.3.11 writes it."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _local(day: date, at: time) -> str:
    return f"{day:%Y%m%d}T{at:%H%M%S}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, events: Iterable[Event], now: datetime) -> str:
    """The whole feed as text (CRLF line ends)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
        f"X-WR-TIMEZONE:{TZID}",
        *VTIMEZONE,
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{_utc(now)}",
            f"LAST-MODIFIED:{_utc(event.changed_at)}",
            # Calendar clients take a higher SEQUENCE as the newer version of the event.
            f"SEQUENCE:{int(event.changed_at.timestamp()) // 60 % 2_000_000_000}",
            f"DTSTART;TZID={TZID}:{_local(event.day, event.start)}",
            f"DTEND;TZID={TZID}:{_local(event.day, event.end)}",
            f"SUMMARY:{escape(event.summary)}",
            f"LOCATION:{escape(event.location)}",
            f"DESCRIPTION:{escape(event.description)}",
            f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
