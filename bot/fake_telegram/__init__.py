"""A fake Telegram Bot API server for tests and offline runs.

It speaks the real HTTP protocol (aiohttp), so the real aiogram client can be pointed at it with
``AiohttpSession(api=TelegramAPIServer.from_base(base_url))``. Requests are checked against the
official Bot API spec in ``data/telegram-bot-api.json`` and refused with Telegram's own wording;
all state lives in memory. It is product code, used by the tests and by the sandbox
(``python -m bot sandbox``), and stands alone: it imports nothing else from the project, nor
aiogram. Its clock is injected (``FakeTelegram(clock=...)``, seconds since the epoch), so it can
share the application's.

The modules, from the bottom up:

- ``objects``, ``errors``: JSON objects, and refusals in Telegram's words;
- ``requests``, ``spec``: reading a request's parameters, and checking them (and the fake's
  answers) against the spec;
- ``formatting``: Telegram's HTML, entities in UTF-16, text limits;
- ``files``, ``world``, ``users``: what the fake world holds, and what its users do;
- ``chats``, ``updates``: the rules shared by the methods: posting and editing messages,
  queueing updates and pushing them to a webhook;
- ``feed``: the public feed of changes (what the bot sent, edited, deleted; what users did),
  which the sandbox page follows;
- ``methods``: the Bot API methods, one module per topic, registered in ``HANDLERS``;
- ``server``: FakeTelegram, the HTTP app and the API tests drive it with.
"""

from bot.fake_telegram.feed import Change, Feed
from bot.fake_telegram.files import tiny_png
from bot.fake_telegram.methods import HANDLERS
from bot.fake_telegram.server import FakeTelegram
from bot.fake_telegram.spec import SpecViolation, check_object, load_spec
from bot.fake_telegram.users import FakeUser
from bot.fake_telegram.world import BotAccount, CallbackAnswer, FakeChat, RecordedRequest

__all__ = [
    "HANDLERS",
    "BotAccount",
    "CallbackAnswer",
    "Change",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "Feed",
    "RecordedRequest",
    "SpecViolation",
    "check_object",
    "load_spec",
    "tiny_png",
]
