"""Text that a database can store and a person can read (the rule is in app.domain.limits)."""

from __future__ import annotations

from app.domain.limits import has_control_characters, has_line_breaks, without_control_characters

__all__ = ["has_control_characters", "has_line_breaks", "without_control_characters"]
