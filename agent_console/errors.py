"""Errors mapped to HTTP once, in one JSON shape: ``{"error_id", "message", "details"}``.

- ``tickets.errors.DomainError`` → its ``status_code``;
- request validation → 422 with ``details.errors = [{"field": "body.name", "reason": ...}]`` and
  FastAPI's standard ``detail`` list beside it;
- ``HTTPException`` (401, 403, 404, 429 ...) → its status, headers kept, ``detail`` kept too;
- anything else → 500 ``internal``, logged with its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    for error in raw:
        if isinstance(error, dict) and error.get("loc", ())[-1:] == ("password",):
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


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal", "internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
