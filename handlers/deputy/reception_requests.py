"""A deputy proposes times for a micro reception a resident asked for, from the group's chat:
/slots A-2026-000123 2026-12-05 10:00-11:00; 2026-12-06 15:00-16:00 (local times)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.reception_requests import ReceptionRequests, Slot
from bot.core.reception_signups import Signups
from bot.core.receptions import ReceptionDesk, ReceptionRefused, Refusal
from bot.core.tickets import TicketDesk
from bot.text import receptions as words
from bot.text.catalogs import Texts
from handlers.answers import reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM

SLOT = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})$")


def parse_slots(text: str, timezone: str) -> list[Slot] | None:
    """`2026-12-05 10:00-11:00; 2026-12-06 15:00-16:00`, or None if it does not read so."""
    zone = ZoneInfo(timezone)
    slots = []
    for part in re.split(r"[;；\n]", text):
        if not part.strip():
            continue
        found = SLOT.match(part.strip())
        if found is None:
            return None
        day, start, end = found.groups()
        try:
            slots.append(
                Slot(
                    datetime.strptime(f"{day} {start}", "%Y-%m-%d %H:%M").replace(tzinfo=zone),
                    datetime.strptime(f"{day} {end}", "%Y-%m-%d %H:%M").replace(tzinfo=zone),
                )
            )
        except ValueError:
            return None
    return slots or None


async def propose_slots(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    assert message.from_user is not None
    number, _, rest = (command.args or "").strip().partition(" ")
    slots = parse_slots(rest, receptions.timezone)
    if not number or slots is None:
        usage = t.gettext(
            "Please give the request's number and one or more times, e.g. /slots A-2026-000123 "
            "2026-12-05 10:00-11:00; 2026-12-06 15:00-16:00"
        )
        after_commit(lambda: message.reply(usage))
        return
    requests = ReceptionRequests(receptions, desk)
    request = await requests.by_number(session, number)
    ticket = request and await requests.ticket_of(session, request)
    group = await requests_group(session, receptions, message)
    if request is None or ticket is None or group is None or ticket.deputy_group_id != group:
        text = t.gettext("{number} is not a request for a micro reception of this group.").format(
            number=number
        )
        after_commit(lambda: message.reply(text))
        return
    deputy = await desk.deputy_of_group(session, TELEGRAM, str(message.from_user.id), group)
    if deputy is None:
        text = t.gettext("Only deputies registered with this group can propose times.")
        after_commit(lambda: message.reply(text))
        return
    try:
        await requests.propose(session, request, deputy, slots)
    except ReceptionRefused as refused:
        text = {
            Refusal.IN_THE_PAST: t.gettext(
                "A proposed time is in the past. Please propose times to come."
            ),
            Refusal.ALREADY_SCHEDULED: t.gettext("This request has already been arranged."),
        }.get(refused.refusal, words.refusal(t, refused.refusal))
        after_commit(lambda: message.reply(text))
        return
    done = t.gettext("Proposed to the resident ({number}): {count} time(s).").format(
        number=ticket.number, count=len(slots)
    )
    after_commit(reported(lambda: message.reply(done), f"slots for {ticket.number}"))


async def requests_group(
    session: AsyncSession, receptions: ReceptionDesk, message: Message
) -> int | None:
    group = await Signups(receptions).group_at(session, TELEGRAM, str(message.chat.id))
    return group.id if group is not None else None


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(propose_slots, Command("slots"))
    return router
