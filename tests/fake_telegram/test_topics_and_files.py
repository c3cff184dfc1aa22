"""Forum topics and threads; files uploaded, sent again by file_id and downloaded."""

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser, tiny_png
from tests.fake_telegram.support import ALICE, GROUP


async def test_forum_topics_and_threads(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, deputy: FakeUser
) -> None:
    topic = await bot.create_forum_topic(GROUP, name="工单 #17 路灯")
    thread = topic.message_thread_id

    card = await bot.send_message(GROUP, "新工单", message_thread_id=thread)
    assert (card.message_thread_id, card.is_topic_message) == (thread, True)
    reply = await deputy.send_text("已联系", chat=forum, reply_to=card.message_id)
    assert reply["message_thread_id"] == thread  # a reply stays in the replied message's topic

    in_thread = fake.messages(GROUP, thread_id=thread)
    assert [m.get("forum_topic_created", {}).get("name") for m in in_thread] == [
        "工单 #17 路灯",
        None,
        None,
    ]
    assert [m.get("text") for m in in_thread] == [None, "新工单", "已联系"]
    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(GROUP, "迷路", message_thread_id=thread + 100)

    assert await bot.close_forum_topic(GROUP, thread) is True
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(GROUP, thread)
    assert await bot.edit_forum_topic(GROUP, thread, name="工单 #17 已办结") is True
    assert await bot.delete_forum_topic(GROUP, thread) is True
    assert fake.messages(GROUP, thread_id=thread) == []


async def test_topics_need_a_forum(bot: Bot, fake: FakeTelegram, deputy: FakeUser) -> None:
    fake.group(chat_id=-1009, title="普通群", members=[deputy])

    with pytest.raises(TelegramBadRequest, match="Bad Request: the chat is not a forum"):
        await bot.create_forum_topic(-1009, name="x")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(-1009, "x", message_thread_id=5)


async def test_document_upload_round_trips_through_get_file(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    content = "第一代表小组 2025 年度报告\n".encode() * 100

    sent = await bot.send_document(
        ALICE,
        BufferedInputFile(content, filename="report.pdf"),
        caption="<i>年度报告</i>",
        parse_mode="HTML",
    )
    document = sent.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "report.pdf",
        "application/pdf",
        len(content),
    )
    assert sent.caption == "年度报告"
    assert [e.type for e in sent.caption_entities or []] == ["italic"]

    file = await bot.get_file(document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == content

    again = await bot.send_document(ALICE, document.file_id)
    assert again.document is not None and again.document.file_id == document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(ALICE, "no-such-file-id")


async def test_photos_must_be_images(bot: Bot, fake: FakeTelegram, alice: FakeUser) -> None:
    sent = await bot.send_photo(ALICE, BufferedInputFile(tiny_png(4, 3), filename="map.png"))

    assert [(p.width, p.height) for p in sent.photo or []] == [(4, 3)]
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ALICE, BufferedInputFile(b"not an image", filename="x.png"))

    from_user = await alice.send_photo(tiny_png(8, 8), caption="照片")
    assert (from_user["photo"][0]["width"], from_user["caption"]) == (8, "照片")
    file = await bot.get_file(from_user["photo"][0]["file_id"])
    assert file.file_size == len(tiny_png(8, 8))
