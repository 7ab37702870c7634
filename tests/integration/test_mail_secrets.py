"""One-time secrets in mail and account existence (docs/security.md).

- No page shows a live one-time secret: every kind of mail and secret is made, then every staff
  page is fetched as every staff role, before and after the mails are sent.
- A mail with a one-time link is stored sealed while it waits and emptied once sent; the
  database never holds the link.
- Which staff see which mail: a promotor never sees another staff member's account mail (the
  way a central promotor became support: ask a reset for support's address, read it).
- "Send again" for such a mail sends a new link to its addressee, never the old one.
- Asking for a link does the same work for a known and an unknown address (no timing tells).
- A reset link mailed before a deactivation does not work after a reactivation.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event, func, select

from app import links
from app.audit import Actor
from app.extensions import db
from app.jobs.runner import run_due
from app.mail import outbox
from app.models import Branch, Job, OutboxMail, PasswordReset, Role, User
from app.models.base import Base
from tests.builders import PASSWORD
from tests.helpers.mail import MAIL_TO_INBOX
from tests.helpers.portal import link_supervisor

TOKEN = re.compile(r"/(?:password/reset|portal/link)/([A-Za-z0-9_.\-]+)")
NEW = "fiets gracht tulp molen"


@pytest.fixture
def app_config() -> dict:
    return MAIL_TO_INBOX


def make_asked_mails(app) -> None:  # type: ignore[no-untyped-def]
    """What the worker does with the links asked for on the pages; the mails then wait."""
    with app.app_context():
        run_due("test", outbox.MAKERS, datetime.now(UTC), timedelta(minutes=5), 50)


def deliver(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        outbox.deliver_pending()


def tokens_in(message: email.message.EmailMessage) -> set[str]:
    found = set()
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found |= set(TOKEN.findall(part.get_content()))
    return found


def waiting_tokens(app) -> dict[int, set[str]]:  # type: ignore[no-untyped-def]
    """The links in the waiting personal mails, opened as the sending worker opens them (the
    test's way to see what only the addressee may see)."""
    with app.app_context():
        found = {}
        for mail in db.session.scalars(select(OutboxMail).where(OutboxMail.personal.is_(True))):
            raw = outbox.read_message(mail)
            assert raw is not None
            found[mail.id] = tokens_in(email.message_from_bytes(raw, policy=email.policy.default))
        return found


def nonces(app, tokens: set[str]) -> set[str]:  # type: ignore[no-untyped-def]
    with app.app_context(), app.test_request_context():
        found = set()
        for token in tokens:
            for purpose in ("password-reset", "portal-sign-in"):
                try:
                    found.add(links.read_token(purpose, token, 3600).nonce)
                except links.LinkInvalid:
                    continue
        return found


def assert_not_stored(app, secrets: set[str]) -> None:  # type: ignore[no-untyped-def]
    """No column of any table holds a secret (as text or inside binary data)."""
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        data = bytes(value).decode("latin-1")
                    else:
                        data = str(value)
                    leaked = [s for s in secrets if s in data]
                    assert not leaked, (table.name, leaked)


def staff_pages(app, world: dict) -> list[str]:  # type: ignore[no-untyped-def]
    """Every staff page without a parameter, and the pages of the objects made here."""
    skip = {"static", "portal", "api", "health", "metrics"}
    paths = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint.split(".")[0] not in skip
    ]
    with app.app_context():
        mails = db.session.scalars(select(OutboxMail.id)).all()
        users = db.session.scalars(select(User.id)).all()
    for mail in mails:
        paths += [f"/admin/outbox/{mail}", f"/admin/outbox/{mail}/image.png"]
    paths += [f"/admin/users/{user}/edit" for user in users]
    paths += [
        f"/participants/{world['an']}",
        f"/sessions/{world['session']}",
        f"/admin/exchange/{world['connection']}",
    ]
    return paths


def assert_no_page_shows(app, clients: dict, world: dict, secrets: set[str]) -> int:  # type: ignore[no-untyped-def]
    shown = 0
    for role, client in clients.items():
        for path in staff_pages(app, world):
            body = client.get(path).get_data().decode("latin-1")
            leaked = [s for s in secrets if s in body]
            assert not leaked, (role, path, leaked)
            shown += 1
    return shown


@pytest.fixture
def world(app, make, today):  # type: ignore[no-untyped-def]
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today + timedelta(days=3), time(9), time(12), trainer_id=trainer)
    an = make.participant(name="An Peeters", email="an@example.org")
    make.enrol(session_id, an)  # the QR-code mail
    link_supervisor(app, an, "Sara Baas", "sara@example.org")
    support = make.user(Role.ADMIN, None, email="support@example.org")
    from app.exchange import operations as exchange

    with app.app_context():
        from app.devices.operations import issue_pairing
        from app.domain.exchange import DEFAULT_MAPPING, EVENT_KINDS

        branch = db.session.scalar(select(Branch).where(Branch.name == "Gent"))
        connection, exchange_secret = exchange.create_connection(
            Actor(None),
            branch,
            exchange.ConnectionInput(
                name="Informat",
                url="https://informat.example.org/hook",
                events=list(EVENT_KINDS),
                identifier="email",
                national_number_allowed=False,
                mapping=dict(DEFAULT_MAPPING),
                split_at=time(12, 0),
            ),
        )
        _pairing, pairing_code = issue_pairing(
            Actor(None), db.session.get(User, trainer), "Deur", datetime.now(UTC)
        )
        db.session.commit()
        connection_id = connection.id
    return {
        "trainer": trainer,
        "support": support,
        "session": session_id,
        "an": an,
        "connection": connection_id,
        "other_secrets": {exchange_secret, pairing_code, make.token(trainer)},
    }


def staff_clients(auth) -> dict:  # type: ignore[no-untyped-def]
    return {
        "support central": auth.as_role(Role.ADMIN, branch=None),
        "support Gent": auth.as_role(Role.ADMIN, branch="Gent"),
        "promotor central": auth.as_role(Role.PROMOTOR, branch=None),
        "promotor Gent": auth.as_role(Role.PROMOTOR, branch="Gent"),
        "trainer Gent": auth.as_role(Role.TRAINER, branch="Gent"),
        "front desk Gent": auth.as_role(Role.FRONTDESK, branch="Gent"),
    }


def test_no_page_shows_a_live_one_time_secret(app, make, world, inbox, auth):
    clients = staff_clients(auth)
    public = app.test_client()
    # Every kind of mail with a one-time link: asked for on the login page and the portal (for
    # a trainer, for support's own address, for a participant and a supervisor), and sent by
    # support from a user's page.
    for address in ("tom@example.org", "support@example.org"):
        assert public.post("/password/forgotten", data={"email": address}).status_code == 200
    for address in ("an@example.org", "sara@example.org"):
        assert public.post("/portal/sign-in", data={"email": address}).status_code == 200
    sent = clients["support central"].post(f"/admin/users/{world['trainer']}/reset-link")
    assert sent.status_code == 302
    make_asked_mails(app)
    by_mail = waiting_tokens(app)
    tokens = set().union(*by_mail.values())
    assert len(by_mail) == 5 and len(tokens) == 5  # each waiting mail holds its own live link
    secrets = tokens | nonces(app, tokens) | world["other_secrets"]
    assert len(secrets) == 13

    # While the mails wait: sealed in the database, on no page.
    assert_not_stored(app, secrets)
    assert assert_no_page_shows(app, clients, world, secrets) > 100

    # Sent: the addressees got the live links; the database keeps none; still on no page.
    deliver(app)
    assert set().union(*(tokens_in(m) for m in inbox.messages)) == tokens
    with app.app_context():
        personal = db.session.scalars(select(OutboxMail).where(OutboxMail.personal.is_(True)))
        assert all(m.sent_at is not None and m.message == b"" for m in personal)
    assert_not_stored(app, secrets)
    assert_no_page_shows(app, clients, world, secrets)
    # And the links were live: one of them sets a password.
    reset = next(
        t
        for t in tokens
        if nonces(app, {t}) and public.get(f"/password/reset/{t}").status_code == 200
    )
    assert (
        public.post(f"/password/reset/{reset}", data={"password": NEW, "confirm": NEW}).status_code
        == 302
    )


def test_a_personal_mail_says_it_exists_to_whom_and_its_state_but_not_its_link(
    app, make, world, auth
):
    support = auth.as_role(Role.ADMIN, branch=None)
    app.test_client().post("/password/forgotten", data={"email": "tom@example.org"})
    make_asked_mails(app)
    with app.app_context():
        mail = db.session.scalars(select(OutboxMail).where(OutboxMail.personal.is_(True))).one()
        assert mail.purpose == "password_reset" and mail.user_id == world["trainer"]
        assert b"/password/reset/" not in mail.message  # sealed
    listing = support.get("/admin/outbox").get_data(as_text=True)
    assert "tom@example.org" in listing and "persoonlijke link" in listing
    page = support.get(f"/admin/outbox/{mail.id}").get_data(as_text=True)
    assert 'id="personal-mail"' in page and "tom@example.org" in page
    assert "Kies een nieuw wachtwoord" in page  # the subject
    assert "wachtend" in page or "waiting" in page
    assert "/password/reset/" not in page and 'class="mail-text"' not in page
    assert support.get(f"/admin/outbox/{mail.id}/image.png").status_code == 404


def outbox_ids(client) -> set[int]:  # type: ignore[no-untyped-def]
    page = client.get("/admin/outbox").get_data(as_text=True)
    return {int(n) for n in re.findall(r'href="/admin/outbox/(\d+)"', page)}


def test_who_sees_which_mail(app, make, today, world, auth):
    """docs/security.md, "Who sees which mail"."""
    brugge_session = make.session(today + timedelta(days=4), branch="Brugge")
    ben = make.participant(branch="Brugge", name="Ben", email="ben@example.org")
    make.enrol(brugge_session, ben)
    make.user(Role.TRAINER, "Brugge", email="bram@example.org")
    clients = staff_clients(auth)
    public = app.test_client()
    for address in ("tom@example.org", "bram@example.org", "support@example.org"):
        public.post("/password/forgotten", data={"email": address})
    for address in ("an@example.org", "ben@example.org", "sara@example.org"):
        public.post("/portal/sign-in", data={"email": address})
    make_asked_mails(app)
    with app.app_context():
        mails = {(m.purpose, m.recipient): m.id for m in db.session.scalars(select(OutboxMail))}
    assert len(mails) == 9
    # Linking Sara as An's supervisor mailed her (a mail to an address, as the sign-in links).
    linked_sara = mails[("supervisor_linked", "sara@example.org")]
    qr_an, qr_ben = mails[("qr_code", "an@example.org")], mails[("qr_code", "ben@example.org")]
    reset_tom = mails[("password_reset", "tom@example.org")]
    reset_support = mails[("password_reset", "support@example.org")]
    link_an = mails[("portal_sign_in", "an@example.org")]
    link_ben = mails[("portal_sign_in", "ben@example.org")]
    link_sara = mails[("portal_sign_in", "sara@example.org")]
    everything = set(mails.values())
    expected = {
        "support central": everything,
        "support Gent": {qr_an, reset_tom, link_an, link_sara, linked_sara},
        "promotor central": {qr_an, qr_ben, link_an, link_ben, link_sara, linked_sara},
        "promotor Gent": {qr_an, link_an, link_sara, linked_sara},
    }
    for role, ids in expected.items():
        client = clients[role]
        assert outbox_ids(client) == ids, role
        for mail in everything - ids:
            assert client.get(f"/admin/outbox/{mail}").status_code == 404, (role, mail)
            assert client.post(f"/admin/outbox/{mail}/renew").status_code == 404, (role, mail)
    assert clients["trainer Gent"].get("/admin/outbox").status_code == 403
    assert reset_support not in outbox_ids(clients["promotor central"])  # the way to support


def test_a_promotor_sees_their_own_account_mail(app, make, world, auth):
    client = auth.as_role(Role.PROMOTOR, branch=None, email="piet@example.org")
    app.test_client().post("/password/forgotten", data={"email": "piet@example.org"})
    app.test_client().post("/password/forgotten", data={"email": "tom@example.org"})
    make_asked_mails(app)
    with app.app_context():
        own = db.session.scalar(
            select(OutboxMail.id).where(OutboxMail.recipient == "piet@example.org")
        )
    # Besides their own: An's QR-code mail and the mail that told Sara she supervises An.
    assert own in outbox_ids(client) and len(outbox_ids(client) - {own}) == 2


def test_send_again_mails_a_new_link_to_the_addressee(app, make, world, inbox, auth):
    support = auth.as_role(Role.ADMIN, branch=None)
    app.test_client().post("/password/forgotten", data={"email": "tom@example.org"})
    make_asked_mails(app)
    [old_tokens] = waiting_tokens(app).values()
    with app.app_context():
        old = db.session.scalars(select(OutboxMail).where(OutboxMail.personal.is_(True))).one()
    answer = support.post(f"/admin/outbox/{old.id}/renew", follow_redirects=True)
    assert "Er wordt een nieuwe link gemaild naar tom@example.org" in answer.get_data(as_text=True)
    with app.app_context():
        withdrawn = db.session.get(OutboxMail, old.id)
        assert withdrawn.job.finished_at is not None and withdrawn.message == b""
        assert outbox.REPLACED in withdrawn.job.last_error
        assert db.session.scalar(select(func.count()).select_from(PasswordReset)) == 2
    deliver(app)
    # The withdrawn mail is never sent (the other one is An's QR-code mail).
    [message] = [m for m in inbox.messages if m["To"] == "tom@example.org"]
    [new_token] = tokens_in(message)
    assert new_token not in old_tokens
    client = app.test_client()
    assert (
        client.post(
            f"/password/reset/{new_token}", data={"password": NEW, "confirm": NEW}
        ).status_code
        == 302
    )

    # A sent portal sign-in mail: again a new link, to the same address.
    app.test_client().post("/portal/sign-in", data={"email": "an@example.org"})
    deliver(app)
    with app.app_context():
        sign_in_mail = db.session.scalar(
            select(OutboxMail.id).where(OutboxMail.purpose == "portal_sign_in")
        )
    inbox.messages.clear()
    support.post(f"/admin/outbox/{sign_in_mail}/renew")
    deliver(app)
    [again] = inbox.messages
    assert again["To"] == "an@example.org" and len(tokens_in(again)) == 1

    # A mail without a one-time link has nothing to renew; a deactivated user gets no link.
    with app.app_context():
        qr_mail = db.session.scalar(select(OutboxMail.id).where(OutboxMail.purpose == "qr_code"))
        reset_mail = db.session.scalar(
            select(OutboxMail.id).where(OutboxMail.purpose == "password_reset")
        )
    assert support.post(f"/admin/outbox/{qr_mail}/renew").status_code == 404
    support.post(f"/admin/users/{world['trainer']}/active/0")
    refused = support.post(f"/admin/outbox/{reset_mail}/renew", follow_redirects=True)
    assert "kan zich niet meer aanmelden" in refused.get_data(as_text=True)


def test_a_personal_mail_whose_link_expired_while_waiting_is_not_sent(app, make, world, inbox):
    app.test_client().post("/password/forgotten", data={"email": "tom@example.org"})
    make_asked_mails(app)
    with app.app_context():
        mail = db.session.scalars(select(OutboxMail).where(OutboxMail.personal.is_(True))).one()
        job = mail.job
        job.payload = {**job.payload, "expires_at": "2020-01-01T00:00:00+00:00"}
        db.session.commit()
    deliver(app)
    # An's QR-code mail and Sara's supervisor mail; not the expired link.
    assert sorted(m["To"] for m in inbox.messages) == ["an@example.org", "sara@example.org"]
    with app.app_context():
        mail = db.session.scalars(select(OutboxMail).where(OutboxMail.personal.is_(True))).one()
        assert mail.sent_at is None and mail.message == b""
        assert mail.job.finished_at is not None and outbox.EXPIRED in mail.job.last_error


class TestAccountExistence:
    """Asking for a link on a public page does the same work whatever the address."""

    @pytest.fixture
    def app_config(self) -> dict:
        return {}  # no mail server: nothing is sent in the request either way

    @staticmethod
    def statements(app, client, path: str, address: str) -> list[str]:  # type: ignore[no-untyped-def]
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.post(path, data={"email": address}).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return seen

    @pytest.mark.parametrize("path", ["/password/forgotten", "/portal/sign-in"])
    def test_a_known_and_an_unknown_address_cost_the_same_statements(self, app, make, path):
        make.user(Role.TRAINER, email="tom@example.org")
        make.participant(email="tom@example.org")
        client = app.test_client()
        self.statements(app, client, path, "warm@example.org")  # first-request setup
        known = self.statements(app, client, path, "tom@example.org")
        unknown = self.statements(app, client, path, "nobody@example.org")
        assert known == unknown
        tables = " ".join(known).lower()
        assert "jobs" in tables
        for table in ("users", "participants", "supervisors", "password_resets", "outbox_mails"):
            assert f" {table}" not in tables and f'"{table}"' not in tables, table
        with app.app_context():
            kinds = db.session.scalars(select(Job.kind)).all()
            assert len(kinds) == 3 and len(set(kinds)) == 1
        make_asked_mails(app)
        with app.app_context():
            mails = db.session.scalars(select(OutboxMail.recipient)).all()
            assert mails == ["tom@example.org"]
            # What was typed is not kept once the worker handled it.
            assert all(
                p == {}
                for p in db.session.scalars(select(Job.payload).where(Job.kind != outbox.KIND))
            )


def test_a_reset_link_sent_before_a_deactivation_fails_after_a_reactivation(
    app, make, world, inbox, auth
):
    support = auth.as_role(Role.ADMIN, branch=None)
    client = app.test_client()
    client.post("/password/forgotten", data={"email": "tom@example.org"})
    deliver(app)
    [token] = tokens_in(next(m for m in inbox.messages if m["To"] == "tom@example.org"))
    client.post("/password/forgotten", data={"email": "tom@example.org"})
    make_asked_mails(app)  # a second link waits in the outbox (the mail server is slow)
    trainer = world["trainer"]
    assert support.post(f"/admin/users/{trainer}/active/0").status_code == 302
    assert support.post(f"/admin/users/{trainer}/active/1").status_code == 302
    refused = client.post(f"/password/reset/{token}", data={"password": NEW, "confirm": NEW})
    assert refused.status_code == 410
    with app.app_context():
        waiting = db.session.scalars(select(OutboxMail).where(OutboxMail.sent_at.is_(None)))
        withdrawn = [m for m in waiting if m.purpose == "password_reset"]
        assert len(withdrawn) == 1 and withdrawn[0].message == b""
        assert withdrawn[0].job.last_error == outbox.ACCOUNT_ENDED
    inbox.messages.clear()
    deliver(app)
    assert [m["To"] for m in inbox.messages] == []  # the withdrawn link is never sent
    login = app.test_client().post(
        "/login", data={"email": "tom@example.org", "password": PASSWORD}
    )
    assert login.status_code == 302  # the password itself is unchanged


def test_the_migration_empties_the_links_stored_in_plain_text(tmp_path):
    """Mails stored before: a sent reset mail keeps no body, a waiting sign-in mail is
    withdrawn and emptied, a QR-code mail is left as it was."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from tests.helpers.config import BASE_CONFIG

    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"},
        instance_path=str(tmp_path),
    )
    then = datetime(2026, 12, 1, 8, 0)
    mails = [
        ("tom@example.org", b"Subject: x\r\n\r\nhttp://h/password/reset/abc.def", then),
        ("an@example.org", b"Subject: x\r\n\r\nhttp://h/portal/link/ghi.jkl", None),
        ("an@example.org", b"Subject: x\r\n\r\nhttp://h/portal/sign-in", None),
    ]
    with app.app_context():
        upgrade(revision="79610a4b3550")
        db.session.execute(
            text(
                "INSERT INTO users (email, name, role, password_hash, active, created_at,"
                " must_change_password, session_generation, language, digest_enabled)"
                " VALUES ('tom@example.org', 'Tom', 'trainer', 'x', 1, :c, 0, 0, 'nl', 1)"
            ),
            {"c": then},
        )
        for number, (recipient, message, sent_at) in enumerate(mails, start=1):
            db.session.execute(
                text(
                    "INSERT INTO jobs (id, kind, payload, created_at, due_at, attempts,"
                    " finished_at) VALUES (:id, 'mail', '{}', :c, :c, 1, :s)"
                ),
                {"id": number, "c": then, "s": sent_at},
            )
            db.session.execute(
                text(
                    "INSERT INTO outbox_mails (recipient, subject, message, created_at, sent_at,"
                    " job_id) VALUES (:r, 'x', :m, :c, :s, :id)"
                ),
                {"r": recipient, "m": message, "c": then, "s": sent_at, "id": number},
            )
        db.session.commit()
        upgrade()
        rows = db.session.execute(
            text(
                "SELECT m.message, m.personal, m.purpose, m.user_id, j.finished_at, j.last_error"
                " FROM outbox_mails m JOIN jobs j ON j.id = m.job_id ORDER BY m.id"
            )
        ).all()
        reset, sign_in, qr = rows
        assert bytes(reset.message) == b"" and reset.personal and reset.user_id == 1
        assert reset.purpose == "password_reset" and reset.last_error is None
        assert bytes(sign_in.message) == b"" and sign_in.personal and sign_in.user_id is None
        assert sign_in.finished_at is not None and "withdrawn" in sign_in.last_error
        assert bytes(qr.message) == mails[2][1] and not qr.personal and qr.finished_at is None
        db.session.remove()
        db.engine.dispose()
