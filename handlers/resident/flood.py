"""A resident who sends faster than a person could is asked to slow down, once per window;
what they sent meanwhile is not taken in, and they are told so. This router comes first."""

import math

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import Message

from bot.telegram.flood import ResidentFlood
from bot.text.catalogs import Texts
from handlers.middlewares.transaction import AfterCommit
from storage.models import Resident


class TooFast(Filter):
    async def __call__(self, message: Message, flood: ResidentFlood, resident: Resident) -> bool:
        return not await flood.allow(resident.id, message.media_group_id)


async def slow_down(
    message: Message,
    flood: ResidentFlood,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    if not await flood.first_refusal(resident.id):
        return  # told already in this window
    seconds = await flood.wait(resident.id)
    if seconds < 120:
        text = t.ngettext(
            "You are sending messages faster than they can be taken in. This message and "
            "those of the next {count} second are not kept; please wait {count} second, then "
            "send them again.",
            "You are sending messages faster than they can be taken in. This message and "
            "those of the next {count} seconds are not kept; please wait {count} seconds, then "
            "send them again.",
            seconds,
        ).format(count=seconds)
    else:
        minutes = math.ceil(seconds / 60)
        text = t.ngettext(
            "You are sending messages faster than they can be taken in. This message and "
            "those of the next {count} minute are not kept; please wait {count} minute, then "
            "send them again.",
            "You are sending messages faster than they can be taken in. This message and "
            "those of the next {count} minutes are not kept; please wait {count} minutes, then "
            "send them again.",
            minutes,
        ).format(count=minutes)
    after_commit(lambda: message.reply(text))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(slow_down, TooFast())
    return router
