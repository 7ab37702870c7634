"""Which words of a page are still in English."""

from __future__ import annotations

ENGLISH = {"the", "and", "with", "yes", "no", "save", "cancel", "delete", "none", "from",
           "until", "back", "submit", "required", "invalid", "error", "please", "hours",
           "present", "absent", "participants", "sessions", "enrolled", "change", "not"}  # fmt: skip


def _visible_words(html: str) -> set[str]:
    import re

    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\S+@\S+|https?://\S+", " ", text)  # addresses are data, not interface
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
