"""The national register number: YY.MM.DD-XXX.CC with check digits 97 - (number mod 97)."""

import pytest

from app.domain.national_number import InvalidNationalNumber, formatted, is_valid, masked, normalise


def test_a_number_of_someone_born_before_2000_checks_against_the_nine_digits():
    assert is_valid("85.07.30-033.28")


def test_a_number_of_someone_born_from_2000_checks_against_the_digits_prefixed_with_2():
    # 97 - (2020315123 mod 97) = 4; 97 - (020315123 mod 97) = 72 would be the pre-2000 check.
    assert is_valid("02.03.15-123.04")
    assert not is_valid("02.03.15-123.05")


def test_a_wrong_check_digit_is_refused():
    assert not is_valid("85.07.30-033.29")


@pytest.mark.parametrize(
    "text", ["", "8507300332", "850730033281", "85.07.30-033.2x", "abcdefghijk"]
)
def test_anything_but_eleven_digits_is_refused(text: str):
    assert not is_valid(text)


def test_separators_are_optional():
    assert normalise("85073003328") == normalise("85.07.30-033.28") == "85073003328"
    with pytest.raises(InvalidNationalNumber):
        normalise("85073003329")


def test_the_number_is_shown_masked_except_the_check_digits():
    assert masked("85073003328") == "**.**.**-***.28"
    assert formatted("85073003328") == "85.07.30-033.28"
