"""The Bot API methods the fake implements, one module per topic, registered in HANDLERS.

Every other method of the spec is refused with "Bad Request: method is not supported by the
fake". To add one, write ``async def method_name(fake, p)`` in the module of its topic, taking
the params already checked against the spec and returning the result object, and register it
below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.fake_telegram.methods import callbacks, chats, files, messages, topics, updates
from bot.fake_telegram.objects import Json

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram

Handler = Callable[["FakeTelegram", Json], Awaitable[Any]]

HANDLERS: dict[str, Handler] = {
    "getMe": chats.get_me,
    "getUpdates": updates.get_updates,
    "setWebhook": updates.set_webhook,
    "deleteWebhook": updates.delete_webhook,
    "getWebhookInfo": updates.get_webhook_info,
    "sendMessage": messages.send_message,
    "copyMessage": messages.copy_message,
    "copyMessages": messages.copy_messages,
    "forwardMessage": messages.forward_message,
    "editMessageText": messages.edit_message_text,
    "editMessageCaption": messages.edit_message_caption,
    "editMessageReplyMarkup": messages.edit_message_reply_markup,
    "deleteMessage": messages.delete_message,
    "answerCallbackQuery": callbacks.answer_callback_query,
    "sendChatAction": chats.send_chat_action,
    "setMyCommands": chats.set_my_commands,
    "getMyCommands": chats.get_my_commands,
    "deleteMyCommands": chats.delete_my_commands,
    "getChat": chats.get_chat,
    "getChatMember": chats.get_chat_member,
    "sendPhoto": files.send_photo,
    "sendDocument": files.send_document,
    "getFile": files.get_file,
    "createForumTopic": topics.create_forum_topic,
    "editForumTopic": topics.edit_forum_topic,
    "closeForumTopic": topics.close_forum_topic,
    "reopenForumTopic": topics.reopen_forum_topic,
    "deleteForumTopic": topics.delete_forum_topic,
}
