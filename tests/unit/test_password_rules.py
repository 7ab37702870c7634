"""Staff passwords as current advice has them: long, not common or guessable, no composition rules."""

from __future__ import annotations

from app.domain.passwords import password_problem


def test_at_least_twelve_characters():
    assert password_problem("kort!wacht") == "too_short"


def test_a_common_password_is_refused_however_long():
    assert password_problem("passwordpassword") == "guessable"
    assert password_problem("qwertyuiop123") == "guessable"


def test_a_password_built_from_the_users_own_address_is_refused():
    email = "jan.peeters@voorbeeld.be"
    assert password_problem("janpeeters2026", [email, "Jan Peeters"]) == "guessable"


def test_no_composition_rules_a_long_passphrase_of_lower_case_words_is_fine():
    assert password_problem("fiets gracht tulp molen") is None


def test_no_length_limit_that_hurts_but_not_endless():
    assert password_problem("x" * 201) == "too_long"
