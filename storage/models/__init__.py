"""SQLAlchemy models, one module per concern: the directory, residents, tickets and delivery."""

from storage.models.base import Base, UTCDateTime
from storage.models.delivery import (
    TELEGRAM,
    Contact,
    OutboxMessage,
    OutboxPurpose,
    OutboxStatus,
    RecipientKind,
)
from storage.models.deputies import BindCode, Department, DeputyPrompt, RelayedMessage
from storage.models.directory import (
    Area,
    AreaKind,
    CalendarDay,
    Category,
    DeadlinePolicy,
    Deputy,
    DeputyGroup,
    RoutingRule,
    Station,
    deputy_group_areas,
    deputy_group_members,
)
from storage.models.inbound import InboundStatus, InboundUpdate
from storage.models.residents import Resident
from storage.models.tickets import (
    Actor,
    DigestSent,
    Escalation,
    Rating,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketReminder,
    TicketStatus,
    TimelineAction,
)

__all__ = [
    "TELEGRAM",
    "Actor",
    "Area",
    "AreaKind",
    "Base",
    "BindCode",
    "CalendarDay",
    "Category",
    "Contact",
    "DeadlinePolicy",
    "Department",
    "Deputy",
    "DeputyGroup",
    "DeputyPrompt",
    "DigestSent",
    "Escalation",
    "InboundStatus",
    "InboundUpdate",
    "OutboxMessage",
    "OutboxPurpose",
    "OutboxStatus",
    "Rating",
    "RecipientKind",
    "RelayedMessage",
    "Resident",
    "RoutingRule",
    "Station",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "TicketReminder",
    "TicketStatus",
    "TimelineAction",
    "UTCDateTime",
    "deputy_group_areas",
    "deputy_group_members",
]
