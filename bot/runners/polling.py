"""Long polling: updates are fetched from the Bot API, and the application's background
services (the outbox sender, the supervisor) run beside the dispatcher in the same process
until it is stopped."""

import asyncio
import logging

from bot.app import Application
from bot.telegram.commands import publish_command_menus

log = logging.getLogger(__name__)

STOP_SECONDS = 10


async def run_polling(app: Application, handle_signals: bool = True) -> None:
    await app.bot.delete_webhook(drop_pending_updates=False)
    await publish_command_menus(app.bot, app.catalogs)
    running = [
        asyncio.create_task(service.run(), name=type(service).__name__) for service in app.services
    ]
    try:
        await app.dispatcher.start_polling(
            app.bot, handle_signals=handle_signals, close_bot_session=False
        )
    finally:
        for service in app.services:
            service.stop()  # each finishes the work in hand: nothing is cut off mid-send
        _, late = await asyncio.wait(running, timeout=STOP_SECONDS)
        for task in late:
            log.warning("%s did not stop within %ss; cancelled it", task.get_name(), STOP_SECONDS)
            task.cancel()
