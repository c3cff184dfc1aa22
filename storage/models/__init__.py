"""SQLAlchemy models, one module per concern: the directory, residents, tickets and delivery."""

from storage.models.base import Base, UTCDateTime
from storage.models.delivery import MessageLink, OutboxMessage, OutboxStatus, ProcessedUpdate
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
from storage.models.residents import Resident
from storage.models.tickets import Ticket, TicketCounter, TicketEvent, TicketStatus

__all__ = [
    "Area",
    "AreaKind",
    "Base",
    "Category",
    "Deputy",
    "DeputyGroup",
    "MessageLink",
    "OutboxMessage",
    "OutboxStatus",
    "ProcessedUpdate",
    "Resident",
    "Station",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "TicketStatus",
    "UTCDateTime",
    "deputy_group_areas",
    "deputy_group_members",
]
