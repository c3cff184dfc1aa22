"""Long polling: updates are fetched from the Bot API, and the outbox sender runs beside the
dispatcher in the same process until it is stopped."""

import asyncio
import logging

from bot.app import Application
from bot.telegram.commands import publish_command_menus

log = logging.getLogger(__name__)

SENDER_STOP_SECONDS = 10


async def run_polling(app: Application, handle_signals: bool = True) -> None:
    await app.bot.delete_webhook(drop_pending_updates=False)
    await publish_command_menus(app.bot, app.catalogs)
    sender = asyncio.create_task(app.sender.run(), name="outbox-sender")
    try:
        await app.dispatcher.start_polling(
            app.bot, handle_signals=handle_signals, close_bot_session=False
        )
    finally:
        app.sender.stop()
        try:
            await asyncio.wait_for(sender, SENDER_STOP_SECONDS)
        except TimeoutError:
            log.warning(
                "the outbox sender did not stop within %ss; cancelled it", SENDER_STOP_SECONDS
            )
