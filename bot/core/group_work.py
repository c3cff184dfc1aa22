"""What deputies do from their group chat beyond a single step of the desk: claim a ticket
(one of two pressing at once wins), forward it to a department of the directory with an
expected date, and the buttons that need words first — the answer before 已办结, the reason of
无法办理, the question of 需补充 — asked in the ticket's thread and completed by the deputy's
reply to that question. The resident's answer to 需补充 comes back into the same thread."""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import relays
from bot.core.tickets import TicketDesk, as_deputy
from bot.core.timeline import Who, record
from bot.core.workflow import Step, TransitionError, check
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.text import group_texts
from storage.models import (
    TELEGRAM,
    Actor,
    AreaKind,
    Department,
    Deputy,
    DeputyGroup,
    DeputyPrompt,
    Escalation,
    OutboxMessage,
    OutboxPurpose,
    RecipientKind,
    Resident,
    Station,
    Ticket,
    TicketStatus,
    TimelineAction,
)
from storage.queries.areas import area_path
from storage.queries.contacts import contact_of, reachable
from storage.queries.outbox import delivered, ticket_of_thread

# The buttons that ask for words, and the step each completes.
PROMPTED = {
    "resolve": Step.ANSWER,
    "unresolvable": Step.CLOSE_UNRESOLVABLE,
    "need_info": Step.ANSWER,
}
EXPECTED_DAYS = (7, 15, 30, 60)  # the expected dates offered after a department is chosen


@dataclass(frozen=True)
class Claim:
    """The outcome of pressing 接单: taken, or already held by `holder`."""

    won: bool
    holder: Deputy | None


class GroupWork:
    def __init__(self, desk: TicketDesk) -> None:
        self.desk = desk
        self.clock = desk.clock
        self.catalogs = desk.catalogs

    # --- one tap ---------------------------------------------------------------------------

    async def claim(self, session: AsyncSession, ticket: Ticket, deputy: Deputy) -> Claim:
        """接单: the first deputy to press takes it on; the row lock makes the second wait
        and find it taken, by whom."""
        try:
            await self.desk.accept(session, ticket, deputy)
        except TransitionError:
            holder = await session.get(Deputy, ticket.holder_deputy_id or -1)
            if holder is None:
                raise
            return Claim(False, holder)
        return Claim(True, deputy)

    async def to_staff(self, session: AsyncSession, ticket: Ticket, deputy: Deputy) -> None:
        """转工作人员: the street's staff take it over; their chat is told if there is one."""
        group = await session.get_one(DeputyGroup, ticket.deputy_group_id)
        await self.desk.escalate(session, ticket, as_deputy(deputy), Escalation.STAFF)
        staff = await staff_chat(session, group)
        if staff is not None:
            text = group_texts.handed_to_staff(self.catalogs.get(None), ticket, group, deputy)
            enqueue(
                session,
                staff,
                OutboxPurpose.GROUP_NOTICE,
                Content(text),
                self.clock.now(),
                ticket_id=ticket.id,
            )

    # --- forwarding to a department (转交部门) -----------------------------------------------

    async def departments(self, session: AsyncSession) -> list[Department]:
        found = await session.scalars(
            select(Department).where(Department.active).order_by(Department.id)
        )
        return list(found)

    def expected_date(self, days: int) -> date:
        today = self.clock.now().astimezone(ZoneInfo(self.desk.timezone)).date()
        return today + timedelta(days=days)

    async def forward(
        self,
        session: AsyncSession,
        ticket: Ticket,
        deputy: Deputy,
        department_id: int,
        days: int | None,
    ) -> Department:
        department = await session.get(Department, department_id)
        if department is None or not department.active:
            raise TransitionError("that department is no longer in the directory")
        expected = self.expected_date(days) if days else None
        await self.desk.forward(session, ticket, as_deputy(deputy), department.name, expected)
        return department

    # --- buttons that need words -----------------------------------------------------------

    async def resolve(self, session: AsyncSession, ticket: Ticket, deputy: Deputy) -> bool:
        """已办结: concluded at once when answered; otherwise the deputy is asked for the answer
        the resident will read (False)."""
        await self.desk.hold(session, ticket)
        if ticket.status == TicketStatus.ANSWERED:
            await self.desk.close(session, ticket, as_deputy(deputy))
            return True
        await self.ask_deputy(session, ticket, deputy, "resolve")
        return False

    async def ask_deputy(
        self, session: AsyncSession, ticket: Ticket, deputy: Deputy, button: str
    ) -> None:
        """Ask in the ticket's thread for the words the button needs; the deputy's reply to
        that message completes it (`complete`)."""
        await self.desk.hold(session, ticket)
        check(PROMPTED[button], ticket.status, Actor.DEPUTY)
        text = group_texts.prompt(self.catalogs.get(None), ticket, deputy, button)
        now = self.clock.now()
        message = enqueue(
            session,
            Recipient.deputy_group(ticket.deputy_group_id or -1),
            OutboxPurpose.PROMPT,
            Content(text),
            now,
            ticket_id=ticket.id,
        )
        await session.flush()
        session.add(
            DeputyPrompt(
                ticket_id=ticket.id,
                deputy_id=deputy.id,
                step=button,
                outbox_id=message.id,
                created_at=now,
            )
        )

    async def prompt_at(
        self, session: AsyncSession, address: str, receipt: str
    ) -> DeputyPrompt | None:
        """The open question a delivered message asked, if it is one."""
        message = await delivered(session, address, receipt)
        return await self.prompt_of(session, message) if message is not None else None

    async def prompt_of(self, session: AsyncSession, message: OutboxMessage) -> DeputyPrompt | None:
        """The open question a delivered message (an outbox row) asked, if it is one."""
        if message.purpose != OutboxPurpose.PROMPT:
            return None
        return await session.scalar(
            select(DeputyPrompt).where(
                DeputyPrompt.outbox_id == message.id, DeputyPrompt.done_at.is_(None)
            )
        )

    async def complete(
        self, session: AsyncSession, prompt: DeputyPrompt, deputy: Deputy, words: str
    ) -> Ticket:
        """The deputy's reply to the question: the step the button began is taken now."""
        ticket = await session.get_one(Ticket, prompt.ticket_id)
        if not words.strip():
            raise TransitionError("the reply to the question is empty")
        if prompt.step == "resolve":
            await self.desk.reply_from_deputy(session, ticket, deputy, words)
            await self.desk.close(session, ticket, as_deputy(deputy))
        elif prompt.step == "unresolvable":
            await self.desk.close_unresolvable(session, ticket, as_deputy(deputy), words)
        else:
            await self.ask_resident(session, ticket, deputy, words)
        prompt.done_at = self.clock.now()
        return ticket

    async def ticket_of_topic(
        self, session: AsyncSession, address: str, thread: str
    ) -> Ticket | None:
        """The ticket whose forum topic this is, in a group with a topic per ticket."""
        return await ticket_of_thread(session, address, thread)

    async def resident_unreachable(self, session: AsyncSession, ticket: Ticket) -> bool:
        """Whether the resident is known to have stopped the bot (or is gone): a reply is
        kept with the ticket, and the deputy is told it did not reach them."""
        contact = await contact_of(session, RecipientKind.RESIDENT, ticket.resident_id, TELEGRAM)
        return contact is not None and contact.unreachable_at is not None

    # --- need more information (需补充) ---------------------------------------------------

    async def ask_resident(
        self, session: AsyncSession, ticket: Ticket, deputy: Deputy, question: str
    ) -> None:
        await self.desk.hold(session, ticket)
        check(Step.ANSWER, ticket.status, Actor.DEPUTY)
        resident = await session.get_one(Resident, ticket.resident_id)
        now = self.clock.now()
        record(
            session, ticket, as_deputy(deputy), TimelineAction.ASKED_RESIDENT, now, text=question
        )
        text = group_texts.question_to_resident(
            self.catalogs.get(resident.locale), ticket, deputy, question
        )
        enqueue(
            session,
            Recipient.resident(resident.id),
            OutboxPurpose.QUESTION,
            Content(text),
            now,
            ticket_id=ticket.id,
        )

    async def question_at(
        self, session: AsyncSession, resident: Resident, address: str, receipt: str
    ) -> Ticket | None:
        """The ticket a deputy's question to this resident (a delivered message) was about."""
        message: OutboxMessage | None = await delivered(session, address, receipt)
        if message is None or message.purpose != OutboxPurpose.QUESTION:
            return None
        if message.recipient_kind != RecipientKind.RESIDENT or message.recipient_id != resident.id:
            return None
        return await session.get(Ticket, message.ticket_id or -1)

    async def resident_adds(
        self,
        session: AsyncSession,
        ticket: Ticket,
        resident: Resident,
        text: str,
        written_at: tuple[str, str],
        media: bool = False,
    ) -> bool:
        """The resident's answer goes to the group holding the ticket, under its card (a
        photo or document as a copy); `written_at` is where they wrote it, so an edit follows.
        False when no group can take it any more (it is still on the timeline)."""
        now = self.clock.now()
        who = Who(Actor.RESIDENT, resident.id)
        record(session, ticket, who, TimelineAction.SUPPLEMENTED, now, text=text, media=media)
        if ticket.deputy_group_id is None:
            return False
        recipient = Recipient.deputy_group(ticket.deputy_group_id)
        if not await reachable(session, recipient.kind, recipient.id):
            return False
        words = group_texts.addition(self.catalogs.get(None), ticket, text)
        carried = enqueue(
            session,
            recipient,
            OutboxPurpose.ADDITION,
            Content(words, copy=written_at if media else None),
            now,
            ticket_id=ticket.id,
        )
        await session.flush()
        relays.remember(session, *written_at, carried, ticket, now)
        return True


async def staff_chat(session: AsyncSession, group: DeputyGroup) -> Recipient | None:
    """The staff chat of the street the group's station is in, if the directory names one."""
    station = await session.get_one(Station, group.station_id)
    for area in reversed(await area_path(session, station.area_id)):
        if area.kind == AreaKind.STREET:
            recipient = Recipient(RecipientKind.STAFF_CHAT, area.id)
            return recipient if await reachable(session, recipient.kind, recipient.id) else None
    return None
