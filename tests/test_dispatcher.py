"""How the bot's dispatcher runs what the handlers declare."""

import threading
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, F
from aiogram.types import Chat, Message, Update, User

from bot.telegram.dispatcher import filters_on_the_loop
from tests.support.harness import BOT_TOKEN, Harness


async def test_filters_run_on_the_event_loop_not_in_a_worker_thread():
    threads: list[int] = []

    def plain(message: Message) -> bool:
        threads.append(threading.get_ident())
        return True

    async def handle(message: Message) -> str:
        return "handled"

    dispatcher = Dispatcher()
    dispatcher.message.filter(F.chat.type == "private")
    dispatcher.message.register(handle, plain, F.text)
    filters_on_the_loop(dispatcher)

    message = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=42, type="private"),
        from_user=User(id=42, is_bot=False, first_name="小红"),
        text="您好",
    )
    bot = Bot(BOT_TOKEN)
    try:
        handled = await dispatcher.feed_update(bot, Update(update_id=1, message=message))
    finally:
        await bot.session.close()
    assert handled == "handled"
    assert threads == [threading.get_ident()]


async def test_every_filter_of_the_running_bot_runs_on_the_loop(harness: Harness):
    checks = [
        check
        for router in harness.app.dispatcher.chain_tail
        for observer in router.observers.values()
        for handler in [observer._handler, *observer.handlers]
        for check in handler.filters or ()
    ]
    assert len(checks) > 20 and all(check.awaitable for check in checks)
