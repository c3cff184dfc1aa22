"""Attachments to a draft: photos, documents, voice messages, videos (round ones too), audio
files and, once a draft is begun and the area known, a place. An album arrives as one update
per item: it is answered once, and its later items update that answer. A file too large to
keep, a caption too long, or one attachment too many is refused politely, and the draft stays
as it was."""

from aiogram import Bot, F, Router
from aiogram.filters import Filter
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.attachments import ATTACHMENTS_LIMIT, Media
from bot.core.drafts import DraftBook
from bot.core.tickets import TicketDesk
from bot.telegram.channel import CAPTION_LIMIT, DOWNLOAD_LIMIT, utf16_length
from bot.text.catalogs import Texts
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.draft import add_part
from handlers.resident.drafts import (
    DRAFT_LIMIT,
    Draft,
    attachment_count,
    draft_keyboard,
    draft_length,
    too_long,
    update_album_prompt,
)
from storage.models import Resident

# Files, in the order looked at: an animation is a document too, and is called what it is.
FILES = ("animation", "document", "voice", "video", "video_note", "audio")


def media_in(message: Message) -> Media | None:
    """The attachment a message carries, as the core keeps it."""
    where = {
        "address": str(message.chat.id),
        "receipt": str(message.message_id),
        "caption": message.caption,
        "album": message.media_group_id,
    }
    if message.photo:
        biggest = message.photo[-1]
        return Media("photo", file_id=biggest.file_id, file_size=biggest.file_size, **where)
    for kind in FILES:
        item = getattr(message, kind)
        if item is not None:
            name = getattr(item, "file_name", None)
            return Media(
                kind, file_id=item.file_id, file_size=item.file_size, file_name=name, **where
            )
    if message.location is not None:
        place = message.location
        return Media("location", latitude=place.latitude, longitude=place.longitude, **where)
    return None


class Attachable(Filter):
    """A message with an attachment; a place only while a draft is begun and the area known
    (otherwise it says where the resident lives)."""

    async def __call__(
        self, message: Message, drafts: DraftBook, session: AsyncSession, resident: Resident
    ) -> bool | dict[str, object]:
        media = media_in(message)
        if media is None:
            return False
        if media.kind == "location" and (
            resident.area_id is None or not await drafts.exists(session, resident.id)
        ):
            return False
        return {"media": media}


def refusal_of(t: Texts, draft: Draft, media: Media) -> str | None:
    """Why the attachment cannot be kept, in words the resident can act on; None if it can."""
    if media.file_size is not None and media.file_size > DOWNLOAD_LIMIT:
        return t.gettext(
            "This file is larger than {size} MB, too large to keep, so it was not added. "
            "Please send a smaller one (a photo instead of a video, say), or describe it in "
            "words."
        ).format(size=DOWNLOAD_LIMIT // (1024 * 1024))
    caption = media.caption or ""
    if utf16_length(caption) > CAPTION_LIMIT:
        return t.gettext(
            "The words sent with this attachment are longer than {limit} characters, so it "
            "was not added. Please send it again with fewer words, and the rest as a message "
            "of its own."
        ).format(limit=CAPTION_LIMIT)
    if attachment_count(draft) >= ATTACHMENTS_LIMIT:
        return t.gettext(
            "An opinion or suggestion can have at most {limit} attachments, so this one was "
            "not added. Please submit what you have first, or describe the rest in words."
        ).format(limit=ATTACHMENTS_LIMIT)
    if draft["parts"] and draft_length(draft) + len(caption) > DRAFT_LIMIT:
        return too_long(t)
    return None


async def collect_media(
    message: Message,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
    media: Media,
) -> None:
    draft = await drafts.load(session, resident.id)
    album = draft.get("album")
    same_album = media.album is not None and album is not None and album["id"] == media.album
    refusal = refusal_of(t, draft, media)
    if refusal is not None:
        if same_album and album["refused"]:
            return  # the album's refusal was said once already
        if media.album is not None:
            draft["album"] = {
                "id": media.album,
                "prompt": album["prompt"] if same_album else None,
                "refused": True,
            }

        keyboard = draft_keyboard(t) if draft["parts"] else None

        async def refuse() -> None:
            await message.reply(refusal, reply_markup=keyboard)
            if draft["parts"]:
                await drafts.save(resident.id, draft)

        after_commit(refuse)
        return
    part = {"message_id": message.message_id, "text": media.caption or "", "media": media.as_json()}
    # An album answered with a refusal only (its first item, say) is told what was kept.
    if same_album and not (album["refused"] and album["prompt"] is None):
        draft["parts"].append(part)
        after_commit(
            lambda: update_album_prompt(bot, message.chat.id, drafts, resident.id, t, draft)
        )
        return
    if media.album is not None and not same_album:
        draft["album"] = {"id": media.album, "prompt": None, "refused": False}
    await add_part(message, bot, drafts, session, after_commit, resident, desk, t, draft, part)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(collect_media, ~F.text, Attachable())
    return router
