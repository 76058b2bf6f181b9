"""Reading a login request body: an OAuth2 password form or a JSON object, validated the same way."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from agent_console.auth.schemas import LoginRequest

MAX_BODY_BYTES = 16 * 1024
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {"schema": {**LoginRequest.model_json_schema(), "title": "OAuth2 password form"}},
            JSON: {"schema": LoginRequest.model_json_schema()},
        },
    }
}


async def read_login(request: Request) -> LoginRequest:
    """The credentials of a token request; 415 for other content types, 422 naming the bad field."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (FORM, JSON):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"send the credentials as {FORM} or {JSON}"
        )
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "login request too large")
    try:
        if content_type == JSON:
            data: Any = json.loads(body or b"null")
        else:
            data = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body",), "msg": "malformed request body", "input": None}]
        ) from exc
    try:
        return LoginRequest.model_validate(data)
    except ValidationError as exc:
        # located like FastAPI's own body errors; the error handler masks the password input
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc
