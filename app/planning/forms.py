"""Forms for planning: projects, trainings, sessions, and the session actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    Field,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms import Form, MultiCheckboxField
from app.models import TrainingKind


def _required(message: str | None = None) -> DataRequired:
    return DataRequired(message or _l("This field is required."))


class ProjectForm(Form):
    name = StringField(_l("Name"), validators=[_required(), Length(max=200)])
    number = StringField(
        _l("ESF project number"),
        validators=[_required(), Length(max=60)],
        description=_l("As on the ESF agreement, e.g. ESF-2026-0042."),
    )
    branch = SelectField(_l("Branch"), coerce=str)


class TrainingDetailsForm(Form):
    """What the certificates need (docs/rules.md, "Certificates") and the lesson periods ("Lesson periods")."""

    kind = SelectField(
        _l("Kind of training"),
        choices=[
            SelectChoice("vocational", _l("Vocational training")),
            SelectChoice("general", _l("General training")),
        ],
        default="vocational",
    )
    recognition_number = StringField(
        _l("Recognition number"), validators=[Optional(), Length(max=60)]
    )
    joint_committee = StringField(
        _l("Joint committee number"), validators=[Optional(), Length(max=60)]
    )
    joint_committee_date = DateField(
        _l("Recognised by the joint committee on"), validators=[Optional()]
    )
    per_school_year = BooleanField(_l("Organised per school year (lesson periods are the terms)"))
    exam_date = DateField(_l("Date of the last exam of the first sitting"), validators=[Optional()])
    hours_method = SelectField(
        _l("Hours present"),
        choices=[
            # Short: a select cannot wrap its text (the explanation is the description).
            SelectChoice("registered", _l("Registered time")),
            SelectChoice("lessons", _l("Whole lessons")),
        ],
        default="registered",
        description=_l(
            "Registered time: from check-in to check-out, minus the break. Whole lessons: a "
            "lesson counted present gives its planned hours; choose it only when the "
            "training's recognition counts whole lessons. The exam rule (2/3) counts lessons "
            "either way."
        ),
    )

    def details(self) -> dict[str, object]:
        """The values for ``planning.operations.set_training_details``."""
        return {
            "kind": TrainingKind(self.kind.data),
            "recognition_number": (self.recognition_number.data or "").strip(),
            "joint_committee": (self.joint_committee.data or "").strip(),
            "joint_committee_date": self.joint_committee_date.data,
            "per_school_year": bool(self.per_school_year.data),
            "exam_date": self.exam_date.data,
            "hours_method": self.hours_method.data,
        }


class TrainingForm(TrainingDetailsForm):
    name = StringField(_l("Name"), validators=[_required(), Length(max=200)])
    code = StringField(
        _l("Code"),
        validators=[Optional(), Length(max=60)],
        description=_l("Participants of an e-learning report their hours against this code."),
    )
    mode = SelectField(
        _l("Form"),
        choices=[
            SelectChoice("classroom", _l("Classroom")),
            SelectChoice("e-learning", _l("E-learning")),
        ],
    )
    trainers = MultiCheckboxField(_l("Trainers"), coerce=int, validators=[Optional()])


class SessionForm(Form):
    day = DateField(_l("Date"), validators=[_required(_l("Give a valid date."))])
    start = TimeField(_l("Start"), validators=[_required(_l("Give a valid time."))])
    end = TimeField(_l("End"), validators=[_required(_l("Give a valid time."))])
    break_start = TimeField(_l("Break from"), validators=[Optional()])
    break_end = TimeField(_l("Break until"), validators=[Optional()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    trainer = SelectField(_l("Trainer"), coerce=int, validators=[Optional()])
    confirm_trainer = BooleanField(
        _l("Plan anyway: the trainer teaches another session at that time")
    )
    confirm_past = BooleanField(
        _l("Plan it anyway, locked: only support can reopen it for registrations")
    )

    # The operation checks the times again; these put the reason next to the field concerned.
    def validate_end(self, field: Field) -> None:
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_break_end(self, field: Field) -> None:
        begin, finish = self.break_start.data, field.data
        if (begin is None) != (finish is None):
            raise ValidationError(_l("Give both the start and the end of the break, or neither."))
        if begin is None or finish is None:
            return
        if finish <= begin:
            raise ValidationError(_l("The break must end after it starts."))
        if (
            self.start.data
            and self.end.data
            and (begin <= self.start.data or finish >= self.end.data)
        ):
            raise ValidationError(_l("The break must fall inside the session."))


class SessionEditForm(SessionForm):
    confirm_trainer = BooleanField(
        _l("Keep this trainer although they teach another session at that time")
    )
    reason = TextAreaField(
        _l("Support: reason for a change that leaves registrations outside the session"),
        validators=[Optional(), Length(max=2000)],
    )


class CancelForm(Form):
    reason = TextAreaField(
        _l("Reason (told to the enrolled participants)"),
        validators=[Optional(), Length(max=2000)],
    )


WEEKDAYS = [
    SelectChoice(0, _l("Monday")),
    SelectChoice(1, _l("Tuesday")),
    SelectChoice(2, _l("Wednesday")),
    SelectChoice(3, _l("Thursday")),
    SelectChoice(4, _l("Friday")),
    SelectChoice(5, _l("Saturday")),
    SelectChoice(6, _l("Sunday")),
]


class SeriesForm(Form):
    """A series: every chosen weekday from the first to the last date, at the same times."""

    first = DateField(_l("From"), validators=[_required(_l("Give a valid date."))])
    last = DateField(_l("Until"), validators=[_required(_l("Give a valid date."))])
    weekdays = MultiCheckboxField(
        _l("Every"),
        coerce=int,
        choices=WEEKDAYS,
        validators=[DataRequired(_l("Choose at least one weekday."))],
    )
    start = TimeField(_l("Start"), validators=[_required(_l("Give a valid time."))])
    end = TimeField(_l("End"), validators=[_required(_l("Give a valid time."))])
    break_start = TimeField(_l("Break from"), validators=[Optional()])
    break_end = TimeField(_l("Break until"), validators=[Optional()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    trainer = SelectField(_l("Trainer"), coerce=int, validators=[Optional()])
    enrol_all = BooleanField(_l("Enrol the training's participants in every new session"))
    # The preview's choice: which of the proposed dates to plan (ISO dates).
    days = SelectMultipleField(_l("Dates to plan"), validators=[Optional()], validate_choice=False)

    validate_end = SessionForm.validate_end
    validate_break_end = SessionForm.validate_break_end


class TrainingEditForm(Form):
    name = StringField(_l("Name"), validators=[_required(), Length(max=200)])
    code = StringField(_l("Code"), validators=[Optional(), Length(max=60)])
    mode = SelectField(
        _l("Form"),
        choices=[
            SelectChoice("classroom", _l("Classroom")),
            SelectChoice("e-learning", _l("E-learning")),
        ],
    )
    trainers = MultiCheckboxField(_l("Trainers"), coerce=int, validators=[Optional()])


class EnrolForm(Form):
    participants = MultiCheckboxField(
        _l("Participants"),
        coerce=int,
        validators=[DataRequired(_l("Choose at least one participant."))],
    )


class ReopenForm(Form):
    reason = TextAreaField(
        _l("Reason for reopening"),
        validators=[DataRequired(_l("Give the reason for reopening.")), Length(max=2000)],
        description=_l("Recorded with the session and in the audit trail."),
    )
