"""The scanner predicts a repeat with the interval the server's roster carries, not one of its
own: a server set to 5 minutes is predicted at 5 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qr import generate_private_key, public_key_to_pem, sign_code
from scanner.offline import FALLBACK_REPEAT_SECONDS, OfflineVerifier, repeat_interval

CHECKED_IN = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def _roster(**extra: object) -> dict:
    person = {"id": 7, "name": "An", "key_version": 1, "state": "in"}
    return {"participants": [{**person, "last_at": CHECKED_IN.isoformat()}], **extra}


def test_the_interval_comes_from_the_roster():
    assert repeat_interval(_roster(repeat_seconds=300)) == timedelta(minutes=5)
    assert repeat_interval(_roster(repeat_seconds=0)) == timedelta(0)


def test_a_roster_without_it_an_older_server_gets_the_old_default():
    assert repeat_interval(_roster()) == timedelta(seconds=FALLBACK_REPEAT_SECONDS)
    for odd in ("300", None, True, -1):
        assert repeat_interval(_roster(repeat_seconds=odd)) == timedelta(
            seconds=FALLBACK_REPEAT_SECONDS
        )


def test_the_offline_prediction_follows_the_servers_interval():
    key = generate_private_key()
    code = sign_code(key, 7, 1)
    roster = _roster(repeat_seconds=300)
    verifier = OfflineVerifier(public_key_to_pem(key.public_key()), roster, repeat_interval(roster))
    # Three minutes after the check-in: within the server's five, a repeat (the scanner's old
    # own two minutes would have predicted a check-out).
    within = verifier.check(code, CHECKED_IN + timedelta(minutes=3))
    assert within.ok and within.repeat
    after = verifier.check(code, CHECKED_IN + timedelta(minutes=6))
    assert after.ok and not after.repeat and after.direction == "out"
