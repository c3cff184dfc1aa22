"""aiogram routers: the Telegram front door. They parse and render; the core in `bot/` acts."""

from aiogram import Router

from handlers import deputy, errors, resident, stale


def build_router() -> Router:
    router = Router(name="handlers")
    router.include_routers(
        errors.build_router(), resident.build_router(), deputy.build_router(), stale.build_router()
    )
    return router
