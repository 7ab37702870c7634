"""A participant sends a document for an absence from the portal: the same types, size limit and
14-day rule as the promotor's form; it counts only once the promotor accepts it, and the
participant reads the outcome and the reason (both audited)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditRecord, Justification, JustificationRequest, Role
from tests.helpers.portal import PDF, held_session, portal_client, send


def test_a_document_waits_until_the_promotor_accepts_it(app, make, today, auth):
    session_id, _person = held_session(app, make, today)
    portal = portal_client(app, "an@example.org")
    assert "Je document is verstuurd" in send(portal, session_id).get_data(as_text=True)
    with app.app_context():
        request = db.session.scalars(select(JustificationRequest)).one()
        assert request.state.value == "waiting" and request.handed_in_on == today
        assert db.session.scalars(select(Justification)).all() == []
    promotor = auth.as_role(Role.PROMOTOR)
    inbox = promotor.get("/from-participants").get_data(as_text=True)
    assert "An Peeters" in inbox and "briefje.pdf" in inbox
    document = promotor.get(f"/from-participants/documents/{request.id}")
    assert document.data == PDF and document.mimetype == "application/pdf"
    assert promotor.post(f"/from-participants/documents/{request.id}/accept").status_code == 302
    with app.app_context():
        [justification] = db.session.scalars(select(Justification)).all()
        assert [s.id for s in justification.sessions] == [session_id]
        assert (
            justification.handed_in_on == today and justification.document_type == "application/pdf"
        )
        actions = db.session.scalars(select(AuditRecord.action)).all()
        assert "justification_request.create" in actions
        assert "justification_request.accept" in actions
    page = portal.get("/portal/absences").get_data(as_text=True)
    assert "aanvaard" in page


def test_a_rejected_document_tells_the_participant_why(app, make, today, auth):
    session_id, _person = held_session(app, make, today)
    portal = portal_client(app, "an@example.org")
    send(portal, session_id)
    promotor = auth.as_role(Role.PROMOTOR)
    with app.app_context():
        request_id = db.session.scalars(select(JustificationRequest.id)).one()
    refused = promotor.post(f"/from-participants/documents/{request_id}/reject")
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.get(JustificationRequest, request_id).state.value == "waiting"
    promotor.post(
        f"/from-participants/documents/{request_id}/reject",
        data={"reject-reason": "Geen datum op het attest"},
    )
    with app.app_context():
        assert db.session.get(JustificationRequest, request_id).state.value == "rejected"
        assert db.session.scalars(select(Justification)).all() == []
        assert (
            "justification_request.reject" in db.session.scalars(select(AuditRecord.action)).all()
        )
    page = portal.get("/portal/absences").get_data(as_text=True)
    assert "afgekeurd" in page or "geweigerd" in page
    assert "Geen datum op het attest" in page


def test_the_same_types_size_and_deadline_as_the_promotors_form(app, make, today, monkeypatch):
    session_id, person = held_session(app, make, today)
    portal = portal_client(app, "an@example.org")
    html = send(portal, session_id, b"<html>not a document</html>", "brief.html")
    assert html.status_code == 200 and "PDF, PNG of JPEG" in html.get_data(as_text=True)
    # The promotor's limit, made small here: a 5 MB body would be spooled to a file by the
    # test client, which closes it only when following a redirect.
    from app.attendance import operations

    monkeypatch.setattr(operations, "MAX_DOCUMENT_BYTES", len(PDF) + 10)
    big = send(portal, session_id, PDF + b"x" * 11)
    assert "5 MB" in big.get_data(as_text=True)
    old, _ = held_session(app, make, today, days_ago=15, person=person)
    late = send(portal, old)
    assert late.status_code == 200  # not offered: outside the 14 days
    with app.app_context():
        assert db.session.scalars(select(JustificationRequest)).all() == []


def test_another_branch_cannot_decide_or_read_the_document(app, make, today, auth):
    session_id, _person = held_session(app, make, today)
    send(portal_client(app, "an@example.org"), session_id)
    with app.app_context():
        request_id = db.session.scalars(select(JustificationRequest.id)).one()
    other = auth.as_role(Role.PROMOTOR, branch="Brugge")
    assert other.get(f"/from-participants/documents/{request_id}").status_code == 404
    assert other.post(f"/from-participants/documents/{request_id}/accept").status_code == 404
