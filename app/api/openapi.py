"""The OpenAPI 3 description served at /api/v1/openapi.json (checked against the routes)."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, **_json(schema)}


ERRORS = {
    "400": {"description": "Malformed request", **_json(_ref("Error"))},
    "401": {"description": "Missing or unknown token", **_json(_ref("Error"))},
    "403": {"description": "Not allowed for this user", **_json(_ref("Error"))},
    "404": {"description": "Unknown or out of scope", **_json(_ref("Error"))},
}


def _list(name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}}}


def _path_id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}]


def _collection(name: str, create: str, summary: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"List {summary} in scope",
            "responses": {"200": _ok(_list(name)), **ERRORS},
        },
        "post": {
            "summary": f"Create a {summary[:-1]}",
            "requestBody": {"required": True, **_json(_ref(create))},
            "responses": {"201": _ok(_ref(name), "Created"), **ERRORS},
        },
    }


def _item(name: str, param: str) -> dict[str, Any]:
    return {"get": {"parameters": _path_id(param), "responses": {"200": _ok(_ref(name)), **ERRORS}}}


S = {"type": "string"}
INT = {"type": "integer"}
T = {"type": "string", "pattern": "^\\d{2}:\\d{2}$"}
D = {"type": "string", "format": "date"}
DT = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": S, "message": S, "field": S},
    },
    "Project": {"type": "object", "properties": {"id": INT, "name": S, "number": S, "branch": S}},
    "ProjectCreate": {
        "type": "object",
        "required": ["name", "number"],
        "properties": {"name": S, "number": S, "branch": S},
    },
    "Training": {
        "type": "object",
        "properties": {
            "id": INT,
            "project_id": INT,
            "name": S,
            "code": S,
            "mode": {"type": "string", "enum": ["classroom", "e-learning"]},
            "trainers": {"type": "array", "items": S},
        },
    },
    "TrainingCreate": {
        "type": "object",
        "required": ["project_id", "name"],
        "properties": {
            "project_id": INT,
            "name": S,
            "code": S,
            "mode": {"type": "string", "enum": ["classroom", "e-learning"]},
            "trainers": {"type": "array", "items": S},
        },
    },
    "Session": {
        "type": "object",
        "properties": {
            "id": INT,
            "training_id": INT,
            "training_name": S,
            "date": D,
            "start": T,
            "end": T,
            "break_start": {**T, "nullable": True},
            "break_end": {**T, "nullable": True},
            "location": S,
            "trainer_email": {**S, "nullable": True},
            "status": {
                "type": "string",
                "enum": ["planned", "in_progress", "executed", "submitted"],
            },
            "reopened": {"type": "boolean"},
            "scan_opens": DT,
            "deadline": DT,
        },
    },
    "SessionCreate": {
        "type": "object",
        "required": ["training_id", "date", "start", "end"],
        "properties": {
            "training_id": INT,
            "date": D,
            "start": T,
            "end": T,
            "break_start": T,
            "break_end": T,
            "location": S,
            "trainer_email": S,
        },
    },
    "Participant": {
        "type": "object",
        "properties": {
            "id": INT,
            "name": S,
            "email": S,
            "national_number": {**S, "nullable": True, "description": "masked"},
            "key_version": INT,
        },
    },
    "ParticipantCreate": {
        "type": "object",
        "required": ["name", "email"],
        "properties": {"name": S, "email": S, "national_number": S, "branch": S},
    },
    "EnrolmentCreate": {
        "type": "object",
        "required": ["participant_id"],
        "properties": {"participant_id": INT},
    },
    "Enrolment": {
        "type": "object",
        "properties": {
            "id": INT,
            "session_id": INT,
            "participant_id": INT,
            "created": {"type": "boolean"},
        },
    },
    "Roster": {
        "type": "object",
        "properties": {
            "session": _ref("Session"),
            "participants": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": INT,
                        "name": S,
                        "key_version": INT,
                        "state": {"type": "string", "enum": ["in", "out"]},
                        "last_at": {**DT, "nullable": True},
                    },
                },
            },
        },
    },
    "Registration": {
        "type": "object",
        "properties": {
            "id": INT,
            "session_id": INT,
            "participant_id": INT,
            "kind": {"type": "string", "enum": ["in", "out"], "nullable": True},
            "at": {**DT, "nullable": True},
            "received_at": DT,
            "source": S,
            "nonce": S,
            "voids_id": {**INT, "nullable": True},
            "reason": {**S, "nullable": True},
            "user_id": {**INT, "nullable": True},
            "token_id": {**INT, "nullable": True},
        },
    },
    "ScanRequest": {
        "type": "object",
        "required": ["session_id", "code", "nonce"],
        "properties": {
            "session_id": INT,
            "code": S,
            "nonce": {"type": "string", "maxLength": 64},
            "scanned_at": DT,
            "direction": {"type": "string", "enum": ["auto", "in", "out"], "default": "auto"},
        },
    },
    "ScanResult": {
        "type": "object",
        "properties": {
            "direction": {"type": "string", "enum": ["in", "out"]},
            "participant": {"type": "object", "properties": {"id": INT, "name": S}},
            "at": {
                **DT,
                "description": "In UTC: the registration's time, or for a repeat the time of "
                "the registration it repeats.",
            },
            "repeat": {"type": "boolean"},
        },
    },
    "AttendanceRow": {
        "type": "object",
        "properties": {
            "participant_id": INT,
            "name": S,
            **{
                key: {"type": "number"}
                for key in (
                    "planned_hours",
                    "exempted_hours",
                    "late_enrolment_hours",
                    "counting_hours",
                    "present_hours",
                    "justified_hours",
                    "unjustified_hours",
                    "incomplete_hours",
                    "attendance_percent",
                )
            },
            "exam_eligible": {"type": "boolean"},
            "paid_leave": {"type": "boolean"},
            "keeps_paid_leave": {"type": "boolean", "nullable": True},
            "at_risk": {"type": "string", "description": "comma-separated: exam, paid_leave"},
        },
    },
    "PublicKey": {"type": "object", "properties": {"algorithm": S, "public_key_pem": S}},
    "Code": {"type": "object", "properties": {"code": S, "key_version": INT}},
}

SCAN_REFUSALS = (
    "invalid_code, revoked_code, not_enrolled, unknown_session, too_early, "
    "registration_closed, future_time, forbidden, invalid_request, invalid_json"
)

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Aanwezig API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
    },
    "paths": {
        "/projects": _collection("Project", "ProjectCreate", "projects"),
        "/projects/{project_id}": _item("Project", "project_id"),
        "/trainings": _collection("Training", "TrainingCreate", "trainings"),
        "/trainings/{training_id}": _item("Training", "training_id"),
        "/trainings/{training_id}/attendance": {
            "get": {
                "summary": "Attendance figures per participant",
                "parameters": _path_id("training_id"),
                "responses": {
                    "200": _ok(
                        {
                            "type": "object",
                            "properties": {
                                "training_id": INT,
                                "items": {"type": "array", "items": _ref("AttendanceRow")},
                            },
                        }
                    ),
                    **ERRORS,
                },
            }
        },
        "/sessions": {
            **_collection("Session", "SessionCreate", "sessions"),
            "get": {
                "summary": "List sessions in scope",
                "parameters": [
                    {"name": "date", "in": "query", "schema": D},
                    {"name": "training_id", "in": "query", "schema": INT},
                ],
                "responses": {"200": _ok(_list("Session")), **ERRORS},
            },
        },
        "/sessions/{session_id}": _item("Session", "session_id"),
        "/sessions/{session_id}/roster": _item("Roster", "session_id"),
        "/sessions/{session_id}/registrations": {
            "get": {
                "parameters": _path_id("session_id"),
                "responses": {"200": _ok(_list("Registration")), **ERRORS},
            }
        },
        "/sessions/{session_id}/enrolments": {
            "get": {
                "parameters": _path_id("session_id"),
                "responses": {"200": _ok(_list("Participant")), **ERRORS},
            },
            "post": {
                "parameters": _path_id("session_id"),
                "requestBody": {"required": True, **_json(_ref("EnrolmentCreate"))},
                "responses": {
                    "201": _ok(_ref("Enrolment"), "Enrolled"),
                    "200": _ok(_ref("Enrolment"), "Already enrolled"),
                    **ERRORS,
                },
            },
        },
        "/participants": _collection("Participant", "ParticipantCreate", "participants"),
        "/participants/{participant_id}": _item("Participant", "participant_id"),
        "/participants/{participant_id}/code": _item("Code", "participant_id"),
        "/scans": {
            "post": {
                "summary": "Register a scan (check-in or check-out)",
                "description": "Refusal codes: "
                + SCAN_REFUSALS
                + ". The same nonce sent again returns the same answer and records nothing.",
                "requestBody": {"required": True, **_json(_ref("ScanRequest"))},
                "responses": {
                    "200": _ok(_ref("ScanResult")),
                    "422": {"description": "Scan refused", **_json(_ref("Error"))},
                    **ERRORS,
                },
            }
        },
        "/qr/public-key": {"get": {"responses": {"200": _ok(_ref("PublicKey")), **ERRORS}}},
        "/openapi.json": {
            "get": {"security": [], "responses": {"200": {"description": "This document"}}}
        },
    },
}

# The pairing endpoint lives in its own blueprint (app/devices: authenticated by the pairing
# token, not an API token) but under /api/v1, so it is described here too.
from app.devices.openapi import PATHS as _DEVICE_PATHS  # noqa: E402
from app.devices.openapi import SCHEMAS as _DEVICE_SCHEMAS  # noqa: E402

SPEC["paths"].update(_DEVICE_PATHS)
SPEC["components"]["schemas"].update(_DEVICE_SCHEMAS)
