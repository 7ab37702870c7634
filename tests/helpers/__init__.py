"""Helpers the tests share: plain functions and constants (the fixtures live in conftest.py).

A test module never imports from another test module or a conftest; what two of them share
lives here (tests/unit/test_architecture.py checks this)."""
