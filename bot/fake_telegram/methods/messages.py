"""Bot API methods that post, copy, forward, edit and delete messages."""

from __future__ import annotations

import copy
from itertools import pairwise
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
    "voice",
    "video",
    "video_note",
    "audio",
    "animation",
    "location",
    "contact",
    "sticker",
    "caption",
    "caption_entities",
)
COPIED_AT_ONCE = 100  # message ids copyMessages takes

# What a caption may go with.
CAPTIONED = ("photo", "document", "video", "audio", "voice", "animation")


async def send_message(fake: FakeTelegram, p: Json) -> Json:
    chat = writable_chat(fake, p["chat_id"])
    text, entities = formatted(p["text"], p.get("parse_mode"), p.get("entities"))
    check_text(text)
    return send(fake, chat, p, {"text": text, **entities_field("entities", entities)})


def _copied_content(source: Json) -> Json:
    """What a copy keeps of a message: its content, never who sent it nor its album."""
    return {key: copy.deepcopy(source[key]) for key in COPIED_CONTENT if key in source}


async def copy_message(fake: FakeTelegram, p: Json) -> Json:
    chat = writable_chat(fake, p["chat_id"])
    source_chat = find_chat(fake, p["from_chat_id"])
    source = find_message(source_chat, p["message_id"], "message to copy not found")
    content = _copied_content(source)
    if not content:
        raise bad_request("message can't be copied")
    if any(kind in content for kind in CAPTIONED) and "caption" in p:
        content = {k: v for k, v in content.items() if not k.startswith("caption")}
        content |= caption_fields(p)
    return {"message_id": send(fake, chat, p, content)["message_id"]}


async def copy_messages(fake: FakeTelegram, p: Json) -> list[Json]:
    """Copy several messages at once, in order; those not found or not copyable are skipped,
    and an album stays one album (with a media group of its own) in the copy."""
    chat = writable_chat(fake, p["chat_id"])
    source_chat = find_chat(fake, p["from_chat_id"])
    ids = p["message_ids"]
    if not 1 <= len(ids) <= COPIED_AT_ONCE:
        raise bad_request(f"message_ids must hold 1-{COPIED_AT_ONCE} identifiers")
    if any(later <= earlier for earlier, later in pairwise(ids)):
        raise bad_request("message identifiers must be in strictly increasing order")
    sources = [m for m in (source_chat.messages.get(i) for i in ids) if m and _copied_content(m)]
    if not sources:
        raise bad_request("message to copy not found")
    albums: dict[str, str] = {}
    copied = []
    for source in sources:
        content = _copied_content(source)
        if p.get("remove_caption"):
            content = {k: v for k, v in content.items() if not k.startswith("caption")}
        if "media_group_id" in source:
            group = albums.setdefault(source["media_group_id"], f"{source['media_group_id']}c")
            content["media_group_id"] = group
        params = {k: v for k, v in p.items() if k in ("message_thread_id",)}
        copied.append({"message_id": send(fake, chat, params, content)["message_id"]})
    return copied


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
