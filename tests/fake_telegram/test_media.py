"""Media as Telegram has them: what users send (documents, voice messages, videos, albums,
contacts) reaches the bot as Telegram sends it, and the bot copies messages one by one or
several at once, never naming who wrote them."""

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import KeyboardButton, ReplyKeyboardMarkup

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser, tiny_png
from tests.fake_telegram.support import ALICE, GROUP


async def test_documents_voice_messages_and_videos_reach_the_bot_with_their_files(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    await alice.send_document(b"%PDF-1.4 report", "报告.pdf", caption="见附件")
    await alice.send_voice(b"OggS voice", duration=4)
    await alice.send_video(b"\0\0\0 ftypmp4", duration=7, caption="视频")
    await alice.send_video_note(b"\0\0\0 ftypmp4 round")
    messages = [u.message for u in await bot.get_updates() if u.message]
    document, voice, video, note = messages
    assert document.document is not None and document.document.file_name == "报告.pdf"
    assert document.document.mime_type == "application/pdf" and document.caption == "见附件"
    assert voice.voice is not None and voice.voice.duration == 4
    assert voice.voice.mime_type == "audio/ogg" and voice.voice.file_size == 10
    assert video.video is not None and video.video.duration == 7 and video.caption == "视频"
    assert note.video_note is not None and note.video_note.length == 240
    file = await bot.get_file(voice.voice.file_id)
    assert file.file_size == 10


async def test_an_album_arrives_as_one_update_per_item_sharing_a_media_group(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    await alice.send_album([("photo", tiny_png())] * 3, caption="三张照片")
    updates = await bot.get_updates()
    items = [u.message for u in updates if u.message]
    assert len(updates) == 3 and len({u.update_id for u in updates}) == 3
    assert len({m.media_group_id for m in items}) == 1 and items[0].media_group_id
    assert [m.caption for m in items] == ["三张照片", None, None]
    with pytest.raises(ValueError, match="2–10 items"):
        await alice.send_album([("photo", tiny_png()), ("document", b"x")])
    with pytest.raises(ValueError, match="2–10 items"):
        await alice.send_album([("photo", tiny_png())] * 11)


async def test_a_caption_longer_than_the_app_allows_needs_telegram_premium(
    fake: FakeTelegram, alice: FakeUser
) -> None:
    with pytest.raises(ValueError, match="1024"):
        await alice.send_photo(tiny_png(), caption="字" * 1025)
    alice.is_premium = True
    sent = await alice.send_photo(tiny_png(), caption="字" * 1025)
    assert len(sent["caption"]) == 1025 and sent["from"]["is_premium"] is True


async def test_a_contact_is_the_users_own_only_through_the_bots_button(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    await alice.send_contact("+8613900000000", "小明", user_id=4242)
    with pytest.raises(ValueError, match="no button"):
        await alice.share_own_contact("+8613800000000")
    button = KeyboardButton(text="分享我的手机号", request_contact=True)
    markup = ReplyKeyboardMarkup(keyboard=[[button]], one_time_keyboard=True)
    await bot.send_message(ALICE, "可以留下手机号", reply_markup=markup)
    await alice.share_own_contact("+8613800000000")
    assert fake.reply_keyboard(ALICE) is None  # hidden once used
    someone, own = [u.message.contact for u in await bot.get_updates() if u.message]
    assert someone is not None and (someone.user_id, someone.first_name) == (4242, "小明")
    assert own is not None and own.user_id == ALICE and own.phone_number == "+8613800000000"


async def test_copies_keep_the_content_name_nobody_and_fail_for_a_missing_message(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, forum: FakeChat
) -> None:
    voice = await alice.send_voice(b"OggS voice")
    album = await alice.send_album([("photo", tiny_png()), ("video", b"\0\0\0 ftypmp4")])
    one = await bot.copy_message(GROUP, ALICE, voice["message_id"], caption="反映人的语音")
    copied = fake.chat(GROUP).messages[one.message_id]
    assert copied["voice"] == voice["voice"] and copied["caption"] == "反映人的语音"
    assert "forward_origin" not in copied and copied["from"]["id"] == fake.bot.id
    ids = [m["message_id"] for m in album]
    several = await bot.copy_messages(GROUP, ALICE, [*ids, 9999])
    assert len(several) == 2  # the missing one is skipped
    copies = [fake.chat(GROUP).messages[m.message_id] for m in several]
    assert "photo" in copies[0] and "video" in copies[1]
    assert copies[0]["media_group_id"] == copies[1]["media_group_id"]
    assert copies[0]["media_group_id"] != album[0]["media_group_id"]
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to copy not found"):
        await bot.copy_message(GROUP, ALICE, 9999)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to copy not found"):
        await bot.copy_messages(GROUP, ALICE, [9998, 9999])
    with pytest.raises(TelegramBadRequest, match="strictly increasing"):
        await bot.copy_messages(GROUP, ALICE, [ids[1], ids[0]])
