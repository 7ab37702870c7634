"""The OpenAPI description of the devices endpoints, merged into /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

SCHEMAS: dict[str, Any] = {
    "PairingRequest": {
        "type": "object",
        "required": ["token"],
        "properties": {
            "token": {"type": "string", "minLength": 1, "maxLength": 200},
            "device_name": {"type": "string", "maxLength": 120},
        },
    },
    "PairingResult": {
        "type": "object",
        "required": ["token", "device_name", "user"],
        "properties": {
            "token": {"type": "string", "description": "The scanner's own API token"},
            "device_name": {"type": "string"},
            "user": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/devices/pair": {
        "post": {
            "summary": "Exchange a pairing token (from the QR code on the tokens page) for the "
            "scanner's own API token",
            "description": "Authenticated by the pairing token in the body; it works once and "
            "for a few minutes. Refusal codes: pairing_unknown, pairing_used, pairing_expired.",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/PairingRequest"}}
                },
            },
            "responses": {
                "201": {
                    "description": "Paired",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PairingResult"}
                        }
                    },
                },
                "400": {"description": "Malformed request", **_ERROR},
                "401": {"description": "Pairing token unknown, used or expired", **_ERROR},
                "413": {"description": "Request too large", **_ERROR},
                "429": {"description": "Too many attempts", **_ERROR},
            },
        }
    }
}
