"""The one error base of the domain packages, mapped once to HTTP by the API layer."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused request with a stable ``error_id`` that clients can rely on."""

    status_code = 400
    error_id = "bad-request"

    def __init__(self, message: str, *, error_id: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if error_id is not None:
            self.error_id = error_id
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error_id": self.error_id, "message": self.message, "details": self.details}


class NotFound(DomainError):
    status_code = 404
    error_id = "not-found"


class Conflict(DomainError):
    """The request contradicts the current state (an illegal transition, a duplicate)."""

    status_code = 409
    error_id = "conflict"


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a domain rule; ``details['field']`` names the field."""

    status_code = 422
    error_id = "invalid-input"


class Forbidden(DomainError):
    status_code = 403
    error_id = "forbidden"
