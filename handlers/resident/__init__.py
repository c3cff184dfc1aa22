"""The resident's private chat: greeting and language, area, opinions and receptions."""

from aiogram import F, Router
from aiogram.enums import ChatType

from handlers.resident import area, draft, rating, reception_requests, receptions, start


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    # Order matters: commands before the catch-all that collects a draft's text.
    router.include_routers(
        rating.build_router(),
        area.build_router(),
        receptions.build_router(),
        reception_requests.build_router(),
        start.build_router(),
        draft.build_router(),
    )
    return router
