"""Planning pages: projects, trainings, sessions, the session page with its roster, the archive."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from app import scoping
from app.clock import now as _now
from app.domain.cutoff import registration_deadline, scan_opens
from app.domain.limits import day_in_range
from app.errors import Refusal
from app.extensions import db
from app.forms import ConfirmForm
from app.models import (
    AuditRecord,
    Enrolment,
    Participant,
    PartnerOrganisation,
    Project,
    Role,
    Session,
    Training,
    TrainingEnrolment,
    TrainingMode,
    User,
)
from app.models.org import partner_branches
from app.participants import operations as people
from app.planning import bp
from app.planning import operations as planning
from app.planning.forms import (
    CancelForm,
    EnrolForm,
    ProjectForm,
    ReopenForm,
    SeriesForm,
    SessionEditForm,
    SessionForm,
    TrainingDetailsForm,
    TrainingEditForm,
    TrainingForm,
)
from app.scanning.refused import counts_for_session
from app.scanning.roster import roster
from app.settings import settings
from app.timing import closure_days, is_locked, session_times, status_of
from app.views import actor, branch_choices, choices, refusals_shown
from app.web import BRUSSELS

PAST_ON_HOME = 10
ARCHIVE_PAGE_SIZE = 50
ARCHIVE_FILTERS = ("reopened", "unsubmitted")


def _today(now: datetime) -> date:
    return now.astimezone(BRUSSELS).date()


def _can_plan() -> bool:
    return current_user.role in scoping.PLANNERS


def _with_status(sessions, now: datetime):  # type: ignore[no-untyped-def]
    return [(s, status_of(s, now)) for s in sessions]


def _listed(query):  # type: ignore[no-untyped-def]
    """A scoped session query with what the session tables show of each: its training (joined
    by the scope already) and its trainer, loaded with the list, not one query per row."""
    return query.options(contains_eager(Session.training), selectinload(Session.trainer))


# --- Home and archive ------------------------------------------------------------------------


@bp.get("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    """Sessions in scope: today's first, then upcoming, then the most recent past ones; or
    with ``?month=YYYY-MM`` every session of that month (the trainer's month view)."""
    now = _now()
    today = _today(now)
    scope = _listed(scoping.sessions(current_user))
    if "month" in request.args:
        return _month_page(scope, request.args.get("month", ""), today, now)
    todays = db.session.scalars(scope.where(Session.day == today).order_by(Session.start)).all()
    upcoming = db.session.scalars(
        scope.where(Session.day > today).order_by(Session.day, Session.start)
    ).all()
    past = db.session.scalars(
        scope.where(Session.day < today)
        .order_by(Session.day.desc(), Session.start.desc())
        .limit(PAST_ON_HOME + 1)
    ).all()
    return render_template(
        "planning/home.html",
        today=_with_status(todays, now),
        upcoming=_with_status(upcoming, now),
        past=_with_status(past[:PAST_ON_HOME], now),
        more_past=len(past) > PAST_ON_HOME,
        is_trainer=current_user.role == Role.TRAINER,
    )


def _month_page(scope, asked: str, today: date, now: datetime):  # type: ignore[no-untyped-def]
    try:
        first = date.fromisoformat(f"{asked}-01") if asked else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    if not day_in_range(first):
        first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    sessions = db.session.scalars(
        scope.where(Session.day >= first, Session.day < following).order_by(
            Session.day, Session.start
        )
    ).all()
    return render_template(
        "planning/month.html",
        first=first,
        sessions=_with_status(sessions, now),
        previous=previous.strftime("%Y-%m") if day_in_range(previous) else None,
        following=following.strftime("%Y-%m") if day_in_range(following) else None,
        is_trainer=current_user.role == Role.TRAINER,
    )


@bp.get("/archive")
@login_required
def archive():  # type: ignore[no-untyped-def]
    """Past sessions with their status, newest first; filter on reopened or not yet submitted."""
    now = _now()
    chosen = request.args.get("filter", "")
    if chosen not in ARCHIVE_FILTERS:
        chosen = ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = scoping.sessions(current_user).where(Session.day < _today(now))
    if chosen == "reopened":
        query = query.where(Session.was_reopened.is_(True))
    elif chosen == "unsubmitted":
        query = query.where(Session.submitted_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + ARCHIVE_PAGE_SIZE - 1) // ARCHIVE_PAGE_SIZE, 1)
    page = min(page, pages)
    rows = db.session.scalars(
        _listed(query)
        .order_by(Session.day.desc(), Session.start.desc(), Session.id.desc())
        .offset((page - 1) * ARCHIVE_PAGE_SIZE)
        .limit(ARCHIVE_PAGE_SIZE)
    ).all()
    return render_template(
        "planning/archive.html",
        rows=_with_status(rows, now),
        chosen=chosen,
        page=page,
        pages=pages,
        total=total,
    )


# --- Projects ---------------------------------------------------------------------------------


@bp.route("/projects", methods=["GET", "POST"])
@login_required
def projects():  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    form = ProjectForm()
    form.branch.choices = choices(branch_choices(current_user))
    if form.validate_on_submit():
        with refusals_shown(form, "branch"):
            project = planning.create_project(
                actor(), form.name.data.strip(), form.number.data.strip(), form.branch.data
            )
            flash(_("Project created."), "success")
            return redirect(url_for("planning.project", project_id=project.id))
    items = db.session.scalars(
        scoping.projects(current_user)
        .options(selectinload(Project.branch))
        .order_by(Project.name, Project.id)
    ).all()
    training_counts = dict(
        db.session.execute(
            select(Training.project_id, func.count())
            .where(Training.project_id.in_([p.id for p in items]))
            .group_by(Training.project_id)
        ).all()
    )
    return render_template(
        "planning/projects.html", projects=items, training_counts=training_counts, form=form
    )


def _trainer_choices(branch_id: int | None) -> list[tuple[int, str]]:
    """Active trainers who may teach for the branch: internal ones of the branch (or of every
    branch), and external ones whose partner organisation works for it."""
    query = (
        select(User, PartnerOrganisation.name)
        .outerjoin(PartnerOrganisation, User.partner_id == PartnerOrganisation.id)
        .where(User.active.is_(True), User.role == Role.TRAINER)
    )
    if branch_id is not None:
        works_for = select(partner_branches.c.partner_id).where(
            partner_branches.c.branch_id == branch_id
        )
        internal = User.partner_id.is_(None) & (
            (User.branch_id == branch_id) | User.branch_id.is_(None)
        )
        query = query.where(internal | User.partner_id.in_(works_for))
    return [
        (u.id, (f"{u.name} ({u.email})" if u.name else u.email) + (f" · {p}" if p else ""))
        for u, p in db.session.execute(query.order_by(User.name, User.email))
    ]


@bp.route("/projects/<int:project_id>", methods=["GET", "POST"])
@login_required
def project(project_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    project = scoping.get_one(scoping.projects(current_user), Project, project_id, "project")
    form = TrainingForm()
    form.trainers.choices = choices(_trainer_choices(project.branch_id))
    if form.validate_on_submit():
        trainers = list(
            db.session.scalars(select(User).where(User.id.in_(form.trainers.data or [])))
        )
        with refusals_shown(form):
            training = planning.create_training(
                actor(),
                project,
                form.name.data.strip(),
                (form.code.data or "").strip(),
                TrainingMode(form.mode.data),
                trainers,
            )
            planning.set_training_details(actor(), training, **form.details())
            flash(_("Training created."), "success")
            return redirect(url_for("planning.training", training_id=training.id))
    return _project_page(project, form)


def _project_page(project: Project, form: TrainingForm, edit_form: ProjectForm | None = None):  # type: ignore[no-untyped-def]
    form.trainers.choices = choices(_trainer_choices(project.branch_id))
    if edit_form is None:
        edit_form = ProjectForm(prefix="edit", obj=project)
        edit_form.branch.choices = choices(branch_choices(current_user))
        edit_form.branch.data = project.branch.name
    trainings = db.session.scalars(
        scoping.trainings(current_user)
        .where(Training.project_id == project.id)
        .options(selectinload(Training.trainers))
        .order_by(Training.name)
    ).all()
    session_counts = dict(
        db.session.execute(
            select(Session.training_id, func.count())
            .where(Session.training_id.in_([t.id for t in trainings]))
            .group_by(Session.training_id)
        ).all()
    )
    return render_template(
        "planning/project.html",
        project=project,
        trainings=trainings,
        session_counts=session_counts,
        form=form,
        edit_form=edit_form,
    )


# --- Trainings --------------------------------------------------------------------------------


def _training(training_id: int) -> Training:
    return scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")


def _participant_choices(
    branch_id: int, leave_out: set[int] | None = None
) -> list[tuple[int, str]]:
    """Participants of the branch in the user's scope, by name (minus ``leave_out``)."""
    query = scoping.participants(current_user).where(
        Participant.branch_id == branch_id, Participant.ended_at.is_(None)
    )
    return [
        (p.id, f"{p.name} ({p.email})")
        for p in db.session.scalars(query.order_by(Participant.name, Participant.id))
        if not leave_out or p.id not in leave_out
    ]


def _session_form(training: Training) -> SessionForm:
    form = SessionForm()
    form.trainer.choices = choices(
        [(0, _("(no trainer yet)")), *_trainer_choices(training.project.branch_id)]
    )
    return form


def _enrol_form(branch_id: int, leave_out: set[int] | None = None) -> EnrolForm:
    form = EnrolForm(prefix="enrol")
    form.participants.choices = choices(_participant_choices(branch_id, leave_out))
    return form


def _enrolled_counts(session_ids: list[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    return dict(
        db.session.execute(
            select(Enrolment.session_id, func.count())
            .where(Enrolment.session_id.in_(session_ids))
            .group_by(Enrolment.session_id)
        ).all()
    )


def _details_form(training: Training) -> TrainingDetailsForm:
    form = TrainingDetailsForm(prefix="details", obj=training)
    if not form.is_submitted():
        form.kind.data = training.kind.value
    return form


def _training_page(
    training: Training,
    form: SessionForm | None = None,
    enrol_form: EnrolForm | None = None,
    details_form: TrainingDetailsForm | None = None,
    edit_form: TrainingEditForm | None = None,
):  # type: ignore[no-untyped-def]
    now = _now()
    sessions = db.session.scalars(
        _listed(scoping.sessions(current_user))
        .where(Session.training_id == training.id)
        .order_by(Session.day, Session.start)
    ).all()
    branch_id = training.project.branch_id
    return render_template(
        "planning/training.html",
        training=training,
        form=form or _session_form(training),
        enrol_form=enrol_form or _enrol_form(branch_id),
        details_form=details_form or _details_form(training),
        edit_form=edit_form or _training_edit_form(training),
        sessions=_with_status(sessions, now),
        enrolled=_enrolled_counts([s.id for s in sessions]),
        can_plan=_can_plan(),
    )


@bp.route("/trainings/<int:training_id>", methods=["GET", "POST"])
@login_required
def training(training_id: int):  # type: ignore[no-untyped-def]
    training = _training(training_id)
    if request.method == "POST":
        scoping.require_planner(current_user)
    form = _session_form(training)
    if form.validate_on_submit():
        trainer = db.session.get(User, form.trainer.data) if form.trainer.data else None
        if not _trainer_free_or_confirmed(form, trainer):
            return _training_page(training, form=form)
        if not _open_or_confirmed(form):
            return _training_page(training, form=form)
        with refusals_shown(form):
            session = planning.create_session(
                actor(),
                training,
                form.day.data,
                form.start.data,
                form.end.data,
                form.break_start.data,
                form.break_end.data,
                (form.location.data or "").strip(),
                trainer,
            )
            flash(_("Session planned."), "success")
            return redirect(url_for("planning.session_detail", session_id=session.id))
    return _training_page(training, form=form)


def _open_or_confirmed(form: SessionForm) -> bool:
    """A session whose registration deadline has passed is created locked (nobody can register
    in it): said before it is created, with who can reopen it, and planned only on
    confirmation (docs/rules.md, "Locked sessions")."""
    deadline = registration_deadline(form.day.data, closure_days(form.day.data))
    if deadline > _now() or form.confirm_past.data:
        return True
    form.day.errors = [
        *form.day.errors,
        _(
            "Registrations for this day closed on %(deadline)s: the session would be created "
            "locked, and only support can reopen it. Tick the box below to plan it anyway.",
            deadline=deadline.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M"),
        ),
    ]
    form.confirm_past.flags.shown = True
    return False


def _trainer_free_or_confirmed(form: SessionForm, trainer: User | None, leave_out=None) -> bool:  # type: ignore[no-untyped-def]
    """A trainer booked elsewhere at that time is a warning the promotor confirms."""
    clashes = planning.trainer_clashes(
        trainer, form.day.data, form.start.data, form.end.data, leave_out
    )
    if not clashes or form.confirm_trainer.data:
        return True
    other = clashes[0]
    form.trainer.errors = [
        *form.trainer.errors,
        _(
            "%(name)s teaches %(training)s on %(day)s from %(start)s to %(end)s. "
            "Tick the box below to plan this session with them anyway.",
            name=trainer.display_name if trainer else "",
            training=other.training.name,
            day=other.day.strftime("%d/%m/%Y"),
            start=other.start.strftime("%H:%M"),
            end=other.end.strftime("%H:%M"),
        ),
    ]
    form.confirm_trainer.flags.shown = True
    return False


def _training_edit_form(training: Training) -> TrainingEditForm:
    form = TrainingEditForm(prefix="edit", obj=training)
    if not form.is_submitted():
        form.mode.data = training.mode.value
        form.trainers.data = [u.id for u in training.trainers]
    trainers = _trainer_choices(training.project.branch_id)
    known = dict(trainers)
    trainers += [(u.id, u.display_name) for u in training.trainers if u.id not in known]
    form.trainers.choices = choices(trainers)
    return form


@bp.post("/trainings/<int:training_id>/edit")
@login_required
def edit_training(training_id: int):  # type: ignore[no-untyped-def]
    """Rename a training, change its code, form or trainers."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = _training_edit_form(training)
    if form.validate_on_submit():
        trainers = list(
            db.session.scalars(select(User).where(User.id.in_(form.trainers.data or [])))
        )
        with refusals_shown(form):
            planning.update_training(
                actor(),
                training,
                form.name.data.strip(),
                (form.code.data or "").strip(),
                TrainingMode(form.mode.data),
                trainers,
            )
            flash(_("Training changed."), "success")
            return redirect(url_for("planning.training", training_id=training.id))
    return _training_page(training, edit_form=form)


@bp.post("/projects/<int:project_id>/edit")
@login_required
def edit_project(project_id: int):  # type: ignore[no-untyped-def]
    """Rename or renumber a project, or move it to another branch before anything is registered."""
    scoping.require_planner(current_user)
    project = scoping.get_one(scoping.projects(current_user), Project, project_id, "project")
    form = ProjectForm(prefix="edit")
    form.branch.choices = choices(branch_choices(current_user))
    if form.validate_on_submit():
        with refusals_shown(form, "number"):
            planning.update_project(
                actor(), project, form.name.data.strip(), form.number.data.strip(), form.branch.data
            )
            flash(_("Project changed."), "success")
            return redirect(url_for("planning.project", project_id=project.id))
    return _project_page(project, TrainingForm(), edit_form=form)


@bp.route("/trainings/<int:training_id>/series", methods=["GET", "POST"])
@login_required
def series(training_id: int):  # type: ignore[no-untyped-def]
    """Plan a series in one step: the form, a preview of every date, then the confirmation."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = SeriesForm(prefix="series")
    form.trainer.choices = choices(
        [(0, _("(no trainer yet)")), *_trainer_choices(training.project.branch_id)]
    )
    lines = None
    if form.validate_on_submit():
        trainer = db.session.get(User, form.trainer.data) if form.trainer.data else None
        with refusals_shown(form, "first"):
            lines = planning.preview_series(
                training,
                form.first.data,
                form.last.data,
                form.weekdays.data,
                form.start.data,
                form.end.data,
                form.break_start.data,
                form.break_end.data,
                trainer,
                language=str(get_locale() or "nl"),
            )
            if request.form.get("step") == "confirm":
                plannable = {line.day for line in lines if line.overlap is None}
                chosen = [day for day in _iso_days(form.days.data) if day in plannable]
                created = planning.plan_series(
                    actor(),
                    training,
                    chosen,
                    form.start.data,
                    form.end.data,
                    form.break_start.data,
                    form.break_end.data,
                    (form.location.data or "").strip(),
                    trainer,
                )
                enrolled = 0
                if form.enrol_all.data:
                    enrolled = sum(
                        people.enrol_training_participants(actor(), session) for session in created
                    )
                flash(
                    ngettext("%(num)d session planned.", "%(num)d sessions planned.", len(created))
                    + (" " + _("%(n)s enrolments made.", n=enrolled) if enrolled else ""),
                    "success",
                )
                return redirect(url_for("planning.training", training_id=training.id))
    return render_template("planning/series.html", training=training, form=form, lines=lines)


def _iso_days(values: list[str] | None) -> list[date]:
    days = []
    for value in values or []:
        try:
            days.append(date.fromisoformat(value))
        except (TypeError, ValueError):
            continue  # not a date the preview offered: ignored, never planned
    return days


@bp.post("/trainings/<int:training_id>/details")
@login_required
def training_details(training_id: int):  # type: ignore[no-untyped-def]
    """Change the training's certificate data, lesson periods and exam date."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = _details_form(training)
    if not form.validate_on_submit():
        return _training_page(training, details_form=form)
    with refusals_shown(form):
        planning.set_training_details(actor(), training, **form.details())
        flash(_("Training data saved."), "success")
        return redirect(url_for("planning.training", training_id=training.id))
    return _training_page(training, details_form=form)


def _enrolled_text(people: int, sessions: int | None, new: int) -> str:
    """ "1 deelnemer ingeschreven voor 3 sessies (1 nieuwe inschrijving).": each count with
    its own singular or plural."""
    parts = [ngettext("%(num)d participant enrolled", "%(num)d participants enrolled", people)]
    if sessions is not None:
        parts.append(ngettext("in %(num)d session", "in %(num)d sessions", sessions))
    parts.append(ngettext("(%(num)d new enrolment).", "(%(num)d new enrolments).", new))
    return " ".join(parts)


@bp.post("/trainings/<int:training_id>/enrol")
@login_required
def enrol_training(training_id: int):  # type: ignore[no-untyped-def]
    """Enrol participants in every session of a training."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = _enrol_form(training.project.branch_id)
    if not form.validate_on_submit():
        return _training_page(training, enrol_form=form)
    chosen = db.session.scalars(
        scoping.participants(current_user).where(Participant.id.in_(form.participants.data))
    ).all()
    if not training.sessions and training.mode == TrainingMode.ELEARNING:
        # An e-learning training needs no session: its participants report their hours.
        with refusals_shown():
            created = sum(people.enrol_in_elearning(actor(), training, p) for p in chosen)
            flash(_enrolled_text(len(chosen), None, created), "success")
        return redirect(url_for("planning.training", training_id=training.id))
    if not training.sessions:
        flash(_("Plan a session first: this training has no sessions yet."), "error")
        return redirect(url_for("planning.training", training_id=training.id))
    # A cancelled session takes nobody (enrol_all skips it): the count says what was done.
    open_sessions = [s for s in training.sessions if not s.cancelled]
    with refusals_shown():
        created = people.enrol_all(actor(), open_sessions, chosen)
        flash(_enrolled_text(len(chosen), len(open_sessions), created), "success")
    return redirect(url_for("planning.training", training_id=training.id))


# --- Sessions ---------------------------------------------------------------------------------


def _session(session_id: int) -> Session:
    return scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")


def _session_page(
    session: Session,
    enrol_form: EnrolForm | None = None,
    reopen_form: ReopenForm | None = None,
    cancel_form: CancelForm | None = None,
):  # type: ignore[no-untyped-def]
    now = _now()
    times = session_times(session)
    entries = roster(session)
    enrolled = {e.participant.id for e in entries}
    if enrol_form is None and _can_plan():
        enrol_form = _enrol_form(session.training.project.branch_id, leave_out=enrolled)
    return render_template(
        "planning/session.html",
        session=session,
        times=times,
        scan_opens=scan_opens(times.start, settings().scan_early_minutes),
        status=status_of(session, now, times),
        locked=is_locked(session, now, times),
        deadline_passed=now > times.deadline,
        roster=entries,
        present=sum(1 for e in entries if e.state == "in"),
        enrol_form=enrol_form,
        reopen_form=reopen_form or ReopenForm(prefix="reopen"),
        cancel_form=cancel_form or CancelForm(prefix="cancel"),
        confirm_form=ConfirmForm(),
        can_plan=_can_plan(),
        is_admin=current_user.role == Role.ADMIN,
        not_enrolled=_training_participants_not_in(session, enrolled) if _can_plan() else 0,
        reopenings=_reopenings(session),
        refused=counts_for_session(session.id),
    )


def _training_participants_not_in(session: Session, enrolled: set[int]) -> int:
    """How many of the training's participants this session does not have yet."""
    ids = db.session.scalars(
        select(TrainingEnrolment.participant_id)
        .join(Participant, Participant.id == TrainingEnrolment.participant_id)
        .where(TrainingEnrolment.training_id == session.training_id, Participant.ended_at.is_(None))
    ).all()
    return len(set(ids) - enrolled)


def _reopenings(session: Session) -> list[AuditRecord]:
    """Every time support reopened the session, with its reason (the session keeps the last)."""
    if not session.was_reopened:
        return []
    return list(
        db.session.scalars(
            select(AuditRecord)
            .where(
                AuditRecord.object_type == Session.__tablename__,
                AuditRecord.object_id == session.id,
                AuditRecord.action == "session.reopen",
            )
            .order_by(AuditRecord.at, AuditRecord.id)
        )
    )


def _edit_form(session: Session) -> SessionEditForm:
    form = SessionEditForm(prefix="edit", obj=session)
    if not form.is_submitted():
        form.trainer.data = session.trainer_id or 0
    trainers = _trainer_choices(session.training.project.branch_id)
    if session.trainer is not None and session.trainer_id not in dict(trainers):
        trainers.append((session.trainer_id, session.trainer.display_name))  # as planned before
    form.trainer.choices = choices([(0, _("(no trainer yet)")), *trainers])
    return form


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int):  # type: ignore[no-untyped-def]
    """Move a session, change its times, break, place or trainer."""
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = _edit_form(session)
    if form.validate_on_submit():
        trainer = db.session.get(User, form.trainer.data) if form.trainer.data else None
        if _trainer_free_or_confirmed(form, trainer, leave_out=session.id):
            with refusals_shown(form):
                planning.update_session(
                    actor(),
                    session,
                    form.day.data,
                    form.start.data,
                    form.end.data,
                    form.break_start.data,
                    form.break_end.data,
                    (form.location.data or "").strip(),
                    trainer,
                    _now(),
                    reason=form.reason.data,
                )
                flash(_("Session changed."), "success")
                return redirect(url_for("planning.session_detail", session_id=session.id))
    return render_template(
        "planning/session_edit.html",
        session=session,
        form=form,
        is_admin=current_user.role == Role.ADMIN,
    )


@bp.post("/sessions/<int:session_id>/cancel")
@login_required
def cancel(session_id: int):  # type: ignore[no-untyped-def]
    """Cancel a session nobody was registered in; the enrolled participants get a mail."""
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        return _session_page(session, cancel_form=form)
    with refusals_shown(form, "reason"):
        told = planning.cancel_session(actor(), session, form.reason.data or "", _now())
        flash(
            ngettext(
                "Session cancelled; %(num)d participant is told by mail.",
                "Session cancelled; %(num)d participants are told by mail.",
                told,
            ),
            "success",
        )
        return redirect(url_for("planning.session_detail", session_id=session.id))
    return _session_page(session, cancel_form=form)


@bp.post("/sessions/<int:session_id>/restore")
@login_required
def restore(session_id: int):  # type: ignore[no-untyped-def]
    """Undo a cancellation while nothing was registered in the session."""
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        with refusals_shown():
            planning.restore_session(actor(), session, _now())
            flash(_("Session restored: it is planned again."), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/enrol-training")
@login_required
def enrol_training_participants(session_id: int):  # type: ignore[no-untyped-def]
    """Enrol every participant of the training in this (new) session."""
    scoping.require_planner(current_user)
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            created = people.enrol_training_participants(actor(), session)
            flash(
                ngettext(
                    "%(num)d participant enrolled.", "%(num)d participants enrolled.", created
                ),
                "success",
            )
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int):  # type: ignore[no-untyped-def]
    return _session_page(_session(session_id))


@bp.post("/sessions/<int:session_id>/enrol")
@login_required
def enrol_session(session_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = _enrol_form(session.training.project.branch_id)
    if not form.validate_on_submit():
        return _session_page(session, enrol_form=form)
    chosen = db.session.scalars(
        scoping.participants(current_user).where(Participant.id.in_(form.participants.data))
    ).all()
    with refusals_shown():
        if session.cancelled:
            raise Refusal("cancelled", _("This session was cancelled."), status=409)
        created = people.enrol_all(actor(), [session], chosen)
        flash(_("%(n)s participants enrolled.", n=created), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/reopen")
@login_required
def reopen(session_id: int):  # type: ignore[no-untyped-def]
    """Support reopens a locked session; the reason is mandatory."""
    scoping.require_admin(current_user)
    session = _session(session_id)
    form = ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        if is_locked(session, _now()):
            return _session_page(session, reopen_form=form)
        # The reason field is shown only on a locked session: say why nothing happened.
        flash(_("This session is not locked."), "error")
        return redirect(url_for("planning.session_detail", session_id=session.id))
    with refusals_shown():
        planning.reopen_session(actor(), session, form.reason.data, _now())
        flash(_("Session reopened: registrations are accepted again."), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/close")
@login_required
def close(session_id: int):  # type: ignore[no-untyped-def]
    scoping.require_admin(current_user)
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            planning.close_reopened_session(actor(), session, _now())
            flash(_("Session closed again."), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/submit")
@login_required
def submit(session_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            planning.submit_session(actor(), session, _now())
            flash(_("Session submitted."), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.get("/sessions/<int:session_id>/roster.json")
@login_required
def session_roster_json(session_id: int):  # type: ignore[no-untyped-def]
    """The live state the session page polls (cookie-authenticated, read-only)."""
    session = _session(session_id)
    return jsonify(
        [
            {
                "id": e.participant.id,
                "state": e.state,
                "last_at": e.last_at.astimezone(BRUSSELS).strftime("%H:%M") if e.last_at else None,
            }
            for e in roster(session)
        ]
    )
