"""Every CRM model, imported here so ``Base.metadata`` is complete for Alembic and tests."""

from tickets.models.customers import CONTACT_KINDS, TIERS, Asset, ContactPoint, Customer
from tickets.models.interactions import CHANNELS, DIRECTIONS, Interaction
from tickets.models.ivr_journeys import IvrJourney
from tickets.models.tickets import (
    FOLLOW_UP_STATUSES,
    OPEN_STATUSES,
    PRIORITIES,
    SEVERITIES,
    TICKET_STATUSES,
    TICKET_TYPES,
    FollowUpTask,
    Notification,
    Ticket,
    TicketChange,
    TicketComment,
    ticket_interactions,
)
from tickets.models.types import UTCDateTime, utcnow

__all__ = [
    "CHANNELS",
    "CONTACT_KINDS",
    "DIRECTIONS",
    "FOLLOW_UP_STATUSES",
    "OPEN_STATUSES",
    "PRIORITIES",
    "SEVERITIES",
    "TICKET_STATUSES",
    "TICKET_TYPES",
    "TIERS",
    "Asset",
    "ContactPoint",
    "Customer",
    "FollowUpTask",
    "Interaction",
    "IvrJourney",
    "Notification",
    "Ticket",
    "TicketChange",
    "TicketComment",
    "UTCDateTime",
    "ticket_interactions",
    "utcnow",
]
