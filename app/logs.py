"""Logs: Flask's plain default, or with ``LOG_FORMAT = "json"`` one JSON object per line on
stderr (python-json-logger), with a line per request, for a log collector to parse."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"
_MARK = "_aanwezig_json"


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
    )


def configure_json_logging(level: str = "INFO") -> None:
    """Route every log record through one JSON handler on stderr (once per process)."""
    root = logging.getLogger()
    if not any(getattr(handler, _MARK, False) for handler in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(json_formatter())
        setattr(handler, _MARK, True)
        root.handlers[:] = [handler]
    root.setLevel(level)


def init_logging(app: Flask) -> None:
    if str(app.config.get("LOG_FORMAT", "text")).lower() != "json":
        return
    configure_json_logging(str(app.config.get("LOG_LEVEL", "INFO")).upper())
    # Flask's own handler would print the app's records a second time, as text.
    app.logger.handlers.clear()
    app.logger.propagate = True
    app.before_request(_start)
    app.after_request(_access_line)


_access = logging.getLogger("aanwezig.access")


def _start() -> None:
    g.log_started = time.perf_counter()


def _access_line(response: Response) -> Response:
    started = g.get("log_started")
    _access.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "endpoint": request.endpoint,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "remote_addr": request.remote_addr,
        },
    )
    return response
