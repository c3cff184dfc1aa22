"""/privacy says what is kept, who sees it and for how long; /forget deletes the resident's
personal data after a confirmation."""

from typing import Literal

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.forget import forget_resident
from bot.settings import InboundSettings
from bot.text.catalogs import Catalogs, Texts
from handlers.answers import acknowledge, edit, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import Resident


class Forget(CallbackData, prefix="forget"):
    answer: Literal["yes", "no"]


async def show_privacy(
    message: Message, after_commit: AfterCommit, inbound_settings: InboundSettings, t: Texts
) -> None:
    days = round(inbound_settings.inbound_keep_days)
    text = "\n\n".join(
        (
            t.gettext(
                "<b>What is kept</b>: your name and account number as Telegram gives them, "
                "your language and area, what you write here (a draft until you submit or "
                "cancel it), your opinions and suggestions with how they were handled, and "
                "your ratings."
            ),
            t.gettext(
                "<b>Who sees it</b>: the deputies of the deputy group that handles your "
                "opinion or suggestion, and the staff of the street working committee, see "
                "its text, your area and your name. Nobody else."
            ),
            t.ngettext(
                "<b>How long</b>: opinions and suggestions are kept as records of the liaison "
                "stations' work. Messages as Telegram delivered them are deleted after {days} "
                "day.",
                "<b>How long</b>: opinions and suggestions are kept as records of the liaison "
                "stations' work. Messages as Telegram delivered them are deleted after {days} "
                "days.",
                days,
            ).format(days=days),
            t.gettext(
                "<b>Phone number</b>: kept only if you share it with the “Share my phone "
                "number” button; the deputies see it only where you chose to show your name."
            ),
            t.gettext("Send /forget to have your personal data deleted."),
        )
    )
    after_commit(lambda: message.answer(text))


async def ask_to_forget(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    question = t.gettext(
        "This deletes your name, phone number, area and account number, your messages as "
        "Telegram delivered them, and the texts of your opinions, suggestions and ratings "
        "(with the photos, files, voice messages and places sent with them). Your opinions "
        "and suggestions are kept without them, for statistics, and you will no longer hear "
        "about them here. Delete your data?"
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=t.gettext("Delete my data"), callback_data=Forget(answer="yes"))
    builder.button(text=t.gettext("Keep it"), callback_data=Forget(answer="no"))
    keyboard = builder.as_markup()
    after_commit(lambda: message.answer(question, reply_markup=keyboard))


async def forget(
    query: CallbackQuery,
    callback_data: Forget,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    catalogs: Catalogs,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    message = query.message
    if callback_data.answer == "no":
        kept = t.gettext("Nothing was deleted.")

        async def keep() -> None:
            await edit(message, kept)
            await acknowledge(query)

        after_commit(keep)
        return
    count = await forget_resident(session, resident, catalogs)
    done = t.ngettext(
        "Your personal data is deleted. Your {count} opinion or suggestion is kept without "
        "it, for statistics.",
        "Your personal data is deleted. Your {count} opinions and suggestions are kept "
        "without it, for statistics.",
        count,
    ).format(count=count)
    done += "\n" + t.gettext(
        "Deputies and staff who were already told your name, or shown what you sent, are not "
        "asked to forget it. If you write here again, you start anew."
    )

    async def tell() -> None:
        await acknowledge(query)
        await edit(message, done)

    after_commit(reported(tell, f"resident {resident.id} forgotten"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_privacy, Command("privacy"))
    router.message.register(ask_to_forget, Command("forget"))
    router.callback_query.register(forget, Forget.filter(F.answer.in_(("yes", "no"))))
    return router
