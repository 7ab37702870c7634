"""The test settings: the app configuration every test starts from and the databases to use."""

from __future__ import annotations

import os

from flask.testing import FlaskClient

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# A Redis database the tests may empty (FLUSHDB); parallel runs each take their own number.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASE_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SMTP_HOST": None,
    "SERVER_NAME": "localhost",
    # scrypt costs about 0.3 s a user by design; the tests make many users. Production keeps
    # scrypt (tests/integration/test_security.py checks the default).
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
}


class ClosingClient(FlaskClient):
    """Reads and closes every response at once, so each request's app context ends (and its
    database connection goes back to the pool) inside the test that made it, not whenever the
    garbage collector finds an unread response."""

    def open(self, *args, buffered: bool = True, **kwargs):  # type: ignore[no-untyped-def,override]
        return super().open(*args, buffered=buffered, **kwargs)
