"""Starts the peer (MasterGroosha/telegram-feedback-bot-topics) against the fake Bot API.

The peer builds `Bot(token)` on aiogram's default server (api.telegram.org); this points every
aiogram session that names no server at `TELEGRAM_API_URL`, then runs the peer's
`bot/__main__.py` as `python -m bot` would. Run by the peer's own Python, in its checkout
(which must come first on the path: our repository has a `bot` package of its own):

    cd PEER_SRC && CONFIG_FILE_PATH=settings.toml TELEGRAM_API_URL=http://127.0.0.1:PORT \\
        PEER_PYTHON .../bench/peer_launcher.py

It imports nothing of ours; `bench.peer` starts it.
"""

import os
import runpy
import sys
from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

FAKE = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
_default_init = AiohttpSession.__init__


def _on_the_fake(self: AiohttpSession, *args: Any, **kwargs: Any) -> None:
    kwargs.setdefault("api", FAKE)
    _default_init(self, *args, **kwargs)


if __name__ == "__main__":
    AiohttpSession.__init__ = _on_the_fake  # type: ignore[method-assign]
    sys.path[0] = os.getcwd()  # the checkout, not bench/ (this file's folder)
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
