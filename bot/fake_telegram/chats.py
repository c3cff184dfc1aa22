"""The rules of chats and messages that the Bot API methods share: which chat the bot may post
in, how a message is numbered, threaded and made a reply, which messages the bot may edit, and
the inline keyboards messages keep. Each rule refuses as Telegram refuses.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from bot.fake_telegram.errors import NOT_MODIFIED, TelegramError, bad_request, forbidden
from bot.fake_telegram.objects import Json
from bot.fake_telegram.spec import checked_param
from bot.fake_telegram.world import FakeChat

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram

CALLBACK_DATA_LIMIT = 64  # bytes of callback_data on an inline button
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def find_chat(fake: FakeTelegram, chat_id: int | str) -> FakeChat:
    chat = fake._chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is None:
        raise bad_request("chat not found")
    return chat


def writable_chat(fake: FakeTelegram, chat_id: int | str) -> FakeChat:
    """A chat the bot may post in, refused as Telegram refuses."""
    chat = find_chat(fake, chat_id)
    if chat.user is not None and chat.user.blocked_bot:
        raise forbidden("bot was blocked by the user")
    if chat.migrated_to is not None:
        raise TelegramError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": chat.migrated_to},
        )
    if chat.user is None and chat.bot_status == "kicked":
        raise forbidden("bot was kicked from the supergroup chat")
    if chat.user is None and chat.bot_status == "left":
        raise forbidden("bot is not a member of the supergroup chat")
    if chat.user is not None and not chat.user.started:
        raise forbidden("bot can't initiate conversation with a user")
    return chat


def forum_chat(fake: FakeTelegram, chat_id: int | str) -> FakeChat:
    """A forum whose topics the bot may manage (an administrator with can_manage_topics)."""
    chat = writable_chat(fake, chat_id)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    manages = chat.bot_status == "administrator" and chat.bot_rights.get("can_manage_topics", True)
    if not manages:
        raise bad_request("not enough rights to manage topics")
    return chat


def find_message(chat: FakeChat, message_id: int, missing: str) -> Json:
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request(missing)
    return message


def find_topic(chat: FakeChat, thread_id: int) -> Json:
    topic = chat.topics.get(thread_id)
    if topic is None:
        raise bad_request("message thread not found")
    return topic


def store_message(
    fake: FakeTelegram,
    chat: FakeChat,
    sender: Json,
    content: Json,
    thread_id: int | None = None,
    reply_to: Json | None = None,
) -> Json:
    """The one place Message objects are made: numbering, date, chat, thread and reply."""
    chat.last_message_id += 1
    message: Json = {
        "message_id": chat.last_message_id,
        "from": sender,
        "date": fake._now(),
        "chat": chat.as_dict(),
    }
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
        # In a topic, a message replying to nothing replies to the topic's first message.
        reply_to = reply_to or chat.messages.get(thread_id)
    if reply_to is not None:
        replied = {key: value for key, value in reply_to.items() if key != "reply_to_message"}
        message["reply_to_message"] = copy.deepcopy(replied)
    message.update(content)
    chat.messages[message["message_id"]] = message
    fake.feed.record("message", chat.id, message=message)
    fake._state_changed()
    return message


def send(fake: FakeTelegram, chat: FakeChat, p: Json, content: Json) -> Json:
    """Post a new bot message: what every send method shares."""
    markup = _inline_markup(p.get("reply_markup"))
    reply_to = _reply_target(fake, chat, p)
    thread_id = thread_for_send(chat, p.get("message_thread_id"), reply_to)
    if markup is not None:
        content["reply_markup"] = markup
    message = store_message(fake, chat, fake.bot.as_dict(), content, thread_id, reply_to)
    _show_reply_keyboard(fake, chat, p.get("reply_markup"))
    return message


def _show_reply_keyboard(fake: FakeTelegram, chat: FakeChat, markup: Json | None) -> None:
    """A reply keyboard, or its removal, changes what the user sees below the chat; the
    message itself keeps no trace of it (Telegram returns only inline keyboards)."""
    if not markup or not ("keyboard" in markup or markup.get("remove_keyboard")):
        return
    chat.reply_keyboard = copy.deepcopy(markup) if "keyboard" in markup else None
    fake.feed.record("keyboard", chat.id, reply_markup=chat.reply_keyboard)


def _reply_target(fake: FakeTelegram, chat: FakeChat, p: Json) -> Json | None:
    """The message a new one replies to: reply_parameters or the older reply_to_message_id."""
    reply = p.get("reply_parameters")
    if reply is None and "reply_to_message_id" in p:
        # Gone from the spec, yet Telegram still takes it and aiogram still sends it.
        name, value = "reply_to_message_id", p["reply_to_message_id"]
        reply = {"message_id": checked_param(fake.spec, p, name, ["Integer"], value)}
    if reply is None:
        return None
    if reply.get("chat_id", chat.id) != chat.id:
        raise bad_request("replies to another chat are not supported by the fake")
    target = chat.messages.get(reply["message_id"])
    if target is None and not reply.get("allow_sending_without_reply"):
        raise bad_request("message to be replied not found")
    return target


def thread_for_send(chat: FakeChat, thread_id: int | None, reply_to: Json | None) -> int | None:
    """The topic a new bot message goes to, which must exist."""
    if thread_id is None:
        # A reply without a thread goes to the topic of the message it replies to.
        return reply_to.get("message_thread_id") if reply_to and chat.is_forum else None
    find_topic(chat, thread_id)
    return thread_id


def editable_message(fake: FakeTelegram, p: Json) -> Json:
    """The bot message an edit method names, refused as Telegram refuses."""
    if "inline_message_id" in p:
        raise bad_request("inline messages are not supported by the fake")
    if "chat_id" not in p:
        raise bad_request("chat_id is empty")
    if "message_id" not in p:
        raise bad_request("message identifier is not specified")
    chat = writable_chat(fake, p["chat_id"])
    message = find_message(chat, p["message_id"], "message to edit not found")
    if message["from"]["id"] != fake.bot.id:
        raise bad_request("message can't be edited")
    return message


def apply_edit(fake: FakeTelegram, message: Json, content: Json, markup: Json | None) -> Json:
    """Replace content and inline keyboard; an absent keyboard is removed, as in Telegram."""
    changes = {**content, "reply_markup": _inline_markup(markup)}
    if all(message.get(key) == value for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    message["edit_date"] = fake._now()
    fake.feed.record("edited", message["chat"]["id"], message=message)
    fake._state_changed()
    return message


def _inline_markup(markup: Json | None) -> Json | None:
    """The inline keyboard a message keeps (Telegram returns no other kind), its buttons
    checked as Telegram checks them."""
    if not markup or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            if not any(action in button for action in BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
    rows = [row for row in markup["inline_keyboard"] if row]
    return {"inline_keyboard": rows} if rows else None
