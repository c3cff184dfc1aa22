"""The resident's private chat: greeting and language, area, opinions and receptions."""

from aiogram import F, Router
from aiogram.enums import ChatType

from handlers.resident import (
    additions,
    area,
    draft,
    flood,
    media,
    my_tickets,
    phone,
    privacy,
    questions,
    rating,
    reception_requests,
    receptions,
    start,
    submit,
)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    # Order matters: commands before the catch-all that collects a draft's text.
    router.include_routers(
        flood.build_router(),
        phone.build_router(),
        rating.build_router(),
        questions.build_router(),
        media.build_router(),
        area.build_router(),
        additions.build_router(),
        my_tickets.build_router(),
        receptions.build_router(),
        privacy.build_router(),
        reception_requests.build_router(),
        start.build_router(),
        submit.build_router(),
        draft.build_router(),
    )
    return router
