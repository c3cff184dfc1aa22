"""What staff do to tickets in the panel: each action checks the staff member's scope, goes
through the ticket desk (`bot.core.tickets`, the same steps the bot takes) or, for what only
staff do (notes, priority, category, their own replies), is applied here; every change is
written to the audit log with the ticket's state before and after."""

from datetime import date
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import audit
from bot.core.followers import tell_followers
from bot.core.response_templates import text_for
from bot.core.scope import Scope
from bot.core.tickets import TicketDesk
from bot.core.timeline import Who, record
from bot.core.workflow import TransitionError
from storage.models import (
    Actor,
    Category,
    DeputyGroup,
    Escalation,
    OutboxPurpose,
    Priority,
    Resident,
    StaffMember,
    Ticket,
    TicketStatus,
    TimelineAction,
)

MAX_TEXT = 4000


class NotVisible(LookupError):
    """The ticket does not exist, or is outside the staff member's scope (told apart nowhere)."""


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {
        "status": ticket.status.value,
        "group": ticket.deputy_group_id,
        "category": ticket.category_id,
        "priority": ticket.priority.value if ticket.priority else None,
        "answer_due": ticket.answer_due.isoformat() if ticket.answer_due else None,
        "merged_into": ticket.merged_into_id,
    }


class StaffDesk:
    def __init__(self, desk: TicketDesk) -> None:
        self.desk = desk
        self.clock = desk.clock

    async def ticket(self, session: AsyncSession, scope: Scope, number: str) -> Ticket:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number[:32]))
        if ticket is None or not scope.allows(ticket):
            raise NotVisible(number)
        return ticket

    def _who(self, member: StaffMember) -> Who:
        return Who(Actor.STAFF, member.id)

    def _audit(
        self,
        session: AsyncSession,
        member: StaffMember,
        action: str,
        ticket: Ticket,
        before: dict[str, Any],
        **extra: Any,
    ) -> None:
        after = snapshot(ticket) | extra
        audit.record(session, member, action, ticket.number, self.clock.now(), before, after)

    async def assign(
        self,
        session: AsyncSession,
        member: StaffMember,
        scope: Scope,
        ticket: Ticket,
        group_id: int,
    ) -> None:
        """Give the ticket to a group: assign it if it waits for staff, move it otherwise."""
        group = await session.get(DeputyGroup, group_id)
        if (
            group is None
            or not group.active
            or not (scope.everything or group.id in scope.group_ids)
        ):
            raise TransitionError("no such deputy group")
        before = snapshot(ticket)
        if ticket.status in (TicketStatus.AWAITING_TRIAGE, TicketStatus.ESCALATED):
            await self.desk.assign(session, ticket, group, self._who(member))
        else:
            await self.desk.reroute(session, ticket, self._who(member), to=group)
        self._audit(session, member, "ticket.assign", ticket, before)

    async def set_category(
        self, session: AsyncSession, member: StaffMember, ticket: Ticket, category_id: int | None
    ) -> None:
        if category_id is not None and await session.get(Category, category_id) is None:
            raise TransitionError("no such category")
        before = snapshot(ticket)
        ticket.category_id = category_id
        record(
            session,
            ticket,
            self._who(member),
            TimelineAction.CATEGORY_CHANGED,
            self.clock.now(),
            category=category_id,
        )
        self._audit(session, member, "ticket.category", ticket, before)

    async def set_priority(
        self, session: AsyncSession, member: StaffMember, ticket: Ticket, priority: Priority
    ) -> None:
        before = snapshot(ticket)
        ticket.priority = priority
        record(
            session,
            ticket,
            self._who(member),
            TimelineAction.PRIORITY_SET,
            self.clock.now(),
            priority=priority.value,
        )
        self._audit(session, member, "ticket.priority", ticket, before)

    async def set_publishable(
        self, session: AsyncSession, member: StaffMember, ticket: Ticket, publishable: bool
    ) -> None:
        """Mark an answered ticket for the public results page (五公开), where it shows only as
        its category, community, month and outcome; or take the mark away."""
        if publishable and ticket.answered_at is None:
            raise TransitionError("only an answered opinion can be published")
        before = snapshot(ticket) | {"publishable": ticket.publishable}
        ticket.publishable = publishable
        self._audit(session, member, "ticket.publishable", ticket, before, publishable=publishable)

    async def note(
        self, session: AsyncSession, member: StaffMember, ticket: Ticket, text: str
    ) -> None:
        """An internal note: on the timeline for staff, never shown to the resident."""
        text = _text(text)
        now = self.clock.now()
        record(session, ticket, self._who(member), TimelineAction.NOTE, now, text=text)
        audit.record(session, member, "ticket.note", ticket.number, now, None, {"text": text})

    async def reply(
        self, session: AsyncSession, member: StaffMember, ticket: Ticket, text: str
    ) -> None:
        """Staff's own message to the resident, through the outbox, in the resident's language."""
        text = _text(text)
        resident = await session.get_one(Resident, ticket.resident_id)
        t = self.desk.catalogs.get(resident.locale)
        heading = t.gettext(
            "The liaison station replies about your opinion or suggestion ({number}):"
        ).format(number=ticket.number)
        message = f"<b>{heading}</b>\n\n{escape(text)}"
        self.desk.messages.tell_resident(session, ticket, resident, message, OutboxPurpose.REPLY)
        await tell_followers(
            session,
            self.desk.messages,
            self.desk.catalogs,
            ticket,
            lambda t: (
                t.gettext(
                    "The liaison station replies about your opinion or suggestion ({number}):"
                ).format(number=ticket.number)
                + f"\n\n{escape(text)}"
            ),
            OutboxPurpose.REPLY,
        )
        now = self.clock.now()
        record(session, ticket, self._who(member), TimelineAction.STAFF_REPLIED, now, text=text)
        audit.record(session, member, "ticket.reply", ticket.number, now, None, {"text": text})

    async def close(
        self, session: AsyncSession, member: StaffMember, ticket: Ticket, reason: str = ""
    ) -> None:
        """Conclude it: resolved once answered (办结), otherwise not resolvable now, with the
        reason the resident reads."""
        before = snapshot(ticket)
        if ticket.status == TicketStatus.ANSWERED and not reason.strip():
            await self.desk.close(session, ticket, self._who(member))
        else:
            await self.desk.close_unresolvable(session, ticket, self._who(member), _text(reason))
        self._audit(session, member, "ticket.close", ticket, before)

    async def reopen(self, session: AsyncSession, member: StaffMember, ticket: Ticket) -> None:
        before = snapshot(ticket)
        await self.desk.reopen(session, ticket, self._who(member))
        self._audit(session, member, "ticket.reopen", ticket, before)

    async def escalate(
        self, session: AsyncSession, member: StaffMember, ticket: Ticket, kind: Escalation
    ) -> None:
        before = snapshot(ticket)
        await self.desk.escalate(session, ticket, self._who(member), kind)
        self._audit(session, member, "ticket.escalate", ticket, before)

    async def extend(
        self, session: AsyncSession, member: StaffMember, ticket: Ticket, reason: str, until: date
    ) -> None:
        before = snapshot(ticket)
        await self.desk.extend(session, ticket, self._who(member), reason, until)
        self._audit(session, member, "ticket.extend", ticket, before, reason=reason)

    async def template_text(self, session: AsyncSession, ticket: Ticket, name: str) -> str:
        """A response template's text in the language of the ticket's resident."""
        resident = await session.get_one(Resident, ticket.resident_id)
        catalogs = self.desk.catalogs
        return await text_for(session, name, ticket, resident.locale, catalogs.default_locale)

    async def merge(
        self,
        session: AsyncSession,
        member: StaffMember,
        scope: Scope,
        ticket: Ticket,
        into_number: str,
    ) -> None:
        into = await self.ticket(session, scope, into_number.strip())
        before = snapshot(ticket)
        await self.desk.merge(session, ticket, into, self._who(member))
        self._audit(session, member, "ticket.merge", ticket, before)


def _text(text: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise TransitionError("a text of 1 to 4000 characters is needed")
    return text
