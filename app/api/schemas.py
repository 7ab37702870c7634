"""One schema per API resource: it parses the request, shapes the answer and describes both.

Each resource has its pydantic models here (what a client sends to create it, what the API
answers), and every constraint is stated once, in a field type below: the lengths come from
the model's columns, ids and dates from ``app.domain.limits``, enums from the Python enums.
The same type checks a value and writes its JSON Schema (``app.api.openapi`` builds the
OpenAPI description from these models), so the description says exactly what is accepted.

A refused value becomes the API's usual 400 ``{"error": "invalid_request", "message": ...,
"field": ...}`` in the caller's language (``refusal``): the types raise a problem code, and
the message is chosen here, when the answer is written.
"""

import re
from collections.abc import Callable
from datetime import date, datetime, time
from enum import Enum
from typing import Annotated, Any, Literal, get_args

from flask_babel import lazy_gettext as _l
from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.api.editing import version_of
from app.domain.limits import (
    CONTROL_CHARACTERS,
    EARLIEST_DAY,
    LATEST_DAY,
    LINE_BREAKS,
    MAX_ID,
    day_in_range,
    has_control_characters,
    has_line_breaks,
)
from app.domain.scanning import Direction, Requested
from app.domain.sessions import SessionStatus
from app.domain.thresholds import HoursMethod
from app.errors import Refusal
from app.models import (
    Branch,
    Kind,
    Participant,
    Project,
    Registration,
    Session,
    Source,
    Supervisor,
    Training,
    TrainingMode,
    User,
)

# --- Problems and their messages --------------------------------------------------------------

# Each a function of the problem's context, so the message is translated when it is answered.
MESSAGES: dict[str, Any] = {
    "required": lambda **k: _l("The field %(field)s is required.", **k),
    "text": lambda **k: _l("The field %(field)s must be text.", **k),
    "control": lambda **k: _l("The field %(field)s contains invisible control characters.", **k),
    "one_line": lambda **k: _l(
        "The field %(field)s must fit on one line: no line breaks or tabs.", **k
    ),
    "too_long": lambda **k: _l("The field %(field)s is longer than %(n)s characters.", **k),
    "whole_number": lambda **k: _l("The field %(field)s must be a whole number.", **k),
    "id_range": lambda **k: _l(
        "The field %(field)s must be a whole number from 1 to %(max)s.", **k
    ),
    "date": lambda **k: _l("The field %(field)s must be a date YYYY-MM-DD.", **k),
    "date_range": lambda **k: _l(
        "The field %(field)s must be a date from %(first)s to %(last)s.", **k
    ),
    "time": lambda **k: _l("The field %(field)s must be a time HH:MM.", **k),
    "moment": lambda **k: _l("The field %(field)s must be an ISO 8601 date and time.", **k),
    "timezone": lambda **k: _l("The field %(field)s must include a time zone offset.", **k),
    "choice": lambda **k: _l("The field %(field)s must be one of: %(options)s.", **k),
    "list": lambda **k: _l("The field %(field)s must be a list.", **k),
    "invalid": lambda **k: _l("The field %(field)s is not valid.", **k),
    "boolean": lambda **k: _l("The field %(field)s must be true or false.", **k),
}
# pydantic's own problems, for what the types below do not check themselves.
_PYDANTIC = {"missing": "required", "list_type": "list"}


def _problem(code: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(code, code, context)


def invalid(field: str, message: Any) -> Refusal:
    return Refusal("invalid_request", message, status=400, field=field)


def body_refusal() -> Refusal:
    return Refusal("invalid_json", _l("The request body must be a JSON object."), status=400)


def refusal(error: ValidationError) -> Refusal:
    """The first problem (in the order of the fields) as the API's 400, naming the field."""
    first = error.errors(include_url=False)[0]
    if not first["loc"]:
        return body_refusal()
    field = str(first["loc"][0])
    code = _PYDANTIC.get(first["type"], first["type"])
    message = MESSAGES.get(code, MESSAGES["invalid"])
    return invalid(field, message(field=field, **first.get("ctx", {})))


def parse(model: type[BaseModel], data: Any) -> Any:
    """``data`` checked and converted by ``model``, or the 400 for its first problem."""
    if not isinstance(data, dict):
        raise body_refusal()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(exc) from None


# --- Field types: the check and its JSON Schema, from one definition -------------------------


def _class(test: Callable[[str], Any]) -> str:
    """The inside of a ``[...]`` class of the characters ``test`` accepts, every one as \\uXXXX
    (a JSON Schema pattern is read by ECMA-262 and Python engines alike). The rules of
    app.domain.limits concern characters of the Basic Multilingual Plane only."""
    # Lone surrogates left out: no JSON Schema engine takes them in a pattern (Unicode has no
    # such characters), and the API refuses them in any JSON text before a schema reads it.
    matched = [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF and test(chr(c))]
    ranges: list[list[int]] = []
    for c in matched:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


_CONTROL = _class(CONTROL_CHARACTERS.fullmatch)
_BREAKS = _class(LINE_BREAKS.fullmatch)
# What str.strip() takes away (str.isspace); around a one-line value it may hold line breaks.
_SPACES = _class(str.isspace)
_EDGE = _class(lambda c: c.isspace() and not CONTROL_CHARACTERS.fullmatch(c))


def _text_pattern(one_line: bool, required: bool) -> str:
    """The pattern ``Text`` checks: no control character; stripped of spaces, something left
    (if required) and, for a one-line value, no line break or tab inside."""
    inner = _CONTROL + (_BREAKS if one_line else "")
    core = f"[^{_CONTROL}{_SPACES}](?:[^{inner}]*[^{_CONTROL}{_SPACES}])?"
    if required:
        return f"^[{_EDGE}]*{core}[{_EDGE}]*$"
    return f"^[{_EDGE}]*(?:{core}[{_EDGE}]*)?$"


def _length(column: Any) -> int:
    length = column.property.columns[0].type.length
    assert isinstance(length, int), column
    return length


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field of a JSON body: the API has always taken null and "" as not given."""
    return {"anyOf": [schema, {"type": "null"}, {"type": "string", "maxLength": 0}]}


def _absent(value: Any) -> bool:
    return value is None or value == ""


def Text(
    max_length: int | Any, *, required: bool = True, one_line: bool = True, default: Any = None
) -> Any:
    """Text of at most ``max_length`` characters (or a column's length), stripped.

    Refused: control characters and lone surrogates; in a one-line value (a name, a code, a
    number, an address) also line breaks and tabs inside it. Optional text left out (null, "",
    only spaces) is ``default``.
    """
    n = max_length if isinstance(max_length, int) else _length(max_length)

    def check(value: Any) -> str | None:
        if _absent(value):
            if required:
                raise _problem("required")
            return default
        if not isinstance(value, str):
            raise _problem("text")
        if has_control_characters(value):
            raise _problem("control")
        if len(value) > n:
            raise _problem("too_long", n=n)
        # Spaces and line breaks around the value are dropped (a hand scanner's Enter, a
        # pasted line); inside a one-line value a line break or tab is refused.
        value = value.strip()
        if one_line and has_line_breaks(value):
            raise _problem("one_line")
        if not value:
            if required:
                raise _problem("required")
            return default
        return value

    pattern = _text_pattern(one_line, required)
    if required:
        schema = {"type": "string", "minLength": 1, "maxLength": n, "pattern": pattern}
    else:
        schema = _nullable({"type": "string", "maxLength": n, "pattern": pattern})
    return Annotated[str, PlainValidator(check), WithJsonSchema(schema)]


def _whole_number(value: Any, from_text: bool) -> int:
    if from_text and isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        # JSON has one kind of number: 816.0 is the whole number 816 (as JSON Schema says).
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _problem("whole_number")
    if not 1 <= value <= MAX_ID:
        raise _problem("id_range", max=MAX_ID)
    return value


def IdField(*, required: bool = True, query: bool = False) -> Any:
    """An id the database can hold: 1 .. 2**31-1. In a ``query`` string it is text, and only
    a parameter left out is absent."""

    def check(value: Any) -> int | None:
        if _absent(value) and not query:
            if required:
                raise _problem("required")
            return None
        return _whole_number(value, query)

    schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return Annotated[
        int,
        PlainValidator(check),
        WithJsonSchema(schema if required or query else _optional(schema)),
    ]


def _years(first: date, last: date) -> str:
    # The range lies in whole years, so a pattern on the year states it exactly.
    assert (first.month, first.day, last.month, last.day) == (1, 1, 12, 31)
    return "(?:" + "|".join(str(year) for year in range(first.year, last.year + 1)) + ")"


_DATE = _years(EARLIEST_DAY, LATEST_DAY) + "-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_MOMENT = f"{_DATE}[Tt]{_CLOCK}:[0-5][0-9](?:\\.[0-9]{{1,9}})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_MOMENT_RE = re.compile(_MOMENT)
_DATE_SCHEMA = {"type": "string", "format": "date", "pattern": f"^{_DATE}$"}


def _day(value: Any) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise _problem("date")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise _problem("date") from None
    if not day_in_range(parsed):
        raise _problem("date_range", first=EARLIEST_DAY.isoformat(), last=LATEST_DAY.isoformat())
    return parsed


def DayField(*, required: bool = True, query: bool = False) -> Any:
    """A date YYYY-MM-DD in EARLIEST_DAY .. LATEST_DAY (app.domain.limits)."""

    def check(value: Any) -> date | None:
        if _absent(value) and not query:
            if required:
                raise _problem("required")
            return None
        return _day(value)

    schema = _DATE_SCHEMA if required or query else _optional(_DATE_SCHEMA)
    return Annotated[date, PlainValidator(check), WithJsonSchema(schema)]


def ClockField(*, required: bool = True) -> Any:
    """A time of day HH:MM (seconds, if given, are dropped)."""

    def check(value: Any) -> time | None:
        if _absent(value):
            if required:
                raise _problem("required")
            return None
        if not isinstance(value, str) or not re.fullmatch(f"{_CLOCK}(?::[0-5][0-9])?", value):
            raise _problem("time")
        return time.fromisoformat(value).replace(second=0, microsecond=0)

    schema = {"type": "string", "pattern": f"^{_CLOCK}(?::[0-5][0-9])?$"}
    return Annotated[
        time, PlainValidator(check), WithJsonSchema(schema if required else _optional(schema))
    ]


def MomentField(*, required: bool = True) -> Any:
    """An RFC 3339 date and time with its offset, on a day in the accepted range."""

    def check(value: Any) -> datetime | None:
        if _absent(value):
            if required:
                raise _problem("required")
            return None
        if not isinstance(value, str):
            raise _problem("moment")
        if not _MOMENT_RE.fullmatch(value):
            try:
                naive = datetime.fromisoformat(value).tzinfo is None
            except ValueError:
                naive = False
            raise _problem("timezone" if naive else "moment")
        return datetime.fromisoformat(value.upper())

    schema = {"type": "string", "format": "date-time", "pattern": f"^{_MOMENT}$"}
    return Annotated[
        datetime,
        PlainValidator(check),
        WithJsonSchema(schema if required else _optional(schema)),
    ]


def _values(choices: type[Enum] | Any) -> list[str]:
    if isinstance(choices, type) and issubclass(choices, Enum):
        return [str(member.value) for member in choices]
    return list(get_args(choices))  # a Literal


def Choice(choices: type[Enum] | Any, *, default: Any = None) -> Any:
    """One of an enum's values (or a Literal's); left out, ``default`` (required without)."""
    options = _values(choices)
    convert = choices if isinstance(choices, type) and issubclass(choices, Enum) else str

    def check(value: Any) -> Any:
        if _absent(value):
            if default is None:
                raise _problem("required")
            return default
        if not isinstance(value, str) or value not in options:
            raise _problem("choice", options=", ".join(options))
        return convert(value)

    schema: dict[str, Any] = {"type": "string", "enum": options}
    if default is not None:
        schema = {**_optional(schema), "default": str(getattr(default, "value", default))}
    return Annotated[Any, PlainValidator(check), WithJsonSchema(schema)]


def OptionalChoice(choices: type[Enum] | Any) -> Any:
    """One of an enum's values, or left out / null (None): a field of a merge patch."""
    options = _values(choices)
    convert = choices if isinstance(choices, type) and issubclass(choices, Enum) else str

    def check(value: Any) -> Any:
        if _absent(value):
            return None
        if not isinstance(value, str) or value not in options:
            raise _problem("choice", options=", ".join(options))
        return convert(value)

    schema = _optional({"type": "string", "enum": options})
    return Annotated[Any, PlainValidator(check), WithJsonSchema(schema)]


def Flag() -> Any:
    """true or false; left out or null: false."""

    def check(value: Any) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise _problem("boolean")
        return value

    return Annotated[
        bool,
        PlainValidator(check),
        WithJsonSchema({"anyOf": [{"type": "boolean"}, {"type": "null"}]}),
    ]


def QueryChoice(options: list[str]) -> Any:
    """In a query string: one of ``options``, or left out (None)."""

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in options:
            raise _problem("choice", options=", ".join(options))
        return value

    return Annotated[
        str, PlainValidator(check), WithJsonSchema({"type": "string", "enum": options})
    ]


def QueryAction() -> Any:
    """In a query string: an audit action (``session.cancel``) or its kind (``session``)."""
    pattern = "^[a-z_]{1,30}(?:\\.[a-z_]{1,30}){0,2}$"

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(pattern.strip("^$"), value):
            raise _problem("invalid")
        return value

    return Annotated[
        str, PlainValidator(check), WithJsonSchema({"type": "string", "pattern": pattern})
    ]


def OptionalCount(maximum: int) -> Any:
    """In a JSON body: a whole number from 1 to ``maximum``, or left out / null (None)."""
    inner = get_args(CountField(maximum))[1].func
    schema = {"type": "integer", "minimum": 1, "maximum": maximum}

    def check(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, str):
            raise _problem("whole_number")
        return inner(value)

    return Annotated[
        int, PlainValidator(check), WithJsonSchema({"anyOf": [schema, {"type": "null"}]})
    ]


def CountField(maximum: int) -> Any:
    """In a query string: a whole number from 1 to ``maximum`` (a page, a page size)."""

    def check(value: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _problem("whole_number")
        if not 1 <= value <= maximum:
            raise _problem("id_range", max=maximum)
        return value

    return Annotated[
        int,
        PlainValidator(check),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": maximum}),
    ]


def TextList(max_length: Any) -> Any:
    """A list of one-line texts (null or left out: an empty list)."""
    item = Text(max_length)
    item_check = get_args(item)[1].func
    item_schema = get_args(item)[2].json_schema

    def check(value: Any) -> list[str]:
        if _absent(value) or value == []:
            return []
        if not isinstance(value, list):
            raise _problem("list")
        return [item_check(v) for v in value]

    schema = _optional({"type": "array", "items": item_schema})
    return Annotated[list[str], PlainValidator(check), WithJsonSchema(schema)]


def IdList() -> Any:
    """A list of ids (null or left out: an empty list); each one as ``IdField`` checks it."""
    item = IdField()
    item_check = get_args(item)[1].func
    item_schema = get_args(item)[2].json_schema

    def check(value: Any) -> list[int]:
        if _absent(value) or value == []:
            return []
        if not isinstance(value, list):
            raise _problem("list")
        return [item_check(v) for v in value]

    schema = _optional({"type": "array", "items": item_schema, "maxItems": 1000})
    return Annotated[list[int], PlainValidator(check), WithJsonSchema(schema)]


# --- How answers write dates and times ---------------------------------------------------------

# An aware datetime as Python writes it (RFC 3339 for every day in the accepted range).
OutMoment = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
OutClock = Annotated[
    time,
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": f"^{_CLOCK}$"}),
]
OutDay = Annotated[date, WithJsonSchema({"type": "string", "format": "date"})]


class Request(BaseModel):
    """What a client sends. Unknown fields are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Errors ----------------------------------------------------------------------------------


class Error(BaseModel):
    """Every refusal: a stable code, a message in the caller's language, and where it applies
    the field; some refusals add what they refer to (e.g. ``session_id`` of an overlap)."""

    model_config = ConfigDict(extra="allow")

    error: str
    message: str
    field: str | None = None


# --- Projects --------------------------------------------------------------------------------


class ProjectCreate(Request):
    name: Text(Project.name)
    number: Text(Project.number)
    branch: Text(Branch.name, required=False) = None


class ProjectOut(Answer):
    id: int
    name: str
    number: str
    branch: str
    # The stored state's version: send it back (If-Match, or ``version``) to change it.
    version: str

    @classmethod
    def of(cls, project: Project) -> "ProjectOut":
        return cls(
            id=project.id,
            name=project.name,
            number=project.number,
            branch=project.branch.name,
            version=version_of(project),
        )


class ProjectPatch(Request):
    """A JSON merge patch (RFC 7396): only the fields given change."""

    name: Text(Project.name, required=False) = None
    number: Text(Project.number, required=False) = None
    branch: Text(Branch.name, required=False) = None
    version: Text(100, required=False) = None


# --- Trainings -------------------------------------------------------------------------------


class TrainingCreate(Request):
    project_id: IdField()
    name: Text(Training.name)
    code: Text(Training.code, required=False, default="") = ""
    mode: Choice(TrainingMode, default=TrainingMode.CLASSROOM) = TrainingMode.CLASSROOM
    trainers: TextList(User.email) = []
    # How hours present are counted: the registered time, or whole lessons (docs/rules.md).
    hours_method: Choice(HoursMethod, default="registered") = "registered"


class TrainingOut(Answer):
    id: int
    project_id: int
    name: str
    code: str
    mode: TrainingMode
    trainers: list[str]
    hours_method: HoursMethod
    version: str

    @classmethod
    def of(cls, training: Training) -> "TrainingOut":
        return cls(
            id=training.id,
            project_id=training.project_id,
            name=training.name,
            code=training.code,
            mode=training.mode,
            trainers=[user.email for user in training.trainers],
            hours_method=training.hours_method,  # type: ignore[arg-type]
            version=version_of(training),
        )


class TrainingPatch(Request):
    """A JSON merge patch (RFC 7396): only the fields given change; ``trainers`` given is the
    whole new list."""

    name: Text(Training.name, required=False) = None
    code: Text(Training.code, required=False, default="") = None
    mode: OptionalChoice(TrainingMode) = None
    trainers: TextList(User.email) = []
    hours_method: OptionalChoice(HoursMethod) = None
    version: Text(100, required=False) = None


# --- Sessions --------------------------------------------------------------------------------


class SessionCreate(Request):
    training_id: IdField()
    date: DayField()
    start: ClockField()
    end: ClockField()
    break_start: ClockField(required=False) = None
    break_end: ClockField(required=False) = None
    location: Text(Session.location, required=False, default="") = ""
    trainer_email: Text(User.email, required=False) = None


class SessionPatch(Request):
    """A JSON merge patch (RFC 7396): only the fields given change; null removes the break
    or the trainer. ``reason``: support's reason for a change that leaves registrations
    outside the session. ``confirm_trainer``: plan with a trainer booked elsewhere then."""

    date: DayField(required=False) = None
    start: ClockField(required=False) = None
    end: ClockField(required=False) = None
    break_start: ClockField(required=False) = None
    break_end: ClockField(required=False) = None
    location: Text(Session.location, required=False, default="") = ""
    trainer_email: Text(User.email, required=False) = None
    reason: Text(2000, required=False, one_line=False) = None
    confirm_trainer: Flag() = False
    version: Text(100, required=False) = None


class SessionCancel(Request):
    reason: Text(2000, required=False, one_line=False, default="") = ""
    version: Text(100, required=False) = None


class SessionRestore(Request):
    version: Text(100, required=False) = None


MAX_PER_PAGE = 1000


def MomentQuery() -> Any:
    """In a query string: an RFC 3339 date and time with its offset (``+`` written %2B)."""
    field = MomentField()
    check = get_args(field)[1].func
    return Annotated[
        datetime,
        PlainValidator(check),
        WithJsonSchema({"type": "string", "format": "date-time", "pattern": f"^{_MOMENT}$"}),
    ]


class Paging(Request):
    """Every list: ``page`` (from 1) of ``per_page`` items (at most 1000), with the ``total``;
    ``updated_since``: only what was created or changed from that moment (by its audit
    records; a registration by when it was received)."""

    page: CountField(MAX_ID) = 1
    per_page: CountField(MAX_PER_PAGE) = 100
    updated_since: MomentQuery() = None


class SessionFilter(Paging):
    """``GET /sessions``: on one day, or from ``date_from`` to ``date_to``; of one training."""

    date: DayField(required=False, query=True) = None
    date_from: DayField(required=False, query=True) = None
    date_to: DayField(required=False, query=True) = None
    training_id: IdField(required=False, query=True) = None


class RegistrationFilter(Paging):
    """``GET /registrations``: every registration in scope (corrections included), of the
    sessions from ``date_from`` to ``date_to``, of one session or participant."""

    date_from: DayField(required=False, query=True) = None
    date_to: DayField(required=False, query=True) = None
    session_id: IdField(required=False, query=True) = None
    participant_id: IdField(required=False, query=True) = None


class SessionOut(Answer):
    id: int
    training_id: int
    training_name: str
    date: OutDay
    start: OutClock
    end: OutClock
    break_start: OutClock | None
    break_end: OutClock | None
    location: str
    trainer_email: str | None
    status: SessionStatus
    reopened: bool
    scan_opens: OutMoment
    deadline: OutMoment
    cancelled: bool = False
    cancel_reason: str | None = None
    version: str = ""


class RosterEntryOut(Answer):
    id: int
    name: str
    key_version: int
    state: Direction
    last_at: OutMoment | None


class RosterOut(Answer):
    session: SessionOut
    participants: list[RosterEntryOut]
    # The server's repeat interval: a scanner predicting offline tells a repeat as the server
    # would (a scan of the same person within it changes nothing).
    repeat_seconds: int


# --- Participants and enrolments ---------------------------------------------------------------


class ParticipantCreate(Request):
    name: Text(Participant.name)
    email: Text(Participant.email)
    national_number: Text(20, required=False) = None
    branch: Text(Branch.name, required=False) = None
    # How the branch's school administration package knows the person (the exchange).
    external_id: Text(64, required=False) = None


class ParticipantOut(Answer):
    id: int
    name: str
    email: str
    national_number: str | None  # masked
    external_id: str | None
    key_version: int
    version: str = ""

    @classmethod
    def of(cls, participant: Participant) -> "ParticipantOut":
        return cls(
            id=participant.id,
            name=participant.name,
            email=participant.email,
            national_number=participant.masked_national_number or None,
            external_id=participant.external_id,
            key_version=participant.key_version,
            version=version_of(participant),
        )


class ParticipantPatch(Request):
    """A JSON merge patch (RFC 7396). A new email address receives nothing by itself (as on
    the web); ``send_code``: mail the QR code to it in the same step. ``external_id`` null or
    "" clears it; a national register number left out keeps the stored one."""

    name: Text(Participant.name, required=False) = None
    email: Text(Participant.email, required=False) = None
    national_number: Text(20, required=False) = None
    external_id: Text(64, required=False) = None
    send_code: Flag() = False
    version: Text(100, required=False) = None


class CodeOut(Answer):
    code: str
    key_version: int


class EnrolmentCreate(Request):
    participant_id: IdField()


class ParticipantRef(Request):
    participant_id: IdField()


class ParticipantAtTime(Request):
    """A participant and a time of day on the session's date (Brussels)."""

    participant_id: IdField()
    time: ClockField()


class IncompleteResolve(Request):
    """Close a participant's open check-in: the time they left and why it was not scanned."""

    participant_id: IdField()
    time: ClockField()
    reason: Text(500)


class SessionClose(Request):
    """After the end: everyone still in left at the end, or at ``time``."""

    time: ClockField(required=False) = None


class RollCallMarkIn(Request):
    participant_id: IdField()
    present: Flag() = False
    remark: Text(500, required=False, default="") = ""


class RollCallIn(Request):
    """The roll call as the web's page confirms it: each participant present or not, with a
    remark. ``check_in_at_start``: the check-ins of those present at the session's start
    (else now); participants left out keep their earlier marks."""

    marks: list[RollCallMarkIn]
    check_in_at_start: Flag() = True


class ExemptionCreate(Request):
    """An exemption for one session of the training, or for a number of minutes."""

    participant_id: IdField()
    session_id: IdField(required=False) = None
    minutes: OptionalCount(100000) = None
    reason: Text(2000, required=False, one_line=False, default="") = ""


class ExemptionOut(Answer):
    id: int
    training_id: int
    participant_id: int
    session_id: int | None
    minutes: int | None
    reason: str
    created_at: OutMoment
    revoked_at: OutMoment | None


class RegistrationsWritten(Answer):
    registration_ids: list[int]


class CountOut(Answer):
    """How many objects an action wrote or removed."""

    count: int


class TrainingEnrolmentOut(Answer):
    training_id: int
    participant_id: int
    sessions: int
    created: int


class EnrolmentOut(Answer):
    id: int
    session_id: int
    participant_id: int
    created: bool


# --- Registrations and scans -----------------------------------------------------------------


class RegistrationOut(Answer):
    id: int
    session_id: int
    participant_id: int
    kind: Kind | None
    at: OutMoment | None
    received_at: OutMoment
    source: Source
    nonce: str
    voids_id: int | None
    reason: str | None
    user_id: int | None
    token_id: int | None

    @classmethod
    def of(cls, r: Registration) -> "RegistrationOut":
        return cls(
            id=r.id,
            session_id=r.session_id,
            participant_id=r.participant_id,
            kind=r.kind,
            at=r.at,
            received_at=r.received_at,
            source=r.source,
            nonce=r.nonce,
            voids_id=r.voids_id,
            reason=r.reason,
            user_id=r.user_id,
            token_id=r.token_id,
        )


class ScanCreate(Request):
    session_id: IdField()
    code: Text(400)
    nonce: Text(Registration.nonce)
    scanned_at: MomentField(required=False) = None
    direction: Choice(Requested, default="auto") = "auto"


class ScannedParticipant(Answer):
    id: int
    name: str


class ScanOut(Answer):
    """A scan's answer; a retry with the same nonce and body gets the same answer again."""

    direction: Direction
    participant: ScannedParticipant
    at: Annotated[
        str,
        WithJsonSchema(
            {
                "type": "string",
                "format": "date-time",
                "description": "In UTC: the registration's time, or for a repeat the time of "
                "the registration it repeats.",
            }
        ),
    ]
    repeat: bool


# --- Attendance and the QR key ---------------------------------------------------------------


class PaidLeavePeriodOut(Answer):
    """Paid educational leave in one lesson period (the certificates' periods): at most 10%
    unjustified absence of the whole period's counting hours; ``at_risk`` when one more unjustified
    absence in the period would lose it."""

    start: OutDay
    end: OutDay
    counting_hours: float
    # The whole period's counting hours (those still to come included), the base of the
    # verdict, and the most unjustified absence it allows (10 %).
    period_hours: float
    unjustified_hours: float
    limit_hours: float
    unjustified_percent: float
    # kept, kept_so_far, provisional (above the limit only through sessions whose
    # registrations are still open) or lost; ``text`` says it in the caller's language.
    state: str
    text: str
    keeps_paid_leave: bool
    at_risk: bool


class AttendanceRowOut(Answer):
    participant_id: int
    name: str
    planned_hours: float
    exempted_hours: float
    late_enrolment_hours: float
    counting_hours: float
    present_hours: float
    justified_hours: float
    unjustified_hours: float
    incomplete_hours: float
    attendance_percent: float
    exam_eligible: bool
    paid_leave: bool
    # bev: betaald educatief verlof; vov: Vlaams opleidingsverlof; None without paid leave.
    leave_regime: Literal["bev", "vov"] | None = None
    keeps_paid_leave: bool | None
    at_risk: Annotated[
        str, WithJsonSchema({"type": "string", "description": "comma-separated: exam, paid_leave"})
    ]
    hours_method: HoursMethod
    self_reported_hours: float
    lessons_counting: int
    lessons_present: int
    # Only for a participant on paid leave (empty otherwise), one per period with lessons.
    paid_leave_periods: list[PaidLeavePeriodOut]


class AttendanceOut(Answer):
    training_id: int
    # "registered": hours present are the registered time, clipped to the session, minus the
    # break; "lessons": a lesson counted present gives its planned hours (docs/rules.md).
    hours_method: HoursMethod
    items: list[AttendanceRowOut]


class PublicKeyOut(Answer):
    algorithm: Literal["Ed25519"]
    public_key_pem: str


# --- Supervisors and self-reported e-learning hours -----------------------------------------------


class SupervisorCreate(Request):
    name: Text(Supervisor.name)
    email: Text(Supervisor.email)
    branch: Text(Branch.name, required=False) = None
    participant_ids: IdList() = []


class SupervisorLink(Request):
    """Participants (of the supervisor's branch) whose supervisor this one becomes."""

    participant_ids: IdList() = []


class SupervisorOut(Answer):
    id: int
    name: str
    email: str
    branch: str
    participant_ids: list[int]


class SelfReportOut(Answer):
    """A report and its state: ``waiting``, ``approved``, ``rejected``, or ``replaced`` (an
    approved correction took its place). Only ``approved`` ones count."""

    id: int
    training_id: int
    participant_id: int
    date: OutDay
    start: OutClock | None
    end: OutClock | None
    minutes: int
    hours: float
    description: str
    state: Literal["waiting", "approved", "rejected", "replaced"]
    replaces_id: int | None
    sent_at: OutMoment
    decided_at: OutMoment | None
    decided_by: str | None  # the supervisor's name and address
    reason: str | None


# --- The audit trail -----------------------------------------------------------------------------

AUDIT_OBJECT_TYPES = [
    "participant", "session", "training", "certificate", "registration", "project",
    "enrolment", "justification", "exemption", "supervisor", "user",
]  # fmt: skip
AUDIT_MAX_PER_PAGE = 200


class AuditFilter(Request):
    """``GET /audit``: the records in the caller's scope, newest first, narrowed by object
    (the participant, session or training a record belongs to, or one object by kind and id),
    by the acting user, by action (``session.cancel``, or ``session`` for every session
    action) and by Brussels days (both included); paged."""

    page: CountField(MAX_ID) = 1
    per_page: CountField(AUDIT_MAX_PER_PAGE) = 50
    participant_id: IdField(required=False, query=True) = None
    session_id: IdField(required=False, query=True) = None
    training_id: IdField(required=False, query=True) = None
    object_type: QueryChoice(AUDIT_OBJECT_TYPES) = None
    object_id: IdField(required=False, query=True) = None
    user_id: IdField(required=False, query=True) = None
    action: QueryAction() = None
    date_from: DayField(required=False, query=True) = None
    date_to: DayField(required=False, query=True) = None


class AuditChangeOut(Answer):
    field: str
    before: str
    after: str


class AuditRecordOut(Answer):
    """One change: when, who (``who_kind``: user, token, portal, package or system), what
    object, what action, the before and after as stored and the changed fields in words."""

    id: int
    at: OutMoment
    who: str
    who_kind: Literal["user", "token", "portal", "package", "system"]
    user_id: int | None
    action: str
    object_type: str
    object_id: int | None
    object_label: str
    participant_id: int | None
    session_id: int | None
    training_id: int | None
    summary: str
    changes: list[AuditChangeOut]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditList(Answer):
    items: list[AuditRecordOut]
    total: int
    page: int
    per_page: int


def items_of(model: type[BaseModel]) -> type[BaseModel]:
    """The answer of a list: ``{"items": [...]}``."""
    return _LISTS[model]


class ProjectList(Answer):
    items: list[ProjectOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class TrainingList(Answer):
    items: list[TrainingOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class SessionList(Answer):
    items: list[SessionOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class ParticipantList(Answer):
    items: list[ParticipantOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class RegistrationList(Answer):
    items: list[RegistrationOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class SupervisorList(Answer):
    items: list[SupervisorOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class SelfReportList(Answer):
    items: list[SelfReportOut]


_LISTS: dict[type[BaseModel], type[BaseModel]] = {
    SupervisorOut: SupervisorList,
    SelfReportOut: SelfReportList,
    ProjectOut: ProjectList,
    TrainingOut: TrainingList,
    SessionOut: SessionList,
    ParticipantOut: ParticipantList,
    RegistrationOut: RegistrationList,
}


# --- The exchange with administration packages (docs/exchange.md) -----------------------------


class ExchangeParticipant(Request):
    """The participant as both sides know them: the connection's identifier."""

    scheme: Choice(Literal["external_id", "email", "national_number"])
    value: Text(254)


class ExchangeSession(Request):
    """The sender's own session, for information; the moment is ``date`` and ``part``."""

    id: Text(100, required=False) = None
    start: ClockField(required=False) = None
    end: ClockField(required=False) = None


class ExchangeEventData(Request):
    event_id: Text(100)
    participant: ExchangeParticipant
    date: DayField()
    part: Choice(Literal["am", "pm"])
    code: Text(20)
    state: Text(30, required=False) = None
    remark: Text(2000, required=False, one_line=False, default="") = ""
    registered_at: MomentField()
    session: ExchangeSession | None = None


class ExchangeEventIn(Request):
    """One event, signed with the Standard Webhooks headers (webhook-id = data.event_id)."""

    type: Choice(Literal["attendance.code"])
    timestamp: MomentField(required=False) = None
    data: ExchangeEventData


class ExchangeAck(Answer):
    """What happened to an event: applied, older than what is held for that participant and
    moment (acknowledged, not applied), a duplicate of an event already received, or applied
    to no session (nothing of ours falls in that moment; remembered for the next decision)."""

    event_id: str
    outcome: Literal["applied", "older", "duplicate", "no_session"]
    applied: bool
    message: str
    sessions: list[int]
