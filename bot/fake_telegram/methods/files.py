"""Bot API methods about files: sending photos and documents, and getFile for downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.fake_telegram.chats import send, writable_chat
from bot.fake_telegram.errors import bad_request
from bot.fake_telegram.files import image_size
from bot.fake_telegram.formatting import caption_fields
from bot.fake_telegram.objects import Json

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # what getFile lets bots download


async def send_photo(fake: FakeTelegram, p: Json) -> Json:
    chat = writable_chat(fake, p["chat_id"])
    photo = fake._files.input_file(p["photo"], "photo")
    if image_size(photo.data) is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    return send(fake, chat, p, {"photo": photo.as_photo(), **caption_fields(p)})


async def send_document(fake: FakeTelegram, p: Json) -> Json:
    chat = writable_chat(fake, p["chat_id"])
    document = fake._files.input_file(p["document"], "document")
    return send(fake, chat, p, {"document": document.as_document(), **caption_fields(p)})


async def get_file(fake: FakeTelegram, p: Json) -> Json:
    stored = fake._files.by_id.get(p["file_id"])
    if stored is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if len(stored.data) > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.as_file()
