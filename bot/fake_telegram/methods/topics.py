"""Bot API methods for forum topics: create, edit, close, reopen and delete.

Each change is also a service message in the topic, as in Telegram; a deleted topic takes its
messages with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.fake_telegram.chats import find_topic, forum_chat, store_message
from bot.fake_telegram.errors import bad_request
from bot.fake_telegram.objects import Json, without_none

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram
    from bot.fake_telegram.world import FakeChat

DEFAULT_TOPIC_COLOR = 0x6FB9F0  # the first icon color Telegram offers for topics


async def create_forum_topic(fake: FakeTelegram, p: Json) -> Json:
    chat = forum_chat(fake, p["chat_id"])
    # The topic's id is the id of the service message that opens it, posted right below.
    thread_id = chat.last_message_id + 1
    topic = without_none(
        {
            "message_thread_id": thread_id,
            "name": p["name"],
            "icon_color": p.get("icon_color", DEFAULT_TOPIC_COLOR),
            "icon_custom_emoji_id": p.get("icon_custom_emoji_id"),
        }
    )
    chat.topics[thread_id] = topic
    created = {key: value for key, value in topic.items() if key != "message_thread_id"}
    store_message(fake, chat, fake.bot.as_dict(), {"forum_topic_created": created}, thread_id)
    _topic_changed(fake, chat, thread_id)
    return dict(topic)


async def edit_forum_topic(fake: FakeTelegram, p: Json) -> bool:
    chat = forum_chat(fake, p["chat_id"])
    topic = find_topic(chat, p["message_thread_id"])
    changes: Json = {
        key: p[key]
        for key in ("name", "icon_custom_emoji_id")
        if key in p and p[key] != topic.get(key)
    }
    if not changes:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.update(changes)
    edited = {"forum_topic_edited": changes}
    store_message(fake, chat, fake.bot.as_dict(), edited, p["message_thread_id"])
    _topic_changed(fake, chat, p["message_thread_id"])
    return True


async def close_forum_topic(fake: FakeTelegram, p: Json) -> bool:
    return _set_topic_closed(fake, p, closed=True)


async def reopen_forum_topic(fake: FakeTelegram, p: Json) -> bool:
    return _set_topic_closed(fake, p, closed=False)


def _set_topic_closed(fake: FakeTelegram, p: Json, *, closed: bool) -> bool:
    chat = forum_chat(fake, p["chat_id"])
    thread_id = p["message_thread_id"]
    find_topic(chat, thread_id)
    if (thread_id in chat.closed_topics) == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    if closed:
        chat.closed_topics.add(thread_id)
    else:
        chat.closed_topics.discard(thread_id)
    event = "forum_topic_closed" if closed else "forum_topic_reopened"
    store_message(fake, chat, fake.bot.as_dict(), {event: {}}, thread_id)
    _topic_changed(fake, chat, thread_id)
    return True


async def delete_forum_topic(fake: FakeTelegram, p: Json) -> bool:
    chat = forum_chat(fake, p["chat_id"])
    thread_id = p["message_thread_id"]
    find_topic(chat, thread_id)
    del chat.topics[thread_id]
    chat.closed_topics.discard(thread_id)
    chat.messages = {
        message_id: message
        for message_id, message in chat.messages.items()
        if message.get("message_thread_id") != thread_id
    }
    fake.feed.record("topic", chat.id, message_thread_id=thread_id, topic=None, closed=False)
    fake._state_changed()
    return True


def _topic_changed(fake: FakeTelegram, chat: FakeChat, thread_id: int) -> None:
    closed = thread_id in chat.closed_topics
    topic = chat.topics[thread_id]
    fake.feed.record("topic", chat.id, message_thread_id=thread_id, topic=topic, closed=closed)
