"""Skips the suite allows, and the missing tools it does not.

A tool ``make test`` installs (Chromium, nginx, Xvfb, xdotool) or a service the suite needs
(Redis) that is missing fails the test with the line that installs it: a skip would let a green
run hide tests that never ran. On a machine where that is known and accepted, set
``AANWEZIG_ALLOW_MISSING_TOOLS=1`` and those tests are skipped, each naming what is missing
(``AANWEZIG_REQUIRE_BROWSER=1``, which CI sets, overrides that). The remaining skips are by
design and say so: their reason starts with "by design:".
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing_tools_allowed() -> bool:
    return (
        os.environ.get("AANWEZIG_ALLOW_MISSING_TOOLS") == "1"
        and os.environ.get("AANWEZIG_REQUIRE_BROWSER") != "1"
    )


def missing(what: str, install: str) -> NoReturn:
    """Fail (or, when allowed, skip) a test whose tool or service is not there."""
    __tracebackhide__ = True  # the report names the test, not this helper
    message = f"{what} is missing: {install}"
    if missing_tools_allowed():
        pytest.skip(f"missing tool, allowed by AANWEZIG_ALLOW_MISSING_TOOLS=1: {message}")
    pytest.fail(
        f"{message} (or set AANWEZIG_ALLOW_MISSING_TOOLS=1 to skip what needs it)", pytrace=False
    )


def by_design(reason: str) -> NoReturn:
    """Skip a variant of a test that cannot apply (another database, another time of day)."""
    __tracebackhide__ = True
    pytest.skip(f"by design: {reason}")


def by_design_reason(reason: str) -> str:
    """The reason for a ``skipif`` or ``skip`` marker that is by design."""
    return f"by design: {reason}"
