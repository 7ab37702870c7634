"""Staff passwords as current advice has them (NIST SP 800-63B, 5.1.1.2): long enough, not a
known or guessable password, and no composition rules (no "one digit, one capital").

"Guessable" is decided by zxcvbn (Dropbox's estimator, the Python port): it matches the
password against its bundled lists of common passwords (the 30,000 most frequent of the xato
password corpus), English words, names and surnames, with l33t substitutions, repeats,
sequences, keyboard patterns and dates, plus the words of the user's own account, and estimates
how many guesses an attacker needs. A password below ``MIN_SCORE`` is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 200  # zxcvbn's matching grows with the length; nobody types more
MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline slow-hash attack"


def password_problem(password: str, context: Iterable[str] = ()) -> str | None:
    """Why ``password`` is refused (``too_short``, ``too_long``, ``guessable``), or ``None``.

    ``context`` holds words the password must not be built from: the user's email address,
    name, the product's name.
    """
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    words = [word for text in context for word in _words(text)]
    if zxcvbn(password, user_inputs=words)["score"] < MIN_SCORE:
        return "guessable"
    return None


def _words(text: str) -> list[str]:
    """An address or a name, its parts and its parts run together (jan.peeters@x.be: jan,
    peeters, janpeeters, ...)."""
    lowered = text.lower()
    local = lowered.partition("@")[0]
    parts = [p for p in local.replace(".", " ").replace("-", " ").replace("_", " ").split()]
    return [lowered, local, "".join(parts), *(p for p in parts if len(p) > 2)]
