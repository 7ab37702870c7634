"""Issue 20, "layouts that fit": on a phone (390 px) no page is wider than the screen (a wide
table scrolls inside its own box) and no word, number or date is cut in two; on a laptop
(1366 px) no word, number or date wraps inside itself either ("Uitre/iken", "15/12/20/26")."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Branch, ExchangeConnection, ExchangeEvent, Role, Training
from tests.helpers.browser import log_in
from tests.helpers.courses import MONDAYS, build_course
from tests.helpers.portal import elearning_training, link_supervisor, portal_client, report
from tests.helpers.web import PAST

# Every run of letters or digits, and the dates, times and decimal numbers people read as one:
# none may be spread over two lines. Code blocks, tokens and form fields are left out.
BROKEN_TOKENS = """() => {
  const pattern = /\\d{2}\\/\\d{2}\\/\\d{4}|\\d{1,2}:\\d{2}|\\d+,\\d+|[\\p{L}\\p{N}]+/gu;
  const skip = "code, pre, textarea, input, select, option, script, style, .token, [hidden]";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const broken = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.getClientRects().length) continue;
    for (const match of node.data.matchAll(pattern)) {
      if (match[0].length < 3) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0] + " in <" + parent.tagName.toLowerCase() + " class=" + parent.className + ">");
    }
  }
  return broken;
}"""
PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def everything(app, make, today):  # type: ignore[no-untyped-def]
    """Data on every page: a course with certificates due, long names and addresses, an
    exchange connection with a waiting event, e-learning hours, a submission period."""
    course = build_course(app, make)
    for n in range(3):
        make.participant(
            name=f"Anna-Lena Vandenbroucke-Van Der Stichelen {n}",
            email=f"anna-lena.vandenbroucke-vanderstichelen{n}@voorbeeldorganisatie.be",
        )
    make.user(Role.ADMIN, None, email="support@example.org")
    el = make.participant(name="Els Wouters", email="els@voorbeeld.be")
    elearning = elearning_training(app, make, date(2026, 1, 5), [el], code="EL-LAYOUT")
    link_supervisor(app, el, "Sara Baas", "sara@voorbeeld.be")
    report(app, elearning, el, start=time(9), end=time(10, 30))
    with app.app_context():
        training = db.session.get(Training, course["training"])
        project_id = training.project_id
        gent = db.session.scalar(select(Branch.id).where(Branch.name == "Gent"))
        connection = ExchangeConnection(
            branch_id=gent, name="Informat", url="https://informat.example/aanwezig",
            secret_encrypted=b"x", secret_last4="abcd", events=["registration"],
            identifier="email", national_number_allowed=False,
            mapping={"present": "|"}, split_at=time(12), active=True,
        )  # fmt: skip
        db.session.add(connection)
        db.session.flush()
        db.session.add(
            ExchangeEvent(
                connection_id=connection.id, direction="out", event_id="e-1",
                session_id=course["sessions"][0], participant_id=course["anais"], day=PAST,
                part="am", state="late", code="L", remark="te laat, trein",
                registered_at=PAST_AT, payload={"x": 1}, attempts=3,
                last_error="waiting for an earlier event of this participant: "
                "peer unreachable: ConnectionError",
            )
        )  # fmt: skip
        db.session.commit()
        connection_id = connection.id
    session_id = course["sessions"][0]
    staff = [
        "/", "/archive", "/projects", f"/projects/{project_id}",
        f"/trainings/{course['training']}", f"/trainings/{course['training']}/series",
        f"/sessions/{session_id}", f"/sessions/{session_id}/roll-call",
        "/participants/", f"/participants/{course['ben']}",
        f"/trainings/{course['training']}/attendance",
        f"/trainings/{course['training']}/participants/{course['ben']}",
        f"/trainings/{course['training']}/certificates",
        f"/projects/{project_id}/submission?start={MONDAYS[0]}&end={MONDAYS[-1]}",
        f"/trainings/{elearning}/self-reports", "/from-participants",
        "/admin/users", "/admin/outbox", "/admin/closure-days", f"/admin/exchange/{connection_id}",
        "/frontdesk", "/tokens",
    ]  # fmt: skip
    portal = ["/portal/", "/portal/sessions", "/portal/hours"]
    return {"staff": staff, "portal": portal, "portal_email": "els@voorbeeld.be"}


PAST_AT = __import__("datetime").datetime(2026, 1, 5, 9, 30, tzinfo=__import__("datetime").UTC)


def _portal_cookie(app, page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    client = portal_client(app, email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    page.context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])


def _measure(page, live_server: str, paths: list[str], width: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": width, "height": 900})
    problems: dict[str, object] = {}
    for path in paths:
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        scroll, inner = page.evaluate(PAGE_WIDTH)
        broken = page.evaluate(BROKEN_TOKENS)
        found = []
        if scroll > inner:
            found.append(f"page {scroll} px wide on a {inner} px screen")
        if broken:
            found.append(broken[:8])
        if found:
            problems[path] = found
    return problems


def test_every_page_fits_a_phone_and_nothing_breaks_inside_a_word(
    page, live_server, app, everything
):
    log_in(page, live_server, "support@example.org")
    assert _measure(page, live_server, everything["staff"], 390) == {}


def test_on_a_laptop_no_date_number_or_word_wraps_inside_itself(page, live_server, app, everything):
    log_in(page, live_server, "support@example.org")
    assert _measure(page, live_server, everything["staff"], 1366) == {}


def test_the_portal_fits_a_phone(page, live_server, app, everything):
    _portal_cookie(app, page, live_server, everything["portal_email"])
    assert _measure(page, live_server, everything["portal"], 390) == {}


SELECT_FITS = """() => [...document.querySelectorAll("select")].filter(s => s.getClientRects().length).map(s => {
  const canvas = document.createElement("canvas").getContext("2d");
  const style = getComputedStyle(s);
  canvas.font = style.font;
  const longest = Math.max(...[...s.options].map(o => canvas.measureText(o.text).width));
  const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
  return [s.id, Math.round(longest), Math.round(room)];
}).filter(([id, longest, room]) => longest > room)"""


def test_the_forms_fit_their_choices_and_a_session_list_shows_times(
    page, live_server, app, make, everything
):
    """The hours method's choices are read whole; the weekday picker (seven days) has no
    filter box; sessions sharing a day are told apart by their times."""
    from app.models import TrainingEnrolment  # noqa: F401

    log_in(page, live_server, "support@example.org")
    with app.app_context():
        training = db.session.scalars(select(Training).order_by(Training.id)).first()
        project_id, training_id = training.project_id, training.id
    # Two sessions on one day for Ben: the justification's list names both with their times.
    second = make.session(MONDAYS[0], time(13), time(16), training_id=training_id)
    with app.app_context():
        from app.models import Participant

        ben = (
            db.session.scalars(select(Participant).where(Participant.name == "Ben Peeters"))
            .one()
            .id
        )
    make.enrol(second, ben)
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        for path in (f"/projects/{project_id}", f"/trainings/{training_id}"):
            page.goto(f"{live_server}{path}")
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            assert page.evaluate(SELECT_FITS) == [], (path, width)
    page.goto(f"{live_server}/trainings/{training_id}/series")
    assert page.locator(".checklist-filter").count() == 0
    page.goto(f"{live_server}/trainings/{training_id}/participants/{ben}")
    labels = page.locator("#justify-sessions option").all_inner_texts()
    assert "05/01/2026 09:00–12:30" in labels and "05/01/2026 13:00–16:00" in labels
