"""The clock and the settings the app passes down: a FixedClock stands still until moved, and
the settings are the configuration's values, read once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.clock import FixedClock, SystemClock
from app.config import DefaultConfig
from app.domain.cutoff import BRUSSELS
from app.settings import Settings

MORNING = datetime(2026, 3, 3, 9, 0, tzinfo=BRUSSELS)


def test_a_fixed_clock_stands_still_until_moved():
    clock = FixedClock(MORNING)
    assert clock.now() == clock.now() == MORNING
    assert clock.now().tzinfo == UTC  # every moment in UTC, as the database stores them
    assert clock.advance(minutes=90) == MORNING + timedelta(minutes=90)
    assert clock.advance(timedelta(days=1)) == MORNING + timedelta(days=1, minutes=90)
    clock.set(MORNING)
    assert clock.now() == MORNING


def test_a_fixed_clock_refuses_a_moment_without_a_time_zone():
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 3, 3, 9, 0))
    with pytest.raises(ValueError):
        FixedClock(MORNING).set(datetime(2026, 3, 3, 9, 0))


def test_the_system_clock_tells_the_time_in_utc():
    before = datetime.now(UTC)
    told = SystemClock().now()
    assert told.tzinfo == UTC and before <= told <= datetime.now(UTC)


def _config(**changes: object) -> dict:
    config = {k: getattr(DefaultConfig, k) for k in dir(DefaultConfig) if k.isupper()}
    return {**config, **changes}


def test_the_settings_are_the_configurations_values():
    settings = Settings.from_config(
        _config(
            SCAN_EARLY_MINUTES=30,
            SCAN_REPEAT_SECONDS=300,
            MAIL_FROM="Aanwezig <a@example.org>",
            SMTP_HOST="mail.example.org",
            SMTP_PORT="587",
            EXCHANGE_ALLOW_HOSTS="10.20.0.0/16",
        )
    )
    assert (settings.scan_early_minutes, settings.scan_repeat_seconds) == (30, 300)
    assert settings.mail_from == "Aanwezig <a@example.org>"
    assert (settings.smtp.host, settings.smtp.port) == ("mail.example.org", 587)
    assert settings.exchange_allowance != Settings.from_config(_config()).exchange_allowance
    with pytest.raises(AttributeError):
        settings.scan_repeat_seconds = 1  # type: ignore[misc]  # frozen: read once


def test_without_a_mail_server_the_settings_say_so():
    assert Settings.from_config(_config(SMTP_HOST="")).smtp.host is None
