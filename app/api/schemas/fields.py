"""Field types: each states a check and its JSON Schema once; the problems they raise and their messages; the base models."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Annotated, Any, get_args

from annotated_types import GroupedMetadata
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
from app.domain.refusals import BY_CODE
from app.errors import Refusal

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


@dataclass(frozen=True)
class Checked(GroupedMetadata):
    """A field's check and its JSON Schema, for ``Annotated[type, Checked(...)]``.

    The factories below return one, so a model states its field as
    ``name: Annotated[str, Text(Project.name)]``: a type mypy reads, and the check pydantic runs.
    """

    check: Callable[[Any], Any]
    json_schema: dict[str, Any]

    @property
    def validator(self) -> PlainValidator:
        return PlainValidator(self.check)

    @property
    def schema(self) -> WithJsonSchema:
        return WithJsonSchema(self.json_schema)

    def __iter__(self) -> Iterator[object]:
        yield self.validator
        yield self.schema


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
) -> Checked:
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
    return Checked(check, schema)


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


def IdField(*, required: bool = True, query: bool = False) -> Checked:
    """An id the database can hold: 1 .. 2**31-1. In a ``query`` string it is text, and only
    a parameter left out is absent."""

    def check(value: Any) -> int | None:
        if _absent(value) and not query:
            if required:
                raise _problem("required")
            return None
        return _whole_number(value, query)

    schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return Checked(check, schema if required or query else _optional(schema))


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


def DayField(*, required: bool = True, query: bool = False) -> Checked:
    """A date YYYY-MM-DD in EARLIEST_DAY .. LATEST_DAY (app.domain.limits)."""

    def check(value: Any) -> date | None:
        if _absent(value) and not query:
            if required:
                raise _problem("required")
            return None
        return _day(value)

    schema = _DATE_SCHEMA if required or query else _optional(_DATE_SCHEMA)
    return Checked(check, schema)


def ClockField(*, required: bool = True) -> Checked:
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
    return Checked(check, schema if required else _optional(schema))


def MomentField(*, required: bool = True) -> Checked:
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
    return Checked(check, schema if required else _optional(schema))


def _values(choices: type[Enum] | Any) -> list[str]:
    if isinstance(choices, type) and issubclass(choices, Enum):
        return [str(member.value) for member in choices]
    return list(get_args(choices))  # a Literal


def Choice(choices: type[Enum] | Any, *, default: Any = None) -> Checked:
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
    return Checked(check, schema)


def OptionalChoice(choices: type[Enum] | Any) -> Checked:
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
    return Checked(check, schema)


def Flag() -> Checked:
    """true or false; left out or null: false."""

    def check(value: Any) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise _problem("boolean")
        return value

    return Checked(check, {"anyOf": [{"type": "boolean"}, {"type": "null"}]})


def QueryChoice(options: list[str]) -> Checked:
    """In a query string: one of ``options``, or left out (None)."""

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in options:
            raise _problem("choice", options=", ".join(options))
        return value

    return Checked(check, {"type": "string", "enum": options})


def QueryAction() -> Checked:
    """In a query string: an audit action (``session.cancel``) or its kind (``session``)."""
    pattern = "^[a-z_]{1,30}(?:\\.[a-z_]{1,30}){0,2}$"

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(pattern.strip("^$"), value):
            raise _problem("invalid")
        return value

    return Checked(check, {"type": "string", "pattern": pattern})


def OptionalCount(maximum: int) -> Checked:
    """In a JSON body: a whole number from 1 to ``maximum``, or left out / null (None)."""
    inner = CountField(maximum).check
    schema = {"type": "integer", "minimum": 1, "maximum": maximum}

    def check(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, str):
            raise _problem("whole_number")
        return inner(value)

    return Checked(check, {"anyOf": [schema, {"type": "null"}]})


def CountField(maximum: int) -> Checked:
    """In a query string: a whole number from 1 to ``maximum`` (a page, a page size)."""

    def check(value: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _problem("whole_number")
        if not 1 <= value <= maximum:
            raise _problem("id_range", max=maximum)
        return value

    return Checked(check, {"type": "integer", "minimum": 1, "maximum": maximum})


def TextList(max_length: Any) -> Checked:
    """A list of one-line texts (null or left out: an empty list)."""
    item = Text(max_length)
    item_check = item.check
    item_schema = item.json_schema

    def check(value: Any) -> list[str]:
        if _absent(value) or value == []:
            return []
        if not isinstance(value, list):
            raise _problem("list")
        return [item_check(v) for v in value]

    schema = _optional({"type": "array", "items": item_schema})
    return Checked(check, schema)


def IdList() -> Checked:
    """A list of ids (null or left out: an empty list); each one as ``IdField`` checks it."""
    item = IdField()
    item_check = item.check
    item_schema = item.json_schema

    def check(value: Any) -> list[int]:
        if _absent(value) or value == []:
            return []
        if not isinstance(value, list):
            raise _problem("list")
        return [item_check(v) for v in value]

    schema = _optional({"type": "array", "items": item_schema, "maxItems": 1000})
    return Checked(check, schema)


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

    # One of the catalogue's codes (app.domain.refusals), each with one status everywhere.
    error: Annotated[str, WithJsonSchema({"type": "string", "enum": sorted(BY_CODE)})]
    message: str
    field: str | None = None
