"""Pairing a scanner on the server: the tokens page shows a QR code with the server's address and
a single-use pairing token; the scanner exchanges it for its own token; the page lists the
scanner and revokes it. Tokens are stored hashed; every step is audited."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest
import zxingcpp
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, AuditRecord, PairingToken, Role
from qr.pairing import parse_pairing_text


@pytest.fixture
def trainer(make, auth):  # type: ignore[no-untyped-def]
    make.user(Role.TRAINER, "Gent", email="tom@example.org")
    return auth.log_in("tom@example.org")


def shown_code(page: str) -> str:
    """The text of the QR code on the page, read from the image as a camera would."""
    data = re.search(r'src="data:image/png;base64,([^"]+)"[^>]*id="pairing-code"', page)
    assert data, page
    image = cv2.imdecode(np.frombuffer(base64.b64decode(data.group(1)), np.uint8), 0)
    texts = [r.text for r in zxingcpp.read_barcodes(image)]
    assert len(texts) == 1
    return texts[0]


def exchange(client, token: str, device_name: str = "laptop-zaal-2"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/devices/pair", json={"token": token, "device_name": device_name})


def test_the_pairing_code_holds_the_server_address_and_works_once(app, trainer):
    page = trainer.post("/tokens/pair", data={"name": "Laptop zaal 2"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    code = parse_pairing_text(shown_code(page.get_data(as_text=True)))
    assert code is not None and code.url == "http://localhost"
    with app.app_context():
        pairing = db.session.scalars(select(PairingToken)).one()
        assert code.token not in pairing.token_hash and pairing.name == "Laptop zaal 2"
        assert timedelta(minutes=4) < pairing.expires_at - datetime.now(UTC) <= timedelta(minutes=5)

    device = app.test_client()
    first = exchange(device, code.token)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["device_name"] == "Laptop zaal 2" and body["user"]["email"] == "tom@example.org"
    second = exchange(device, code.token)
    assert second.status_code == 401 and second.get_json()["error"] == "pairing_used"

    # The scanner's own token works, and is stored only as its hash.
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert device.get("/api/v1/sessions", headers=headers).status_code == 200
    with app.app_context():
        token = db.session.scalars(select(ApiToken).where(ApiToken.device_name.is_not(None))).one()
        assert body["token"] not in token.token_hash and token.device_name == "Laptop zaal 2"
        actions = db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
        assert actions[-3:] == ["pairing.issue", "pairing.exchange", "token.create"]
    listed = trainer.get("/tokens").get_data(as_text=True)
    assert "Laptop zaal 2" in listed and body["token"] not in listed and code.token not in listed


def test_the_scanner_names_itself_when_the_trainer_gave_no_name(app, trainer):
    code = parse_pairing_text(shown_code(trainer.post("/tokens/pair").get_data(as_text=True)))
    assert exchange(app.test_client(), code.token, "an-laptop").get_json()["device_name"] == (
        "an-laptop"
    )


def test_an_expired_or_unknown_pairing_code_is_refused(app, trainer):
    code = parse_pairing_text(shown_code(trainer.post("/tokens/pair").get_data(as_text=True)))
    with app.app_context():
        pairing = db.session.scalars(select(PairingToken)).one()
        pairing.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    expired = exchange(app.test_client(), code.token)
    assert expired.status_code == 401 and expired.get_json()["error"] == "pairing_expired"
    unknown = exchange(app.test_client(), "azp_" + "x" * 32)
    assert unknown.status_code == 401 and unknown.get_json()["error"] == "pairing_unknown"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_deactivated_user_cannot_pair(app, trainer):
    code = parse_pairing_text(shown_code(trainer.post("/tokens/pair").get_data(as_text=True)))
    from app.models import User

    with app.app_context():
        db.session.scalars(select(User)).one().active = False
        db.session.commit()
    assert exchange(app.test_client(), code.token).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        None,
        "not json",
        "[1, 2]",
        '{"token": 5}',
        '{"token": ""}',
        '{"token": "azp_x", "device_name": "a\\nb"}',
        '{"token": "azp_x", "device_name": "' + "x" * 500 + '"}',
        '{"token": "\\ud800"}',
        "[" * 100_000,
        '{"token": "' + "x" * 5000 + '"}',
    ],
)
def test_bad_pairing_requests_get_a_clear_4xx(app, body):
    response = app.test_client().post(
        "/api/v1/devices/pair", data=body, content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"] and response.get_json()["message"]


def test_the_page_lists_scanners_with_their_last_use_and_revokes_one(app, trainer):
    tokens = []
    for name in ("Laptop A", "Laptop B"):
        page = trainer.post("/tokens/pair", data={"name": name}).get_data(as_text=True)
        tokens.append(exchange(app.test_client(), parse_pairing_text(shown_code(page)).token))
    listed = trainer.get("/tokens").get_data(as_text=True)
    scanners = listed.split('id="scanners"')[1].split("</table>")[0]
    assert scanners.index("Laptop B") < scanners.index("Laptop A")  # newest first
    assert len(re.findall(r"\d\d/\d\d/\d{4} \d\d:\d\d", scanners)) == 4  # paired and last used
    with app.app_context():
        laptop_a = db.session.scalars(
            select(ApiToken).where(ApiToken.device_name == "Laptop A")
        ).one()
    done = trainer.post(f"/tokens/{laptop_a.id}/revoke", follow_redirects=True)
    assert "Laptop A" in done.get_data(as_text=True)
    device = app.test_client()
    a, b = (t.get_json()["token"] for t in tokens)
    assert (
        device.get("/api/v1/sessions", headers={"Authorization": f"Bearer {a}"}).status_code == 401
    )
    assert (
        device.get("/api/v1/sessions", headers={"Authorization": f"Bearer {b}"}).status_code == 200
    )
    with app.app_context():
        assert (
            db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.id.desc())).first()
            == "token.revoke"
        )


def test_another_users_scanner_is_not_found(app, make, trainer, auth):
    page = trainer.post("/tokens/pair").get_data(as_text=True)
    exchange(app.test_client(), parse_pairing_text(shown_code(page)).token)
    make.user(Role.TRAINER, "Gent", email="other@example.org")
    other = auth.log_in("other@example.org")
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    assert other.post(f"/tokens/{token_id}/revoke").status_code == 404
    assert 'class="empty"' in other.get("/tokens").get_data(as_text=True).split('id="scanners"')[1]


@pytest.mark.parametrize("name", ["x" * 121, "nul\x00byte"])
def test_a_bad_scanner_name_is_refused_at_the_field(app, trainer, name):
    response = trainer.post("/tokens/pair", data={"name": name})
    assert response.status_code == 400
    assert "field-error" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PairingToken)) == 0


def test_the_configured_public_address_goes_into_the_code(app, make, auth):
    app.config["PUBLIC_URL"] = "https://aanwezig.example.org/"
    make.user(Role.TRAINER, "Gent", email="tom@example.org")
    client = auth.log_in("tom@example.org")
    code = parse_pairing_text(shown_code(client.post("/tokens/pair").get_data(as_text=True)))
    assert code.url == "https://aanwezig.example.org"
