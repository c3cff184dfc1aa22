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
from storage.models.directory import (
    Area,
    AreaKind,
    Category,
    Deputy,
    DeputyGroup,
    Station,
    deputy_group_areas,
    deputy_group_members,
)
from storage.models.inbound import InboundStatus, InboundUpdate
from storage.models.residents import Resident
from storage.models.tickets import (
    Actor,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketStatus,
    TimelineAction,
)

__all__ = [
    "TELEGRAM",
    "Actor",
    "Area",
    "AreaKind",
    "Base",
    "Category",
    "Contact",
    "Deputy",
    "DeputyGroup",
    "InboundStatus",
    "InboundUpdate",
    "OutboxMessage",
    "OutboxPurpose",
    "OutboxStatus",
    "RecipientKind",
    "Resident",
    "Station",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "TicketStatus",
    "TimelineAction",
    "UTCDateTime",
    "deputy_group_areas",
    "deputy_group_members",
]
