"""The unified record's response."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from tickets.assets.schemas import AssetPublic
from tickets.customers.schemas import CustomerBrief, CustomerPublic
from tickets.interactions.schemas import InteractionPublic


class TicketSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    type: str
    status: str
    priority: str
    subject: str
    category: str | None
    assignee: str | None
    team: str | None
    sla_due_at: datetime | None
    escalation_level: int
    created_at: datetime
    updated_at: datetime


class FollowUpSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int | None
    kind: str
    due_at: datetime
    status: str
    assignee: str | None
    notes: str | None


class LastAgent(BaseModel):
    """The agent who last spoke with the customer, and when (from the interactions)."""

    agent: str
    at: datetime
    interaction_id: int
    channel: str


class RecordPublic(BaseModel):
    customer: CustomerPublic
    assets: list[AssetPublic]
    interactions: list[InteractionPublic]
    open_tickets: list[TicketSummary]
    follow_ups: list[FollowUpSummary]
    last_agent: LastAgent | None
    matched_phone: str | None = None
    other_matches: list[CustomerBrief] = []
