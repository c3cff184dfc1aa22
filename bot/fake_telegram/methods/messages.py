"""Bot API methods that post, copy, forward, edit and delete messages."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from bot.fake_telegram.chats import (
    apply_edit,
    editable_message,
    find_chat,
    find_message,
    send,
    writable_chat,
)
from bot.fake_telegram.errors import bad_request
from bot.fake_telegram.formatting import caption_fields, check_text, entities_field, formatted
from bot.fake_telegram.objects import Json

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram

DELETE_WINDOW = 48 * 3600  # seconds after which a message can't be deleted for everyone
COPIED_CONTENT = (
    "text",
    "entities",
    "photo",
    "document",
    "location",
    "sticker",
    "caption",
    "caption_entities",
)

# What a caption may go with.
CAPTIONED = ("photo", "document", "video", "audio", "voice", "animation")


async def send_message(fake: FakeTelegram, p: Json) -> Json:
    chat = writable_chat(fake, p["chat_id"])
    text, entities = formatted(p["text"], p.get("parse_mode"), p.get("entities"))
    check_text(text)
    return send(fake, chat, p, {"text": text, **entities_field("entities", entities)})


async def copy_message(fake: FakeTelegram, p: Json) -> Json:
    chat = writable_chat(fake, p["chat_id"])
    source_chat = find_chat(fake, p["from_chat_id"])
    source = find_message(source_chat, p["message_id"], "message to copy not found")
    content = {key: copy.deepcopy(source[key]) for key in COPIED_CONTENT if key in source}
    if not content:
        raise bad_request("message can't be copied")
    if "text" not in content and "caption" in p:
        content = {k: v for k, v in content.items() if not k.startswith("caption")}
        content |= caption_fields(p)
    return {"message_id": send(fake, chat, p, content)["message_id"]}


async def forward_message(fake: FakeTelegram, p: Json) -> Json:
    chat = writable_chat(fake, p["chat_id"])
    source_chat = find_chat(fake, p["from_chat_id"])
    source = find_message(source_chat, p["message_id"], "message to forward not found")
    content = {key: copy.deepcopy(source[key]) for key in COPIED_CONTENT if key in source}
    if not content:
        raise bad_request("message can't be forwarded")
    origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
    content["forward_origin"] = copy.deepcopy(source.get("forward_origin", origin))
    return send(fake, chat, p, content)


async def edit_message_text(fake: FakeTelegram, p: Json) -> Json:
    text, entities = formatted(p.get("text", ""), p.get("parse_mode"), p.get("entities"))
    check_text(text)
    message = editable_message(fake, p)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    content = {"text": text, "entities": entities or None}
    return apply_edit(fake, message, content, p.get("reply_markup"))


async def edit_message_caption(fake: FakeTelegram, p: Json) -> Json:
    message = editable_message(fake, p)
    if "text" in message or not any(key in message for key in CAPTIONED):
        raise bad_request("there is no caption in the message to edit")
    fields = caption_fields(p)
    content = {"caption": fields.get("caption"), "caption_entities": fields.get("caption_entities")}
    return apply_edit(fake, message, content, p.get("reply_markup"))


async def edit_message_reply_markup(fake: FakeTelegram, p: Json) -> Json:
    return apply_edit(fake, editable_message(fake, p), {}, p.get("reply_markup"))


async def delete_message(fake: FakeTelegram, p: Json) -> bool:
    chat = find_chat(fake, p["chat_id"])
    message = find_message(chat, p["message_id"], "message to delete not found")
    if fake._now() - message["date"] > DELETE_WINDOW:
        raise bad_request("message can't be deleted for everyone")
    del chat.messages[message["message_id"]]
    fake.feed.record("deleted", chat.id, message_id=message["message_id"])
    fake._state_changed()
    return True
