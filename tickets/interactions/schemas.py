"""Interaction schemas, one per use."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from tickets.text import HumanText

Channel = Literal["phone", "web", "email"]
Direction = Literal["inbound", "outbound"]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Score = Annotated[int, Field(ge=1, le=5)]
MAX_CALL_SECONDS = 24 * 3600
"""No contact lasts longer: a duration beyond it (a call from year 1 answered in year 9999) is refused."""
Seconds = Annotated[int, Field(ge=0, le=MAX_CALL_SECONDS)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class InteractionCreate(HumanText):
    """A contact to record. Without ``customer_id`` the customer is found from ``address``
    (a phone number for calls, an e-mail address for e-mails) when one matches."""

    MULTILINE = frozenset({"notes"})

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    direction: Direction = "inbound"
    customer_id: int | None = Field(None, ge=1)
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None
    ) = None
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    started_at: AwareDatetime | None = None
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    queue: Short | None = None
    agent: Short | None = None
    ivr_path: list[Short] | None = None
    wait_seconds: Seconds | None = None
    talk_seconds: Seconds | None = None
    hold_seconds: Seconds | None = None
    wrapup_seconds: Seconds | None = None
    disposition: Short | None = None
    notes: str | None = Field(None, max_length=20_000)
    survey_score: Score | None = None
    recording_ref: Annotated[str, StringConstraints(max_length=500)] | None = None

    @field_validator("answered_at", "ended_at")
    @classmethod
    def _in_order(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        """started_at ≤ answered_at ≤ ended_at, for the times that are given, at most a day apart."""
        earlier = ("started_at", "answered_at") if info.field_name == "ended_at" else ("started_at",)
        for name in earlier:
            other = info.data.get(name)
            if value is not None and other is not None and value < other:
                raise ValueError(f"must not be before {name}")
            if value is not None and other is not None and (value - other).total_seconds() > MAX_CALL_SECONDS:
                raise ValueError(f"must be at most {MAX_CALL_SECONDS // 3600} h after {name}")
        return value


class InteractionUpdate(HumanText):
    """Wrap-up and after-the-fact details."""

    MULTILINE = frozenset({"notes"})

    model_config = ConfigDict(extra="forbid")

    customer_id: int | None = Field(None, ge=1)
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    disposition: Short | None = None
    notes: str | None = Field(None, max_length=20_000)
    survey_score: Score | None = None
    hold_seconds: Seconds | None = None
    wrapup_seconds: Seconds | None = None
    recording_ref: Annotated[str, StringConstraints(max_length=500)] | None = None
    agent: Short | None = None


class InteractionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int | None
    channel: str
    direction: str
    address: str | None
    external_id: str | None
    subject: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    queue: str | None
    agent: str | None
    ivr_path: list[str] | None
    wait_seconds: int | None
    talk_seconds: int | None
    hold_seconds: int | None
    wrapup_seconds: int | None
    disposition: str | None
    notes: str | None
    survey_score: int | None
    recording_ref: str | None
    hangup_cause: str | None
    legs: list[dict[str, Any]] | None = None
    merged_into: str | None = None
    created_at: datetime
