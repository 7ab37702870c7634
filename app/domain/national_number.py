"""The Belgian national register number (rijksregisternummer): YY.MM.DD-XXX.CC.

The check digits are 97 - (the first nine digits mod 97); for people born from 2000 on the
computation prefixes the nine digits with a 2. Month or day may be 0 or above 12 / 31 for people
whose birth date is unknown or for bis numbers, so only the checksum decides validity.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-/]")


class InvalidNationalNumber(ValueError):
    """The text is not a valid national register number."""


def normalise(text: str) -> str:
    """Strip the usual separators and check the number; return the 11 digits."""
    digits = _SEPARATORS.sub("", text or "")
    if not re.fullmatch(r"\d{11}", digits):
        raise InvalidNationalNumber("a national register number has 11 digits")
    base, check = int(digits[:9]), int(digits[9:])
    if check not in (97 - base % 97, 97 - int("2" + digits[:9]) % 97):
        raise InvalidNationalNumber("the check digits do not match")
    return digits


def is_valid(text: str) -> bool:
    """True when ``text`` is a well-formed national register number with matching check digits."""
    try:
        normalise(text)
    except InvalidNationalNumber:
        return False
    return True


def formatted(digits: str) -> str:
    """YY.MM.DD-XXX.CC."""
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:11]}"


def masked(digits: str) -> str:
    """Only the check digits stay visible: ``**.**.**-***.28``."""
    return f"**.**.**-***.{digits[9:11]}"
