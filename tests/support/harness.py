"""The bot running against the fake Bot API, as residents and deputies meet it, and the
constants the tests share."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.app import Application, build_application
from bot.core.directory import read_directory
from bot.fake_telegram import FakeChat, FakeTelegram
from bot.runners.polling import run_polling
from bot.settings import PROJECT_ROOT
from storage.models import OutboxMessage, OutboxStatus

DEMO_DIRECTORY = PROJECT_ROOT / "bot" / "data" / "demo-directory.yaml"
# A fixed moment (Beijing time 18:30) so ticket numbers and times are known.
START = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
BOT_TOKEN = "123456:TEST-liaison-station"
STAFF_BASE = 9000000000  # user ids of the street committee's staff in the group chats


@dataclass
class Harness:
    """The bot running against the fake Bot API, as residents and deputies would meet it."""

    fake: FakeTelegram
    app: Application
    groups: dict[int, FakeChat]
    polling: "asyncio.Task[None] | None" = None
    redis_prefix: str = "fsm"

    async def restart(self) -> None:
        """Stop the bot as a deploy would (updates in hand finish) and start a new process's
        worth of it on the same database: nothing kept in memory survives."""
        await self.app.inbound.stop()
        if self.polling is not None:
            await self.polling
        await self.app.close()
        self.app = build_application(
            self.app.settings, self.app.clock, redis_prefix=self.redis_prefix
        )
        self.polling = asyncio.create_task(run_polling(self.app, handle_signals=False))

    async def bot_says(
        self, chat_id: int, containing: str, after: int = 0, timeout: float = 10
    ) -> dict[str, Any]:
        """Wait for the bot's newest message in the chat (sent or edited) that contains the
        text, among those after message id `after`."""

        def found() -> dict[str, Any] | None:
            return next(
                (
                    m
                    for m in reversed(self.fake.bot_messages(chat_id))
                    if m["message_id"] > after and containing in m.get("text", "")
                ),
                None,
            )

        await self.fake.wait_for(lambda: found() is not None, timeout=timeout)
        message = found()
        assert message is not None
        return message

    async def outbox_settled(self, timeout: float = 10) -> None:
        """Wait until the sender has recorded the outcome of every outbox row (the fake shows a
        message a moment before the sender commits that it was sent)."""
        async with asyncio.timeout(timeout):
            while True:
                async with self.app.sessionmaker() as session:
                    pending = await session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status == OutboxStatus.PENDING)
                    )
                if pending == 0:
                    return
                await asyncio.sleep(0.05)

    async def updates_handled(self, timeout: float = 10) -> None:
        """Wait until the bot has no update in hand: an update's last answers (the press's
        acknowledgement after its confirmation) may still be on their way, waiting their
        turn under Telegram's limits, when the confirmation is seen."""
        async with asyncio.timeout(timeout):
            while self.fake.pending_updates() or not self.app.inbound.idle:
                await asyncio.sleep(0.02)

    async def press(self, user: Any, message: dict[str, Any], label: str) -> str:
        """Press the inline button with this label under the message."""
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = {button["text"]: button["callback_data"] for row in rows for button in row}
        assert label in buttons, f"no button {label!r}; there are {list(buttons)}"
        return await user.press(message, callback_data=buttons[label])


def deputy_group_chats(fake: FakeTelegram) -> dict[int, FakeChat]:
    """The demo directory's group chats, each with its deputies and one staff member."""
    directory = read_directory(DEMO_DIRECTORY)
    deputies = {
        d.code: fake.user(user_id=d.telegram_user_id, first_name=d.name)
        for d in directory.deputies
        if d.telegram_user_id
    }
    chats = {}
    for number, group in enumerate(directory.deputy_groups, start=1):
        assert group.chat_id is not None
        members = [deputies[d.code] for d in directory.deputies if group.code in d.groups]
        staff = fake.user(user_id=STAFF_BASE + number, first_name="工委", last_name="联络员")
        chats[group.chat_id] = fake.group(group.chat_id, group.name, [*members, staff])
    return chats
