"""Errors mapped to HTTP once, in one JSON shape: ``{"error_id", "message", "details"}``.

- ``tickets.errors.DomainError`` → its ``status_code``;
- request validation → 422 with ``details.errors = [{"field": "body.name", "reason": ...}]`` and
  FastAPI's standard ``detail`` list beside it;
- ``HTTPException`` (401, 403, 404, 429 ...) → its status, headers kept, ``detail`` kept too;
- a value the database cannot take (an id beyond its integer range, a NUL character) → 422
  ``invalid-value`` naming the path or query parameter when it is one;
- a unique key that a concurrent request took first (``IntegrityError``, also at commit) → 409
  ``conflict``; a stale optimistic-concurrency version (``StaleDataError``) → 409
  ``version-conflict``;
- a database too busy to take the write in time (``DatabaseBusy``, SQLite's "database is locked")
  → 503 ``busy`` with ``Retry-After``;
- anything else → 500 ``internal``, logged with its traceback.

Refused inputs are echoed JSON-safe: at most 200 characters, infinities as text, lone surrogates
escaped (they cannot be encoded as UTF-8).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tickets.db import DatabaseBusy
from tickets.errors import DomainError

log = logging.getLogger(__name__)

HTTP_ERROR_IDS = {
    400: "bad-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "too-many-requests",
}


def error_body(error_id: str, message: str, details: Any = None, **extra: Any) -> dict[str, Any]:
    return {"error_id": error_id, "message": message, "details": details or {}, **extra}


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "contacts", 0, "value")`` → ``"body.contacts.0.value"``."""
    return ".".join(str(part) for part in loc)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(jsonable_encoder(exc.to_dict()), status_code=exc.status_code)


MAX_ECHOED_CHARS = 200


def _echoable(value: Any) -> Any:
    """The refused input as JSON can carry it: infinities as text, long strings cut short."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        if len(value) > MAX_ECHOED_CHARS:
            value = value[:MAX_ECHOED_CHARS] + "…"
        return json_safe_text(value)
    if isinstance(value, bytes):
        return _echoable(value.decode("utf-8", "backslashreplace"))
    if isinstance(value, dict):
        return {k: _echoable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_echoable(v) for v in value]
    return value


def json_safe_text(text: str) -> str:
    """``text`` with lone surrogates (``"\\ud800"``, valid JSON but not UTF-8) written as escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = [_echoable(dict(e)) if isinstance(e, dict) else e for e in exc.errors()]
    for error in raw:
        if isinstance(error, dict) and tuple(error.get("loc", ()))[-1:] == ("password",):
            error["input"] = "***"
    fields = [{"field": field_name(e.get("loc", ())), "reason": e.get("msg", "invalid")} for e in raw]
    message = "; ".join(f"{f['field']}: {f['reason']}" for f in fields) or "invalid request"
    body = error_body("validation-failed", message, {"errors": fields}, detail=raw)
    return JSONResponse(jsonable_encoder(body), status_code=422)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    error_id = getattr(exc, "error_id", None) or HTTP_ERROR_IDS.get(status) or f"http-{status}"
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    body = error_body(error_id, message, detail=exc.detail)
    return JSONResponse(jsonable_encoder(body), status_code=exc.status_code, headers=exc.headers)


# Ids are INTEGER columns: PostgreSQL's int4 is the narrowest range of the two backends.
MAX_DB_INT = 2**31 - 1


def _unstorable(value: str) -> bool:
    number = value.strip().lstrip("+-")
    return "\x00" in value or (number.isascii() and number.isdigit() and int(number) > MAX_DB_INT)


def busy_response(message: str, retry_after: int = 1) -> JSONResponse:
    """503 ``busy`` with ``Retry-After``: the request was not served; the same request may be retried."""
    return JSONResponse(
        error_body("busy", message, {"retry_after": retry_after}),
        status_code=503,
        headers={"Retry-After": str(retry_after)},
    )


async def _database_busy(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    return busy_response("the database is busy; retry shortly")


async def _stale_version(request: Request, exc: Exception) -> JSONResponse:
    log.info("stale version on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        error_body("version-conflict", "another change to this record came first; reload and retry"),
        status_code=409,
    )


def _is_locked(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


async def _database_value_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database refused (PostgreSQL ``DataError``, SQLite's ``OverflowError`` on a huge
    integer) came from the request: 422, not 500. A unique key taken by a concurrent request is 409,
    a locked SQLite 503."""
    cause = exc.orig if isinstance(exc, StatementError) else exc
    if isinstance(exc, IntegrityError):
        log.info("integrity conflict on %s %s: %s", request.method, request.url.path, cause)
        return JSONResponse(
            error_body("conflict", "a concurrent change conflicts with this one (a duplicate); retry"),
            status_code=409,
        )
    if _is_locked(exc):
        return await _database_busy(request, exc)
    if not isinstance(exc, DataError) and not isinstance(cause, OverflowError):
        return await _unhandled(request, exc)
    params = [("path", k, str(v)) for k, v in request.path_params.items()]
    params += [("query", k, v) for k, v in request.query_params.multi_items()]
    field = next((f"{where}.{name}" for where, name, value in params if _unstorable(value)), None)
    reason = "a number too large for an id or a NUL character"
    log.info("refused a value on %s %s: %s", request.method, request.url.path, type(cause).__name__)
    return JSONResponse(
        error_body("invalid-value", f"{field or 'request'}: {reason}", {"field": field, "reason": reason}),
        status_code=422,
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal", "internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(DatabaseBusy, _database_busy)
    app.add_exception_handler(StaleDataError, _stale_version)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StatementError, _database_value_error)
    app.add_exception_handler(OverflowError, _database_value_error)  # SQLite raises it unwrapped
    app.add_exception_handler(Exception, _unhandled)
