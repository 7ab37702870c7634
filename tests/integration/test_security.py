"""Security that is part of every feature: hashed secrets, rate-limited login, headers, cookies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.config import DefaultConfig
from app.extensions import db
from app.models import ApiToken, Role, User
from tests.builders import PASSWORD
from tests.helpers.config import TEST_REDIS_URL
from tests.helpers.preconditions import missing


@pytest.fixture
def app_config() -> dict:
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_LOGIN": "3 per minute",
        "PASSWORD_HASH_METHOD": DefaultConfig.PASSWORD_HASH_METHOD,
    }


def login(client, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": email, "password": password})


def test_login_is_rate_limited(client, make):
    make.user(Role.PROMOTOR, email="p@example.org")
    for _ in range(3):
        assert login(client, "p@example.org", "wrong password").status_code == 200
    assert login(client, "p@example.org", PASSWORD).status_code == 429


def test_passwords_and_tokens_are_stored_hashed(make):
    user_id = make.user(Role.TRAINER)
    token = make.token(user_id)
    with make.app.app_context():
        user = db.session.get(User, user_id)
        assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")
        hashes = db.session.scalars(select(ApiToken.token_hash)).all()
        assert token not in hashes and len(hashes) == 1


def test_login_sets_a_httponly_samesite_cookie_and_refuses_open_redirects(client, make):
    make.user(Role.PROMOTOR, email="p@example.org")
    response = client.post(
        "/login?next=//evil.example.org/", data={"email": "p@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_limits_can_live_in_redis(make, database_url, tmp_path):
    """With RATELIMIT_STORAGE_URI=redis://... the limit is shared by every worker."""
    import redis

    from app import create_app

    store = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
    try:
        store.flushdb()
    except redis.ConnectionError:
        missing(f"Redis at {TEST_REDIS_URL}", "sudo apt-get install redis-server")
    config = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": TEST_REDIS_URL,
        "RATELIMIT_LOGIN": "2 per minute",
    }
    first = create_app(config, instance_path=str(tmp_path / "instance")).test_client()
    second = create_app(config, instance_path=str(tmp_path / "instance")).test_client()
    first.post("/login", data={"email": "x@example.org", "password": "wrong password"})
    second.post("/login", data={"email": "x@example.org", "password": "wrong password"})
    assert (
        first.post("/login", data={"email": "x@example.org", "password": "wrong"}).status_code
        == 429
    )
