"""The reference of the benches: a bare aiogram bot that answers every private text with one
sendMessage (the text itself) and stores nothing, polling as aiogram does by default.

    BOT_TOKEN=… TELEGRAM_API_URL=http://127.0.0.1:PORT .venv/bin/python -m bench.reference
"""

import asyncio
import os

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def echo(message: Message) -> None:
    await message.answer(message.text or "")


async def main() -> None:
    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    dispatcher = Dispatcher()
    dispatcher.message.register(echo, F.chat.type == "private", F.text)
    await dispatcher.start_polling(bot)


if __name__ == "__main__":
    asyncio.run(main())
