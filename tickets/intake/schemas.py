"""Bodies of the web intake endpoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from tickets.contacts import normalize_email
from tickets.errors import InvalidInput
from tickets.phones import normalize_phone
from tickets.text import HumanText

IntakeKind = Literal["contact", "inquiry", "repair", "complaint"]


def _normalised(normalize: Callable[..., str], value: str | None, field: str) -> str | None:
    """``normalize(value)``; its InvalidInput becomes the ValueError pydantic reports on ``field``."""
    if not value:
        return None
    try:
        return normalize(value, field=field)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc


class WebIntake(HumanText):
    """A website's contact request or complaint. ``phone`` (any format; E.164 after validation) and/or
    ``email`` must be given. ``reference`` is the website's own id of the submission: sending the
    same reference again returns the first result instead of a second ticket."""

    MULTILINE = frozenset({"message"})

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    kind: IntakeKind = "contact"
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    message: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    callback_at: datetime | None = Field(
        None, description="When the customer would like to be called back (ISO 8601; no zone = UTC)."
    )
    callback_window: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="Free text, e.g. '工作日 18:00 以后' or 'weekday mornings'."
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")] | None = None
    reference: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _normalised(normalize_phone, value, "phone")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return _normalised(normalize_email, value, "email")

    @field_validator("callback_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class WebIntakeResult(BaseModel):
    ticket_number: str
    ticket_id: int
    customer_id: int
    interaction_id: int
    follow_up_id: int | None = None
    customer_created: bool
    duplicate: bool = False
