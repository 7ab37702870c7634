"""Pairing a scanner: a pairing token works once, and only for a few minutes."""

from datetime import UTC, datetime, timedelta

from app.domain.pairing import PAIRING_VALID, pairing_expires_at, pairing_refusal

ISSUED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EXPIRES = pairing_expires_at(ISSUED)


def test_a_pairing_token_lives_a_few_minutes():
    assert timedelta(minutes=2) <= PAIRING_VALID <= timedelta(minutes=10)
    assert EXPIRES == ISSUED + PAIRING_VALID


def test_an_unused_token_can_be_exchanged_until_it_expires():
    assert pairing_refusal(EXPIRES, None, ISSUED) is None
    assert pairing_refusal(EXPIRES, None, EXPIRES - timedelta(microseconds=1)) is None


def test_it_expires_at_its_expiry_time_itself():
    assert pairing_refusal(EXPIRES, None, EXPIRES) == "pairing_expired"
    assert pairing_refusal(EXPIRES, None, EXPIRES + timedelta(days=1)) == "pairing_expired"


def test_a_used_token_is_refused_as_used_even_before_it_would_expire():
    used = ISSUED + timedelta(seconds=30)
    assert pairing_refusal(EXPIRES, used, used + timedelta(seconds=1)) == "pairing_used"
    assert pairing_refusal(EXPIRES, used, EXPIRES + timedelta(hours=1)) == "pairing_used"
