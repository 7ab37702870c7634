"""The command-line commands the README documents."""

from __future__ import annotations

from datetime import time, timedelta

from tests.builders import Api, future_monday


def test_create_user_and_token_then_use_the_token(app, make):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "t@example.org",
            "--role",
            "trainer",
            "--branch",
            "Gent",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-token", "t@example.org"])
    token = result.output.strip().splitlines()[-1]
    api = Api(app.test_client(), token)
    assert api.get("/sessions").status_code == 200


def test_create_user_refuses_a_duplicate_and_a_short_password(app):
    runner = app.test_cli_runner()
    assert (
        runner.invoke(
            args=["create-user", "a@example.org", "--role", "admin", "--password", "short"]
        ).exit_code
        == 1
    )
    ok = runner.invoke(args=["create-user", "a@example.org", "--role", "admin"])
    assert ok.exit_code == 0 and "with password" in ok.output
    again = runner.invoke(args=["create-user", "a@example.org", "--role", "admin"])
    assert again.exit_code == 1 and "bestaat al" in again.output


def test_a_closure_day_moves_the_registration_deadline(app, make):
    # A Monday; the Tuesday after it becomes a closure day.
    monday = future_monday()
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    session_id = make.session(monday, time(9), time(12))
    api = make.api()
    before = api.get(f"/sessions/{session_id}").get_json()["deadline"]
    assert before.startswith(f"{tuesday.isoformat()}T10:00")
    result = app.test_cli_runner().invoke(
        args=["add-closure-day", tuesday.isoformat(), "--label", "Teambuilding"]
    )
    assert result.exit_code == 0, result.output
    after = api.get(f"/sessions/{session_id}").get_json()["deadline"]
    assert after.startswith(f"{wednesday.isoformat()}T10:00")
