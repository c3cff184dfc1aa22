"""Forum topics of a deputy group's chat, one per ticket: made with the ticket's first
message, renamed with its status, closed and reopened with it."""

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from bot.delivery.outbox import Topic

TOPIC_NAME_LIMIT = 128  # characters of a forum topic's name


def topic_gone(description: str) -> bool:
    """Whether Telegram refused a message because its topic was deleted."""
    text = description.lower()
    return "message thread not found" in text or "topic_deleted" in text


def _unchanged(error: TelegramBadRequest) -> bool:
    return "topic_not_modified" in error.message.lower()


class ForumTopics:
    """Topic calls are no messages: they take no slot of the sending limits."""

    def __init__(self, bot: Bot, chat_id: int, timeout: float) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.timeout = timeout

    async def create(self, name: str) -> str:
        topic = await self.bot.create_forum_topic(
            chat_id=self.chat_id,
            name=name[:TOPIC_NAME_LIMIT],
            request_timeout=self.timeout,
        )
        return str(topic.message_thread_id)

    async def keep(self, thread: str, topic: Topic) -> None:
        """The topic's name and open or closed state as the ticket's card says."""
        try:
            await self.bot.edit_forum_topic(
                chat_id=self.chat_id,
                message_thread_id=int(thread),
                name=topic.name[:TOPIC_NAME_LIMIT],
                request_timeout=self.timeout,
            )
        except TelegramBadRequest as error:
            if not _unchanged(error):
                raise
        change = self.bot.close_forum_topic if topic.closed else self.bot.reopen_forum_topic
        try:
            await change(
                chat_id=self.chat_id, message_thread_id=int(thread), request_timeout=self.timeout
            )
        except TelegramBadRequest as error:
            if not _unchanged(error):
                raise
