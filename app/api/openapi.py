"""Each API route declares its schemas once (``@endpoint``); the same declaration parses the
request, shapes the answer and writes the route into the OpenAPI document.

``GET /api/v1/openapi.json`` is built from the routes themselves, so a route without a
declaration is missing from it (and a test says so), and a constraint cannot be described
differently from how it is checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from werkzeug.exceptions import BadRequest

from app.api import bp, idempotency, schemas
from app.domain.limits import MAX_ID
from app.domain.refusals import Reason
from app.errors import Refusal
from app.json_strict import is_non_standard

# Deeper than any of our bodies by far, shallow enough to walk without recursion trouble.
MAX_JSON_DEPTH = 20
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unreadable_text(field: str | None) -> Refusal:
    details = {"field": field} if field else {}
    return Refusal(
        "invalid_json",
        _l("The request body holds a lone surrogate (such as \\ud800), which is not text."),
        status=400,
        **details,
    )


def read_json() -> Any:
    """The JSON body, or a clear 400: not JSON, unreadable, nested too deep, or holding text
    that is not text (a lone surrogate, which no database or reader can take)."""
    if not request.is_json:
        raise schemas.body_refusal()
    try:
        data = request.get_json()
    except (BadRequest, RecursionError) as exc:
        if is_non_standard(exc):
            raise Refusal(
                "invalid_json",
                _l(
                    "The request body holds NaN, Infinity or a number too large, which JSON "
                    "does not know."
                ),
                status=400,
            ) from None
        # RecursionError: JSON nested some thousands deep, which the parser cannot follow.
        raise schemas.body_refusal() from None
    stack: list[tuple[Any, int, str | None]] = [(data, 0, None)]
    while stack:
        value, depth, top = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise Refusal(
                "invalid_json",
                _l(
                    "The request body is nested too deeply (at most %(n)s levels).",
                    n=MAX_JSON_DEPTH,
                ),
                status=400,
            )
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise _unreadable_text(top)
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    raise _unreadable_text(top)
                stack.append((item, depth + 1, top if depth else key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, top) for item in value)
    return data


def _is_file(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "binary" or any(_is_file(s) for s in schema.get("anyOf", []))


def _is_array(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or any(_is_array(s) for s in schema.get("anyOf", []))


def read_form(model: type[BaseModel]) -> dict[str, Any]:
    """A ``multipart/form-data`` body, as the values ``model`` reads: every value of a field
    that is a list, the uploaded file of a binary field (werkzeug's ``FileStorage``; a text
    part in its place is given as text, which the field refuses), one value of the others."""
    if request.mimetype != "multipart/form-data":
        raise Refusal(
            "invalid_request",
            _l("The request body must be multipart/form-data."),
            status=400,
        )
    data: dict[str, Any] = {}
    for name, schema in model.model_json_schema()["properties"].items():
        if _is_file(schema) and name in request.files:
            data[name] = request.files[name]
        elif _is_array(schema):
            if values := request.form.getlist(name):
                data[name] = values
        elif name in request.form:
            data[name] = request.form[name]
    return data


# --- The declaration -------------------------------------------------------------------------

REFUSALS = {
    400: "Malformed request: not a JSON object, or a field missing or invalid (named in `field`)",
    401: "No bearer token, or an unknown or revoked one",
    403: "Not allowed for this user's role or branch",
    404: "Unknown, or out of the caller's scope",
    409: "Conflicts with what is stored (or with a request changing the same thing at once)",
    413: "The request body is too large",
    422: "Refused by a rule (see the refusal codes)",
    503: "The database is busy or unreachable; nothing was saved",
}


@dataclass
class Operation:
    summary: str
    ok: dict[int, tuple[type[BaseModel], str]]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    refusals: dict[int, str] = field(default_factory=dict)
    description: str = ""
    public: bool = False
    idempotent: bool = False
    # The body as multipart/form-data (with a file) instead of JSON.
    form: bool = False
    # A file to download, in one of these media types, instead of a JSON answer.
    download: tuple[str, ...] = ()


def endpoint(
    ok: type[BaseModel] | dict[int, tuple[type[BaseModel], str]],
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    refuses: dict[int, str] | None = None,
    status: int = 200,
    description: str = "",
    public: bool = False,
    idempotent: bool | None = None,
    form: bool = False,
    download: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route's schemas. The view gets ``body=`` and ``query=`` parsed, and returns
    an answer model (or ``(model, status)``), which is written as JSON. With ``form`` the
    body is read from ``multipart/form-data`` (a file upload) by the same schema; with
    ``download`` (its media types) the view answers a file (a ``Response``) instead."""
    answers = ok if isinstance(ok, dict) else {status: (ok, "OK" if status == 200 else "Created")}
    refusals = dict(refuses or {})
    if not public:
        refusals.setdefault(401, REFUSALS[401])
        refusals.setdefault(503, REFUSALS[503])
    if body is not None:
        refusals.setdefault(400, REFUSALS[400])
        refusals.setdefault(413, REFUSALS[413])
        refusals.setdefault(409, REFUSALS[409])
    if query is not None:
        refusals.setdefault(400, REFUSALS[400])
    # A POST that creates (a 201 among its answers) takes an Idempotency-Key.
    if idempotent is None:
        idempotent = body is not None and 201 in answers and not public
    if idempotent:
        refusals.setdefault(
            422,
            "The Idempotency-Key was used for another request (idempotency_key_reused)",
        )
    operation = Operation(
        summary,
        answers,
        body,
        query,
        refusals,
        description,
        public,
        bool(idempotent),
        form,
        download,
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def answer(**path: Any) -> ResponseReturnValue:
            key = idempotency.key_of(request) if idempotent else None
            if key is not None:
                replayed = idempotency.begin(key)
                if replayed is not None:
                    return replayed
            if body is not None:
                path["body"] = schemas.parse(body, read_form(body) if form else read_json())
            if query is not None:
                path["query"] = schemas.parse(query, request.args.to_dict())
            result = view(**path)
            if isinstance(result, Response):
                return result
            model, code = result if isinstance(result, tuple) else (result, status)
            data = model.model_dump(mode="json")
            if key is not None:
                idempotency.finish(key, code, data)
            response = jsonify(data)
            version = getattr(model, "version", None)
            if isinstance(version, str) and version:
                response.headers["ETag"] = f'"{version}"'
            return response, code

        # On the function itself: functools.wraps copies it onto any decorator put around the
        # view later (the rate limits), where the document finds it; mypy knows no such field.
        answer.operation = operation  # type: ignore[attr-defined]
        return answer

    return decorate


# --- The document ----------------------------------------------------------------------------

_PATH_ID = re.compile(r"<(?:int:)?(\w+)>")


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _describe(operation: Operation, path_ids: list[str]) -> dict[str, Any]:
    described: dict[str, Any] = {"summary": operation.summary}
    if operation.description:
        described["description"] = operation.description
    if operation.public:
        described["security"] = []
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
        for name in path_ids
    ]
    if operation.query is not None:
        properties = operation.query.model_json_schema()["properties"]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": info.is_required(),
                "schema": {
                    k: v for k, v in properties[name].items() if k not in ("title", "default")
                },
            }
            for name, info in operation.query.model_fields.items()
        ]
    if parameters:
        described["parameters"] = parameters
    if operation.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Sent again with the same request, answers what the first "
                "answered and creates nothing more",
                "schema": idempotency.KEY_SCHEMA,
            }
        )
        described["parameters"] = parameters
    if operation.body is not None and operation.form:
        described["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": _ref(operation.body)}},
        }
    elif operation.body is not None:
        described["requestBody"] = {"required": True, **_json(_ref(operation.body))}
    refusals = dict(operation.refusals)
    if path_ids:
        refusals.setdefault(404, REFUSALS[404])
    downloads = (
        {
            "200": {
                "description": "The file",
                "content": {
                    kind: {"schema": {"type": "string", "format": "binary"}}
                    for kind in operation.download
                },
            }
        }
        if operation.download
        else {}
    )
    described["responses"] = {
        **downloads,
        **{
            str(code): {"description": text, **_json(_ref(model))}
            for code, (model, text) in sorted(operation.ok.items())
        },
        **{
            str(code): {"description": text, **_json(_ref(schemas.Error))}
            for code, text in sorted(refusals.items())
        },
    }
    return described


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of every declared route under /api/v1."""
    paths: dict[str, dict[str, Any]] = {}
    models: dict[type[BaseModel], JsonSchemaMode] = {schemas.Error: "serialization"}
    prefix = bp.url_prefix or ""
    for rule in current_app.url_map.iter_rules():
        # Every declared route under the prefix: the API blueprint's, and the pairing
        # endpoint's (app/devices), which authenticates on its own.
        if not rule.rule.startswith(prefix + "/"):
            continue
        operation: Operation | None = getattr(
            current_app.view_functions[rule.endpoint], "operation", None
        )
        if operation is None:
            continue
        path = _PATH_ID.sub(r"{\1}", rule.rule[len(prefix) :])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _describe(
                operation, _PATH_ID.findall(rule.rule)
            )
        if operation.body is not None:
            models[operation.body] = "validation"
        for model, _text in operation.ok.values():
            models[model] = "serialization"
    _refs, definitions = models_json_schema(
        list(models.items()),
        ref_template="#/components/schemas/{model}",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Aanwezig API",
            "version": "1",
            "description": "Every refusal is a JSON `Error` in the language of "
            "Accept-Language (Dutch by default). Its `error` is a code of the catalogue, "
            "`x-refusals`, which gives each code's status: the same wherever it is answered.",
        },
        "x-refusals": {member.value: member.status for member in Reason},
        "servers": [{"url": prefix}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": definitions.get("$defs", {}),
        },
        "paths": dict(sorted(paths.items())),
    }


class OpenApiDocument(schemas.Answer):
    """This document (OpenAPI 3.1)."""

    model_config = {"extra": "allow"}
    openapi: str


@bp.get("/openapi.json")
@endpoint(OpenApiDocument, summary="This OpenAPI description", public=True)
def openapi() -> OpenApiDocument:
    # The routes do not change while the application runs: build the document once.
    built = current_app.extensions.get("aanwezig_openapi")
    if built is None:
        built = current_app.extensions["aanwezig_openapi"] = OpenApiDocument(**document())
    return built
