"""Every button pressed gets an answer, or the person's app keeps showing it as busy. A button
no handler understands (left by an older version, or pointing at something gone) is answered
as out of date. This router comes last."""

from aiogram import Router
from aiogram.types import CallbackQuery

from bot.text.catalogs import Texts
from handlers.middlewares.transaction import AfterCommit


async def stale_button(query: CallbackQuery, t: Texts) -> None:
    await query.answer(t.gettext("This button is out of date. Please start again."))


async def unknown_button(query: CallbackQuery, after_commit: AfterCommit, t: Texts) -> None:
    after_commit(lambda: stale_button(query, t))


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(unknown_button)
    return router
