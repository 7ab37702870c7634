"""Who may reach what: every route of ``app.url_map`` against every kind of caller.

Each endpoint is classified once in ``ACCESS`` below; a route nobody classified fails the test
(a new route joins by default). One world is built per backend: two branches, Gent (A, which
owns every object the URLs name) and Brugge (B), with support, promotors, a trainer and a front
desk user in each, central support and a central promotor, and in the portal a participant and
a supervisor of each branch. Every route is then asked, as every caller, with the ids of A's
objects (GET, or POST with an empty form), and:

- a caller the class allows gets an answer (2xx, or a redirect that is not to a login page;
  a POST may also be refused for its empty form, but never with 401, 403 or 404);
- any other caller gets a redirect to a login page, 401, 403 or 404 and never the objects'
  data (their names and addresses do not appear in the answer).

The API (``/api/v1``) is asked the same way with each staff user's bearer token, and with a
logged-in browser's cookie but no token, which is no credential there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import Flask, url_for
from sqlalchemy import select

from app.audit import Actor
from app.extensions import db
from app.models import (
    ApiToken,
    Certificate,
    CertificateKind,
    ClosureDay,
    ExchangeConnection,
    ExchangeEvent,
    Justification,
    JustificationKind,
    JustificationRequest,
    OutboxMail,
    Role,
    Session,
    TrainingEnrolment,
)
from app.models import Branch as BranchModel
from tests.builders import PASSWORD, Builders, job_run
from tests.helpers.portal import EVENING, elearning_training, link_supervisor, portal_client, report

# --- The callers ------------------------------------------------------------------------------

A, B = "Gent", "Brugge"

STAFF = {
    "support_central": (Role.ADMIN, None),
    "support_a": (Role.ADMIN, A),
    "support_b": (Role.ADMIN, B),
    "promotor_central": (Role.PROMOTOR, None),
    "promotor_a": (Role.PROMOTOR, A),
    "promotor_b": (Role.PROMOTOR, B),
    "trainer_a": (Role.TRAINER, A),  # teaches A's sessions
    "trainer_b": (Role.TRAINER, B),
    "frontdesk_a": (Role.FRONTDESK, A),
    "frontdesk_b": (Role.FRONTDESK, B),
}
PORTAL = {
    "participant_a": "annelies@example.org",
    "participant_b": "bert@example.org",
    "supervisor_a": "sara.baas@example.org",
    "supervisor_b": "karel.chef@example.org",
}
CALLERS = ["anonymous", *STAFF, *PORTAL]

# Who each class lets in. "Of A" means: whose scope holds branch A's objects.
SUPPORT_OF_A = {"support_central", "support_a"}
PLANNERS_OF_A = SUPPORT_OF_A | {"promotor_central", "promotor_a"}
STAFF_ALL = set(STAFF)
CLASSES: dict[str, set[str]] = {
    # anyone, signed in or not (login pages, health, the language switch, static files)
    "public": set(CALLERS),
    # any signed-in staff user, each seeing their own things
    "staff": STAFF_ALL,
    # staff who scan: everyone but the front desk
    "scanning_staff": STAFF_ALL - {"frontdesk_a", "frontdesk_b"},
    # support of any branch, each within their own scope (their branch's users, ...)
    "support": {"support_central", "support_a", "support_b"},
    # central support only (the whole organisation)
    "support_central": {"support_central"},
    # support whose scope holds A's object
    "support_of_a": SUPPORT_OF_A,
    # support and promotors of any branch, each within their own scope (lists, new objects)
    "planner": PLANNERS_OF_A | {"support_b", "promotor_b"},
    # support and promotors whose scope holds A's object
    "planner_of_a": PLANNERS_OF_A,
    # those, and the trainer who teaches A's session
    "teaching_a": PLANNERS_OF_A | {"trainer_a"},
    # any staff member whose scope holds A's session (the front desk sees its branch's day)
    "staff_of_a": PLANNERS_OF_A | {"trainer_a", "frontdesk_a"},
    # the front desk of any branch and support and promotors, each within their scope
    "frontdesk": {"frontdesk_a", "frontdesk_b"} | PLANNERS_OF_A | {"support_b", "promotor_b"},
    # the front desk, support and promotors whose scope holds A's session
    "frontdesk_of_a": PLANNERS_OF_A | {"frontdesk_a"},
    # a signed-in portal user (participant or supervisor), each seeing their own things
    "portal": set(PORTAL),
    # the participant A's own records
    "portal_participant_a": {"participant_a"},
    # promotors and trainers: those who get the daily digest
    "digest": {"promotor_central", "promotor_a", "promotor_b", "trainer_a", "trainer_b"},
    # the owner of the token the URL names (promotor_a's)
    "token_owner": {"promotor_a"},
    # credentials other than a login or a token: checked in their own tests (a webhook
    # signature, a pairing token in the body, the metrics network); nobody here has them
    "own_credential": set(),
}
# The API, by bearer token.
API_CLASSES: dict[str, set[str]] = {
    "public": {"anonymous", *STAFF},
    "token": STAFF_ALL,  # any valid token, each caller within their own scope
    "token_planner": PLANNERS_OF_A | {"support_b", "promotor_b"},
    "token_planner_of_a": PLANNERS_OF_A,
    "token_teaching_a": PLANNERS_OF_A | {"trainer_a"},
    "token_staff_of_a": PLANNERS_OF_A | {"trainer_a", "frontdesk_a"},
    "token_no_front_desk": STAFF_ALL - {"frontdesk_a", "frontdesk_b"},
    "token_support": {"support_central", "support_a", "support_b"},
    "token_support_central": {"support_central"},
    "token_support_of_a": SUPPORT_OF_A,
    "own_credential": set(),
}

_WEB = {
    "public": [
        "auth.login", "auth.language", "auth.forgot_password", "auth.reset_password",
        "portal.sign_in", "portal.use_link", "portal.confirm_link", "portal.language",
        "portal.sign_out", "health.healthz", "health.readyz", "static",
        # the browser scanner's shell holds nothing personal: it works with its own token
        "webscan.page", "webscan.account", "webscan.decoder_worker", "webscan.service_worker",
        "webscan.manifest",
        # the secret token in the address is the credential (tested in test_calendar_feed)
        "calendar_feed.feed", "favicon",
    ],
    "scanning_staff": ["webscan.device"],
    "own_credential": ["metrics.metrics"],  # METRICS_ALLOW networks or METRICS_TOKEN
    "staff": ["planning.home", "planning.archive", "auth.change_password", "auth.tokens",
              "auth.pair", "auth.logout", "calendar_feed.mine"],
    "frontdesk": ["frontdesk.frontdesk", "frontdesk.frontdesk_enrol", "frontdesk.frontdesk_new"],
    "frontdesk_of_a": ["frontdesk.frontdesk_remind"],
    "support": [
        "admin.branches", "admin.closure_days", "admin.organisation GET", "admin.partners",
        "admin.users", "admin.organisation_stamp_image", "exchange.connections",
        "exchange.new_connection",
        # the route admits support; the operation refuses a branch's support (flashed, and
        # tested below with a valid name)
        "admin.rename_branch",
    ],
    "support_central": [
        "admin.organisation POST", "admin.organisation_stamp", "admin.organisation_stamp_remove",
        "admin.branch_address", "admin.remove_closure_day", "participants.keep_national_number",
    ],
    "support_of_a": [
        "admin.change_user", "admin.edit_user", "admin.send_reset_link", "admin.set_active",
        "exchange.connection", "exchange.push", "exchange.retry", "exchange.switch",
        "planning.close", "planning.reopen", "participants.merge",
    ],
    "planner": ["planning.projects", "participants.index", "participants.import_file",
                "supervision.inbox", "admin.outbox", "audit_log.index", "audit_log.export_csv"],
    "planner_of_a": [
        "planning.project", "planning.edit_project", "planning.series", "planning.cancel",
        "planning.edit_session", "planning.edit_training", "planning.enrol_session",
        "planning.restore", "certificates.issue_due",
        "planning.enrol_training", "planning.enrol_training_participants", "planning.submit",
        "planning.training_details", "planning.training POST",
        "participants.detail", "participants.edit", "participants.qr_image",
        "participants.reissue", "participants.resend", "participants.reveal",
        "participants.unenrol_session", "participants.unenrol_training",
        "supervision.set_supervisor", "supervision.accept", "supervision.reject",
        "supervision.document", "supervision.remind", "supervision.self_reports",
        "certificates.index", "certificates.issue", "certificates.correct",
        "certificates.download", "certificates.second_sitting", "certificates.sittings",
        "exports.download", "exports.submission", "exports.submit",
        "attendance.revoke_exemption", "attendance.revoke_justification",
        "attendance.justification_document", "attendance.add_exemption",
        "attendance.update_enrolment", "attendance.record_justification",
        "admin.outbox_mail", "admin.outbox_image", "admin.outbox_retry", "admin.outbox_renew",
        "admin.outbox_withdraw",
    ],
    "teaching_a": [
        "webscan.session_scan",
        "attendance.report", "attendance.report_file", "attendance.roll_call",
        "attendance.incomplete", "attendance.late_arrival", "attendance.left_early",
        "attendance.close_registrations", "attendance.participant",
    ],
    "staff_of_a": ["planning.session_detail", "planning.session_roster_json",
                   "planning.training GET", "exports.paper_list"],
    "digest": ["auth.digest_setting"],  # promotors and trainers get the daily digest
    "token_owner": ["auth.revoke"],  # the victim token belongs to promotor_a
    "portal": ["portal.home", "portal.absences", "portal.hours", "portal.sessions",
               "portal.supervise", "portal.portal_calendar"],
    "portal_participant_a": [
        "portal.attendance_certificate", "portal.certificate", "portal.correct_hours",
        "portal.qr_image", "portal.qr_mail", "portal.qr_print", "portal.training",
    ],
}  # fmt: skip
_API = {
    "public": ["api.openapi", "devices.pair"],  # the pairing token in the body is the credential
    "own_credential": ["api.exchange_events"],  # a webhook signature with the connection's secret
    "token": ["api.public_key", "api.list_projects", "api.list_sessions", "api.list_trainings",
              "api.list_registrations"],
    # front desk accounts see no participant records (as on the web) and do not scan
    "token_no_front_desk": ["api.list_participants", "api.scan"],
    "token_planner": ["api.create_participant", "api.create_project", "api.create_supervisor",
                      "api.list_supervisors", "api.audit_records", "api.list_justifications",
                      "api.list_justification_requests", "api.list_certificates"],
    "token_support": ["api.list_closure_days"],
    "token_support_central": ["api.create_closure_days", "api.delete_closure_day"],
    "token_support_of_a": ["api.merge_participants"],
    # (the bodies of these name A's objects)
    "token_planner_of_a": ["api.get_supervisor", "api.link_supervisor",
                           "api.participant_code_view", "api.training_self_reports",
                           "api.enrol", "api.create_session", "api.create_training",
                           "api.patch_participant", "api.patch_project", "api.patch_training",
                           "api.patch_session", "api.cancel_session", "api.restore_session",
                           "api.enrol_training", "api.unenrol_training", "api.unenrol_session",
                           "api.reissue_code", "api.resend_code", "api.create_exemption",
                           "api.revoke_exemption", "api.get_justification",
                           "api.justification_document", "api.revoke_justification",
                           "api.create_justification", "api.get_justification_request",
                           "api.justification_request_document",
                           "api.accept_justification_request",
                           "api.reject_justification_request", "api.approve_self_report",
                           "api.reject_self_report", "api.due_list", "api.issue",
                           "api.issue_due", "api.correct", "api.get_certificate",
                           "api.certificate_pdf"],
    "token_teaching_a": ["api.training_attendance", "api.get_participant", "api.roll_call",
                         "api.roll_call_marks",
                         "api.late_arrival", "api.early_departure", "api.close_session",
                         "api.resolve_incomplete"],
    "token_staff_of_a": ["api.get_project", "api.get_training", "api.get_session",
                         "api.session_enrolments", "api.session_registrations",
                         "api.session_roster"],
}  # fmt: skip

# "endpoint" or "endpoint METHOD" -> class; one table for the web and the API.
ACCESS: dict[str, str] = {
    name: kind for table in (_WEB, _API) for kind, names in table.items() for name in names
}

# Allowed callers whose empty POST is refused with 404 because the form names no object.
EMPTY_POST_NOT_FOUND = {"certificates.issue", "frontdesk.frontdesk_enrol"}
# The allowed answer of these is a redirect to a login page.
ENDS_THE_SESSION = {"auth.logout", "portal.sign_out"}


# --- The world ----------------------------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, object]
    staff: dict[str, int]
    tokens: dict[str, str]
    secrets: tuple[str, ...]  # text of A's objects no refused caller may see


def _build(app: Flask, make: Builders, today: date) -> World:
    staff = {
        name: make.user(role, branch, email=f"{name}@example.org")
        for name, (role, branch) in STAFF.items()
    }
    victim = make.user(Role.TRAINER, A, email="victim@example.org")
    session_id = make.session(today, time(0), time(23, 59), trainer_id=staff["trainer_a"])
    annelies = make.participant(
        A, name="Annelies Vertrouwelijk", email=PORTAL["participant_a"],
        national_number="85.07.30-033.28",
    )  # fmt: skip
    bert = make.participant(B, name="Bert Brugs", email=PORTAL["participant_b"])
    make.enrol(session_id, annelies)
    other_session = make.session(today, time(0), time(23, 59), branch=B)
    make.enrol(other_session, bert)
    elearning = elearning_training(app, make, today, [annelies], branch=A, code="EL-A")
    elearning_b = elearning_training(app, make, today, [bert], branch=B, code="EL-B")
    supervisor = link_supervisor(app, annelies, "Sara Baas", PORTAL["supervisor_a"])
    link_supervisor(app, bert, "Karel Chef", PORTAL["supervisor_b"])
    report_id = report(app, elearning, annelies)
    report(app, elearning_b, bert)
    tokens = {name: make.token(user_id) for name, user_id in staff.items()}
    with app.app_context():
        from app.attendance.operations import _store_document, add_exemption, upload_folder
        from app.security import encrypt_secret

        session = db.session.get(Session, session_id)
        training_id, project_id = session.training_id, session.training.project_id
        branch_a = db.session.scalars(select(BranchModel).where(BranchModel.name == A)).one()
        enrolment = db.session.scalars(
            select(TrainingEnrolment).where(
                TrainingEnrolment.training_id == training_id,
                TrainingEnrolment.participant_id == annelies,
            )
        ).one()
        exemption = add_exemption(Actor(None), enrolment, None, 60, "EVC")
        justification = Justification(
            participant_id=annelies, kind=JustificationKind.DOCTOR, handed_in_on=today
        )
        _store_document(justification, "brief.pdf", b"%PDF-1.4 annelies")
        justification.sessions = [session]
        db.session.add(justification)
        folder = upload_folder()
        (folder / "request.pdf").write_bytes(b"%PDF-1.4 request")
        request = JustificationRequest(
            participant_id=annelies, kind=JustificationKind.DOCTOR, handed_in_on=today,
            document_path="request.pdf", document_name="request.pdf",
            document_type="application/pdf",
        )  # fmt: skip
        request.sessions = [session]
        db.session.add(request)
        certificate = Certificate(
            kind=CertificateKind.ATTENDANCE, training_id=training_id, participant_id=annelies,
            figures={}, pdf=b"%PDF-1.4 certificate", issued_at=datetime.now(UTC) - timedelta(days=30),
        )  # fmt: skip
        db.session.add(certificate)
        connection = ExchangeConnection(
            branch_id=branch_a.id, name="Smartschool Gent", url="https://school.example.org/hook",
            secret_encrypted=encrypt_secret("s" * 32), secret_last4="ssss",
        )  # fmt: skip
        db.session.add(connection)
        db.session.flush()
        event = ExchangeEvent(
            connection_id=connection.id, direction="out", event_id="evt-1", participant_id=annelies,
            session_id=session_id, day=today, part="am", state="present", code="P",
            registered_at=EVENING,
        )  # fmt: skip
        from io import BytesIO

        from PIL import Image

        from app.admin.operations import set_stamp

        png = BytesIO()
        Image.new("RGB", (40, 40), "blue").save(png, "PNG")
        from app.models import Organisation

        db.session.add(Organisation(name="Vormingscentrum"))
        db.session.flush()
        set_stamp(Actor(None), png.getvalue(), datetime.now(UTC))
        closure = ClosureDay(day=date(today.year + 1, 12, 24), label="Kerstverlof")
        # the API's own, so that removing it does not depend on the web's removal
        api_closure = ClosureDay(day=date(today.year + 1, 12, 31), label="Oudejaar")
        db.session.add_all([event, closure, api_closure])
        from app.auth.operations import issue_token
        from app.models import User

        issue_token(Actor(None), db.session.get(User, staff["promotor_a"]), "victim")
        db.session.flush()
        victim_token = db.session.scalars(
            select(ApiToken.id).where(ApiToken.label == "victim")
        ).one()
        mail = db.session.scalars(
            select(OutboxMail.id).where(OutboxMail.participant_id == annelies)
        ).first()
        ids = {
            "project_id": project_id, "training_id": training_id, "session_id": session_id,
            "participant_id": annelies, "user_id": victim, "branch_id": branch_a.id,
            "closure_id": closure.id, "api_closure_id": api_closure.id, "connection_id": connection.id, "event_id": event.id,
            "mail_id": mail, "certificate_id": certificate.id, "exemption_id": exemption.id,
            "justification_id": justification.id, "request_id": request.id,
            "token_id": victim_token, "report_id": report_id, "supervisor_id": supervisor,
            "index": 0, "active": 1, "code": "en", "token": "x" * 43, "fmt": "csv",
            "filename": "style.css",
        }  # fmt: skip
        assert all(value is not None for value in ids.values()), ids
        db.session.commit()
    # A mail with a one-time link (only those can be sent again): asked on the portal's page,
    # made by the worker as in production.
    app.test_client().post("/portal/sign-in", data={"email": "annelies@example.org"})
    with app.app_context():
        from app.jobs.runner import run_due
        from app.mail import outbox

        run_due("matrix", outbox.MAKERS, job_run(app), 50)
        db.session.commit()
        ids["renewable_mail_id"] = db.session.scalars(
            select(OutboxMail.id).where(OutboxMail.purpose == "portal_sign_in")
        ).one()
    return World(
        ids=ids,
        staff=staff,
        tokens=tokens,
        secrets=(
            "Vertrouwelijk",
            "annelies@example.org",
            "Sara Baas",
            "Smartschool Gent",
            "85073003328",
            "85.07.30-033.28",
        ),
    )


# --- Asking ------------------------------------------------------------------------------------


# Not a network /metrics answers (METRICS_ALLOW is the loopback by default).
OUTSIDE_ADDRESS = "198.51.100.7"


def _clients(app: Flask, world: World) -> dict[str, object]:
    clients: dict[str, object] = {"anonymous": app.test_client()}
    for name in STAFF:
        client = app.test_client()
        # Before logging in: the login session is bound to the address (session protection).
        client.environ_base["REMOTE_ADDR"] = OUTSIDE_ADDRESS
        response = client.post(
            "/login", data={"email": f"{name}@example.org", "password": PASSWORD}
        )
        assert response.status_code == 302 and "/login" not in response.headers["Location"]
        clients[name] = client
    for name, email in PORTAL.items():
        clients[name] = portal_client(app, email)
    for client in clients.values():
        client.environ_base["REMOTE_ADDR"] = OUTSIDE_ADDRESS
    return clients


# Routes that take an object of a particular kind where the rule's argument is generic.
ID_OVERRIDES = {
    "admin.outbox_renew": {"mail_id": "renewable_mail_id"},
    "api.delete_closure_day": {"closure_id": "api_closure_id"},
}


def _url(app: Flask, rule, ids: dict[str, object]) -> str:  # type: ignore[no-untyped-def]
    names = ID_OVERRIDES.get(rule.endpoint, {})
    with app.test_request_context():
        return url_for(rule.endpoint, **{arg: ids[names.get(arg, arg)] for arg in rule.arguments})


def _requests(app: Flask, ids: dict[str, object]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route and method; what ends a session goes last."""
    asked = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            asked.append((rule.endpoint, method, _url(app, rule, ids)))
    last = ("auth.logout", "portal.sign_out")
    return sorted(
        asked,
        key=lambda r: (
            r[0] in last,
            CHANGES_THE_WORLD.index(r[0]) if r[0] in CHANGES_THE_WORLD else -1,
            r[1] != "GET",
            r[0],
            r[2],
        ),
    )


# What takes A's participant out of A's session or training, ends the session or takes its
# trainer away: asked after
# everything else, in this order, so that no other answer depends on the order of asking.
CHANGES_THE_WORLD = (
    "api.close_session", "api.unenrol_session", "api.unenrol_training", "api.cancel_session",
    "api.delete_closure_day",
    # an empty form keeps the training's stored values but not its trainers
    "planning.edit_training",
)  # fmt: skip


LOGIN_PAGES = ("/login", "/portal/sign-in")


def _to_login(response) -> bool:  # type: ignore[no-untyped-def]
    location = response.headers.get("Location", "")
    return response.status_code in (301, 302, 303) and any(
        location.split("?")[0].endswith(page) for page in LOGIN_PAGES
    )


@dataclass
class Multipart:
    """An API body sent as multipart/form-data (an upload) instead of JSON."""

    fields: dict[str, object]


def _ask(client, method: str, url: str, token: str | None = None, body: object = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(url, headers=headers)
    if isinstance(body, Multipart):
        return client.open(
            url, method=method, data=dict(body.fields), content_type="multipart/form-data",
            headers=headers,
        )  # fmt: skip
    if url.startswith("/api/"):
        return client.open(
            url, method=method, json=body if body is not None else {}, headers=headers
        )
    return client.open(url, method=method, data={}, headers=headers)


def _observe(
    app: Flask, world: World, bodies: dict[str, object]
) -> dict[tuple[str, str, str], tuple[int, str, str]]:
    """Every (endpoint, method, caller) with its (status, redirect target, body)."""
    clients = _clients(app, world)
    seen = {}
    for endpoint, method, url in _requests(app, world.ids):
        for caller in CALLERS:
            if url.startswith("/api/"):
                if caller in PORTAL:
                    continue
                client = app.test_client()
                client.environ_base["REMOTE_ADDR"] = OUTSIDE_ADDRESS
                response = _ask(client, method, url, world.tokens.get(caller), bodies.get(endpoint))
            else:
                response = _ask(clients[caller], method, url)
                if response.status_code in (301, 302, 303) and not _to_login(response):
                    # What a redirect flashed is the caller's own (a name they may see); it
                    # would show on their next page, whatever that page is.
                    with clients[caller].session_transaction() as session:
                        session.pop("_flashes", None)
            body = (
                response.get_data(as_text=True)
                if response.mimetype.startswith(("text/", "application/json"))
                else ""
            )
            seen[(endpoint, method, caller)] = (
                response.status_code,
                response.headers.get("Location", ""),
                body,
            )
    return seen


def _api_bodies(ids: dict[str, object], today: date) -> dict[str, object]:
    """A body per API POST, so that a refusal says who may, not that the body was empty."""
    return {
        "api.create_project": {"name": "Excel", "number": "ESF-matrix"},
        "api.create_training": {"project_id": ids["project_id"], "name": "Excel 2"},
        "api.create_session": {"training_id": ids["training_id"], "date": today.isoformat(),
                               "start": "10:00", "end": "11:00"},
        "api.create_participant": {"name": "Nieuw", "email": "nieuw@example.org"},
        "api.create_supervisor": {"name": "Chef", "email": "chef@example.org"},
        "api.link_supervisor": {"participant_ids": [ids["participant_id"]]},
        "api.enrol": {"participant_id": ids["participant_id"]},
        "api.scan": {"session_id": ids["session_id"], "code": "AZ1.x", "nonce": "matrix"},
        "api.late_arrival": {"participant_id": ids["participant_id"], "time": "10:00"},
        "api.early_departure": {"participant_id": ids["participant_id"], "time": "11:00"},
        "api.resolve_incomplete": {"participant_id": ids["participant_id"], "time": "11:00",
                                   "reason": "matrix"},
        "api.roll_call": {"marks": []},
        "api.enrol_training": {"participant_id": ids["participant_id"]},
        "api.create_exemption": {"participant_id": ids["participant_id"], "minutes": 1},
        "api.reject_justification_request": {"reason": "matrix"},
        "api.reject_self_report": {"reason": "matrix"},
        "api.create_justification": Multipart({
            "participant_id": str(ids["participant_id"]), "session_ids": str(ids["session_id"]),
            "kind": "doctor", "handed_in": today.isoformat(), "note": "matrix",
        }),
        # refused for those allowed (already issued, a changed due list, already a closure
        # day, the same record twice), so that the world stays as it is; a correction is made
        "api.issue": {"participant_id": ids["participant_id"], "kind": "attendance"},
        "api.issue_due": {"expected": 1000000},
        "api.correct": {"reason": "matrix"},
        "api.create_closure_days": {"day": date(today.year + 1, 12, 24).isoformat()},
        "api.merge_participants": {"duplicate_id": ids["participant_id"]},
    }  # fmt: skip


def _class_of(endpoint: str, method: str) -> str | None:
    return ACCESS.get(f"{endpoint} {method}", ACCESS.get(endpoint))


def _check(endpoint, method, caller, status, location, body, world) -> str | None:  # type: ignore[no-untyped-def]
    """What is wrong with this answer, or None."""
    api = endpoint.startswith(("api.", "devices."))
    kind = _class_of(endpoint, method)
    allowed = (API_CLASSES if api else CLASSES)[kind]
    to_login = status in (301, 302, 303) and location.split("?")[0].endswith(LOGIN_PAGES)
    if status >= 500 and not (endpoint == "health.readyz" and status == 503):
        return "server error"
    if caller in allowed:
        if kind == "public":
            return None
        if endpoint in ENDS_THE_SESSION:
            return None if status == 302 else "not signed out"
        if to_login or status in (401, 403):
            return "refused an allowed caller"
        if status == 404 and not (method == "POST" and endpoint in EMPTY_POST_NOT_FOUND):
            return "refused an allowed caller"
        if method == "GET" and not (200 <= status < 400):
            return "no answer for an allowed caller"
    else:
        if not (to_login or status in (401, 403, 404)):
            return "answered a caller who may not"
        if any(secret in body for secret in world.secrets):
            return "refusal shows the object's data"
    # Another branch's staff and the other portal users never see A's data, allowed or not.
    if caller in OUTSIDE_A and any(secret in body for secret in world.secrets):
        return "another branch sees A's data"
    return None


OUTSIDE_A = {"support_b", "promotor_b", "trainer_b", "frontdesk_b", "participant_b",
             "supervisor_b", "anonymous"}  # fmt: skip


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unclassified = sorted(
        f"{rule.endpoint} {method}"
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if _class_of(rule.endpoint, method) is None
    )
    assert not unclassified, f"classify these routes in ACCESS: {unclassified}"
    stale = sorted(k for k in ACCESS if k.split()[0] not in endpoints)
    assert not stale, f"ACCESS names routes that no longer exist: {stale}"
    for name, kind in ACCESS.items():
        api = name.startswith(("api.", "devices."))
        assert kind in (API_CLASSES if api else CLASSES), (name, kind)


def test_every_caller_gets_what_their_role_allows_on_every_route(app, make, today):
    world = _build(app, make, today)
    seen = _observe(app, world, _api_bodies(world.ids, today))
    problems = [
        f"{endpoint} {method} as {caller}: {problem} ({status} {location})"
        for (endpoint, method, caller), (status, location, body) in sorted(seen.items())
        if _class_of(endpoint, method) is not None
        and (problem := _check(endpoint, method, caller, status, location, body, world))
    ]
    assert not problems, "\n".join(problems)
    # The API takes no browser cookie as a credential: logged in, but no token, is a 401.
    browser = app.test_client()
    browser.post("/login", data={"email": "support_central@example.org", "password": PASSWORD})
    assert browser.get(f"/participants/{world.ids['participant_id']}").status_code == 200
    assert browser.get(f"/api/v1/participants/{world.ids['participant_id']}").status_code == 401


def test_a_branch_support_cannot_rename_another_branch(app, make):
    make.user(Role.ADMIN, B, email="support_b@example.org")
    with app.app_context():
        from app.auth.operations import get_or_create_branch

        gent = get_or_create_branch(A)
        db.session.commit()
        gent_id = gent.id
    client = app.test_client()
    client.post("/login", data={"email": "support_b@example.org", "password": PASSWORD})
    response = client.post(f"/admin/branches/{gent_id}", data={f"branch{gent_id}-name": "Oost"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(BranchModel, gent_id).name == A
