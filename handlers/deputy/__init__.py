"""The deputy group's chat: deputies answer residents from their group."""

from aiogram import F, Router
from aiogram.enums import ChatType

from handlers.deputy import (
    card_actions,
    group_commands,
    membership,
    reception_record,
    reception_requests,
    receptions,
    replies,
)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}))
    router.edited_message.filter(F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}))
    router.callback_query.filter(F.message.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}))
    router.my_chat_member.filter(F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}))
    # Commands (/bind, /queue, the receptions') before the catch-all of what deputies write.
    router.include_routers(
        membership.build_router(),
        group_commands.build_router(),
        receptions.build_router(),
        reception_record.build_router(),
        reception_requests.build_router(),
        replies.build_router(),
        card_actions.build_router(),
    )
    return router
