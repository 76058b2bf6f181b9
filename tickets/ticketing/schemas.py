"""Request and response bodies of the tickets API, one schema per use."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tickets.text import HumanText
from tickets.workflow.vocab import Priority, Severity, Status, TicketType

Text500 = Annotated[str, Field(min_length=1, max_length=500)]
Name64 = Annotated[str, Field(min_length=1, max_length=64)]
Channel = Literal["phone", "web", "email"]

REPAIR_FIELDS = ("asset_id", "fault", "appointment_start", "appointment_end", "technician", "parts_used")
COMPLAINT_FIELDS = ("severity", "compensation", "compensation_amount")


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


class _In(HumanText):
    MULTILINE = frozenset({"description", "fault", "compensation", "body", "comment", "outcome", "notes"})
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _TicketFields(_In):
    """Fields shared by create and update (everything optional here)."""

    description: Annotated[str, Field(max_length=20_000)] | None = None
    category: Name64 | None = None
    channel: Channel | None = None
    priority: Priority | None = None
    assignee: Name64 | None = None
    team: Name64 | None = None
    # repair
    asset_id: int | None = None
    fault: Annotated[str, Field(max_length=5_000)] | None = None
    appointment_start: AwareDatetime | None = None  # a time without a zone is refused (422)
    appointment_end: AwareDatetime | None = None
    technician: Annotated[str, Field(max_length=128)] | None = None
    parts_used: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = None
    # complaint
    compensation: Annotated[str, Field(max_length=5_000)] | None = None
    compensation_amount: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = None

    @field_validator("appointment_start", "appointment_end")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @field_validator("appointment_end")
    @classmethod
    def _window(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("appointment_start")
        if value is not None and start is not None and value <= start:
            raise ValueError("must be after appointment_start")
        return value


class _CreateHead(_In):
    type: TicketType
    customer_id: int
    subject: Text500


class TicketCreate(_TicketFields, _CreateHead):
    """A new ticket; repair and complaint fields are accepted only on tickets of that type."""

    interaction_id: int | None = None  # the call or contact this ticket comes from
    severity: Severity | None = Field(default=None, validate_default=True)

    @field_validator(*REPAIR_FIELDS)
    @classmethod
    def _repair_only(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type")
        if value is not None and kind is not None and kind is not TicketType.REPAIR:
            raise ValueError("only for repair tickets")
        return value

    @field_validator("compensation", "compensation_amount")
    @classmethod
    def _complaint_only(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type")
        if value is not None and kind is not None and kind is not TicketType.COMPLAINT:
            raise ValueError("only for complaint tickets")
        return value

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: Severity | None, info: ValidationInfo) -> Severity | None:
        kind = info.data.get("type")
        if kind is TicketType.COMPLAINT and value is None:
            raise ValueError("required for complaint tickets")
        if kind is not None and kind is not TicketType.COMPLAINT and value is not None:
            raise ValueError("only for complaint tickets")
        return value


Version = Annotated[int, Field(ge=1, le=2**31 - 1, description=(
    "the version of the record the change was made from; another change since then is 409 "
    "version-conflict with the current state"))]


class TicketUpdate(_TicketFields):
    """A partial edit; only the fields present are changed (``null`` clears a field).

    The status changes through ``POST /tickets/{id}/transitions``, never here.
    """

    subject: Text500 | None = None
    severity: Severity | None = None
    version: Version | None = None


class TransitionRequest(_In):
    to: Status
    comment: Annotated[str, Field(min_length=1, max_length=20_000)] | None = None
    internal: bool = False
    assignee: Name64 | None = None
    version: Version | None = None


class CommentCreate(_In):
    body: Annotated[str, Field(min_length=1, max_length=20_000)]
    internal: bool = False


class FollowUpComplete(_In):
    outcome: Annotated[str, Field(min_length=1, max_length=5_000)]
    status: Literal["done", "failed"] = "done"
    satisfaction: Annotated[int, Field(ge=1, le=5)] | None = None
    notes: Annotated[str, Field(max_length=5_000)] | None = None
    interaction_id: int | None = None  # the follow-up call, which gets the satisfaction as survey score
    version: Version | None = None


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TicketPublic(_Out):
    id: int
    number: str
    type: str
    status: str
    priority: str
    customer_id: int
    subject: str
    description: str | None
    category: str | None
    channel: str | None
    assignee: str | None
    team: str | None
    sla_due_at: datetime | None
    sla_breached_at: datetime | None
    escalation_level: int
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_count: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    asset_id: int | None
    fault: str | None
    appointment_start: datetime | None
    appointment_end: datetime | None
    technician: str | None
    parts_used: list[str] | None
    severity: str | None
    compensation: str | None
    compensation_amount: Decimal | None
    version: int


class CommentPublic(_Out):
    id: int
    ticket_id: int
    author: str
    body: str
    internal: bool
    created_at: datetime


class ChangePublic(_Out):
    id: int
    actor: str
    at: datetime
    field: str
    old_value: str | None
    new_value: str | None


class TicketDetail(TicketPublic):
    comments: list[CommentPublic]
    interaction_ids: list[int]
    allowed_transitions: list[str]


class TicketPage(BaseModel):
    items: list[TicketPublic]
    total: int
    limit: int
    offset: int


class FollowUpPublic(_Out):
    id: int
    ticket_id: int | None
    customer_id: int
    kind: str
    due_at: datetime
    status: str
    assignee: str | None
    outcome: str | None
    satisfaction: int | None
    notes: str | None
    completed_at: datetime | None
    created_at: datetime
    version: int


class FollowUpPage(BaseModel):
    items: list[FollowUpPublic]
    total: int
    limit: int
    offset: int


class NotificationPublic(_Out):
    id: int
    recipient: str
    kind: str
    ticket_id: int | None
    message: str
    created_at: datetime
    read_at: datetime | None
