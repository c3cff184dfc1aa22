"""Media in an opinion: a resident adds photos (an album among them), a document and a voice
message to a draft; the album is answered once; the deputy group sees the card followed by
copies of every attachment, never forwards. Too large a file, too long a caption and one
attachment too many are refused politely, and the draft keeps what it had. A deputy's voice
message or document in reply reaches the resident as a copy."""

import asyncio
from typing import Any

from limits import parse
from sqlalchemy import select

from bot.fake_telegram import tiny_png
from storage.models import (
    Attachment,
    Contact,
    Draft,
    OutboxMessage,
    OutboxPurpose,
    RecipientKind,
    Ticket,
)
from tests.support.harness import Harness
from tests.support.stories import (
    HAIDE_GROUP_1,
    OPINION,
    WANG_JIANGUO,
    card_in_group,
    press_submit,
    register_in_haide,
)
from tests.test_group_topics import a_forum

NUMBER = "A-2026-000001"
TOO_LARGE = b"\0" * (20 * 1024 * 1024 + 1)  # a byte over what a bot may download


def after(harness: Harness, chat_id: int, message_id: int) -> list[dict[str, Any]]:
    """The bot's messages in the chat sent after that message."""
    return [m for m in harness.fake.bot_messages(chat_id) if m["message_id"] > message_id]


async def test_an_album_a_document_and_a_voice_message_reach_the_deputies_as_copies(
    harness: Harness,
):
    fake = harness.fake
    resident = fake.user(user_id=5801, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    await harness.bot_says(resident.id, "已记下（共1条，")

    album = await resident.send_album([("photo", tiny_png())] * 3, caption="路灯的照片")
    # The album is one message of the draft: its prompt counts its items as they come.
    prompt = await harness.bot_says(resident.id, "含附件3个", after=album[0]["message_id"])
    assert "已记下（共2条，" in prompt["text"]
    await harness.fake.wait_for(lambda: harness.fake.pending_updates() == [])
    # The album was answered once: one prompt, updated as its items came in.
    assert [m["message_id"] for m in after(harness, resident.id, album[0]["message_id"])] == [
        prompt["message_id"]
    ]

    await resident.send_document(b"%PDF-1.4 notice", "物业通知.pdf")
    await harness.bot_says(resident.id, "含附件4个")
    await resident.send_voice(b"OggS voice", duration=6)
    prompt = await harness.bot_says(resident.id, "已记下（共4条，")
    assert "含附件5个" in prompt["text"]
    await press_submit(harness, resident, prompt)
    confirmation = await harness.bot_says(resident.id, "已收到。")
    assert "您的5个附件已一并转交。" in confirmation["text"]

    card = await card_in_group(harness, HAIDE_GROUP_1, NUMBER)
    assert "附件5个（见下方）。" in card["text"]
    assert OPINION in card["text"] and "路灯的照片" in card["text"]
    copies = after(harness, HAIDE_GROUP_1, card["message_id"])
    assert [next(k for k in ("photo", "document", "voice") if k in m) for m in copies] == [
        "photo",
        "photo",
        "photo",
        "document",
        "voice",
    ]
    for number, copy in enumerate(copies, start=1):
        assert copy["caption"].startswith(f"意见建议（{NUMBER}）附件{number}/5")
        assert copy["reply_to_message"]["message_id"] == card["message_id"]
        assert "forward_origin" not in copy
    assert copies[0]["caption"].endswith("路灯的照片")
    assert copies[3]["document"]["file_name"] == "物业通知.pdf"
    assert not any(r.method == "forwardMessage" for r in fake.requests)
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None
        kept = list(await session.scalars(select(Attachment).order_by(Attachment.id)))
        assert [a.kind for a in kept] == ["photo", "photo", "photo", "document", "voice"]
        assert {a.ticket_id for a in kept} == {ticket.id}
        assert len({a.album for a in kept[:3]}) == 1 and kept[3].album is None
        assert await session.scalar(select(Draft)) is None

    # A deputy replies to one of the copies: it is the ticket's thread.
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    await wang.send_text("照片收到，已派人查看。", chat=group, reply_to=copies[1]["message_id"])
    await harness.bot_says(resident.id, "照片收到，已派人查看。")


async def test_a_later_addition_with_a_photo_reaches_the_group_the_same_way(harness: Harness):
    resident = harness.fake.user(user_id=5807, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    await press_submit(harness, resident, await harness.bot_says(resident.id, "已记下（共1条"))
    card = await card_in_group(harness, HAIDE_GROUP_1, NUMBER)

    await resident.send_photo(tiny_png(), caption="今晚又黑了一整夜")
    asked = await harness.bot_says(resident.id, "还是新的意见建议？")
    await harness.press(resident, asked, f"补充到{NUMBER}")
    await harness.bot_says(resident.id, f"已补充到意见建议（{NUMBER}）")
    await harness.fake.wait_for(
        lambda: any("photo" in m for m in harness.fake.bot_messages(HAIDE_GROUP_1))
    )
    notice, copy = after(harness, HAIDE_GROUP_1, card["message_id"])
    assert notice["text"].startswith(f"反映人对意见建议（{NUMBER}）补充如下：")
    assert "今晚又黑了一整夜" in notice["text"]
    assert copy["caption"] == f"意见建议（{NUMBER}）附件1/1\n今晚又黑了一整夜"
    assert copy["reply_to_message"]["message_id"] == card["message_id"]
    assert "forward_origin" not in copy
    async with harness.app.sessionmaker() as session:
        kept = await session.scalar(select(Attachment))
        assert kept is not None and kept.kind == "photo"


async def test_in_a_group_with_a_topic_per_ticket_the_copies_go_to_its_topic(harness: Harness):
    chat, _, _ = await a_forum(harness)
    resident = harness.fake.user(user_id=5808, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    await harness.bot_says(resident.id, "已记下（共1条")
    await resident.send_album([("photo", tiny_png()), ("video", b"\0\0\0 ftypmp4")])
    prompt = await harness.bot_says(resident.id, "含附件2个")
    await press_submit(harness, resident, prompt)
    card = await harness.bot_says(chat.id, f"意见建议（{NUMBER}）")
    await harness.fake.wait_for(
        lambda: any("video" in m for m in harness.fake.bot_messages(chat.id))
    )
    photo, video = after(harness, chat.id, card["message_id"])
    assert "photo" in photo and "video" in video
    thread = card["message_thread_id"]
    assert photo["message_thread_id"] == thread and video["message_thread_id"] == thread
    assert video["caption"] == f"意见建议（{NUMBER}）附件2/2"


async def test_a_deputys_voice_message_and_document_reach_the_resident_as_copies(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    resident = harness.fake.user(user_id=5802, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    await press_submit(harness, resident, await harness.bot_says(resident.id, "已记下（共1条"))
    card = await card_in_group(harness, group.id, NUMBER)

    await wang.send_voice(b"OggS answer", duration=9, chat=group, reply_to=card["message_id"])
    await harness.bot_says(group.id, f"已转达反映人（{NUMBER}）")
    await wang.send_document(
        b"%PDF reply", "答复函.pdf", caption="正式答复", chat=group, reply_to=card["message_id"]
    )
    await harness.fake.wait_for(
        lambda: any("document" in m for m in harness.fake.bot_messages(resident.id))
    )
    voice = next(m for m in harness.fake.bot_messages(resident.id) if "voice" in m)
    document = next(m for m in harness.fake.bot_messages(resident.id) if "document" in m)
    assert voice["voice"]["duration"] == 9 and "forward_origin" not in voice
    assert voice["caption"].startswith(f"王建国代表对您的意见建议（{NUMBER}）答复如下：")
    assert document["document"]["file_name"] == "答复函.pdf" and "forward_origin" not in document
    assert "正式答复" in document["caption"]
    await harness.outbox_settled()
    async with harness.app.sessionmaker() as session:
        replies = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == OutboxPurpose.REPLY)
            )
        )
    assert len(replies) == 2 and all(r.payload.get("copy") for r in replies)


async def test_a_voice_message_answering_a_deputys_question_reaches_the_group(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    resident = harness.fake.user(user_id=5809, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    await press_submit(harness, resident, await harness.bot_says(resident.id, "已记下（共1条"))
    card = await card_in_group(harness, group.id, NUMBER)
    await harness.press(wang, card, "需补充")
    prompt = await harness.bot_says(group.id, "写下需要反映人补充的内容")
    await harness.outbox_settled()
    await wang.send_text("路灯的具体位置？", chat=group, reply_to=prompt["message_id"])
    question = await harness.bot_says(resident.id, "路灯的具体位置？")
    await harness.outbox_settled()
    await resident.send_voice(b"OggS where", duration=8, reply_to=question["message_id"])
    await harness.bot_says(resident.id, "感谢您的补充")
    await harness.fake.wait_for(
        lambda: any("voice" in m for m in harness.fake.bot_messages(group.id))
    )
    voice = next(m for m in harness.fake.bot_messages(group.id) if "voice" in m)
    assert voice["voice"]["duration"] == 8 and "forward_origin" not in voice
    assert voice["reply_to_message"]["message_id"] == card["message_id"]


async def test_too_large_a_file_and_too_long_a_caption_are_refused_and_nothing_is_lost(
    harness: Harness,
):
    # The English-speaking resident has not chosen an area yet: the draft is kept meanwhile.
    for user_id, code, large, long_words, kept in (
        (5803, "zh-hans", "此文件超过20MB", "超过1024字", "已记下（共2条，"),
        (5804, "en", "larger than 20 MB", "longer than 1024 characters", "What you wrote is kept"),
    ):
        resident = harness.fake.user(user_id=user_id, first_name="小红", language_code=code)
        resident.is_premium = True  # may send captions over 1024 characters
        if code == "zh-hans":
            await register_in_haide(harness, resident)
        first = await resident.send_text(OPINION)
        await harness.bot_says(resident.id, "", after=first["message_id"])
        sent = await resident.send_document(TOO_LARGE, "监控录像.mp4")
        refusal = await harness.bot_says(resident.id, large)
        assert refusal["reply_to_message"]["message_id"] == sent["message_id"]
        sent = await resident.send_photo(tiny_png(), caption="很" * 1025)
        refusal = await harness.bot_says(resident.id, long_words)
        assert refusal["reply_to_message"]["message_id"] == sent["message_id"]
        sent = await resident.send_photo(tiny_png(), caption="门口")
        await harness.bot_says(resident.id, kept, after=sent["message_id"])
        draft = await saved_draft(harness, user_id, parts=2)
        assert [p["text"] for p in draft.parts] == [OPINION, "门口"]
        assert draft.parts[1]["media"]["kind"] == "photo"


async def test_one_attachment_too_many_is_refused_once_for_an_album(harness: Harness):
    resident = harness.fake.user(user_id=5805, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    await resident.send_album([("photo", tiny_png())] * 8)
    await harness.bot_says(resident.id, "含附件8个")
    album = await resident.send_album([("photo", tiny_png())] * 4)
    refusal = await harness.bot_says(resident.id, "最多可附10个附件")
    assert refusal["reply_to_message"]["message_id"] == album[2]["message_id"]
    await resident.send_text("其余的情况：灯杆也歪了。")  # answered once the album is done
    await harness.bot_says(resident.id, "已记下（共4条，")
    refusals = [
        m
        for m in after(harness, resident.id, album[0]["message_id"])
        if "最多可附10个附件" in m["text"]
    ]
    assert len(refusals) == 1
    draft = await saved_draft(harness, resident.id, parts=12)
    assert sum(1 for part in draft.parts if part.get("media")) == 10


async def saved_draft(harness: Harness, user_id: int, parts: int) -> Draft:
    """The resident's draft once it holds that many parts (it is saved just after the
    resident is answered)."""
    async with asyncio.timeout(10):
        while True:
            async with harness.app.sessionmaker() as session:
                draft = await session.scalar(
                    select(Draft)
                    .join(Contact, Contact.recipient_id == Draft.resident_id)
                    .where(
                        Contact.address == str(user_id),
                        Contact.recipient_kind == RecipientKind.RESIDENT,
                    )
                )
            if draft is not None and len(draft.parts) == parts:
                return draft
            await asyncio.sleep(0.05)


async def test_an_album_counts_once_against_the_flood_limit(harness: Harness):
    resident = harness.fake.user(user_id=5806, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    flood = harness.app.dispatcher["flood"]
    flood.item = parse("3/minute")  # a low limit, counted from here on
    await resident.send_text(OPINION)
    await resident.send_album([("photo", tiny_png())] * 5)
    sent = await resident.send_text("灯杆也歪了。")
    await harness.bot_says(resident.id, "已记下（共3条", after=sent["message_id"])
    assert not any("您发送消息过快" in m["text"] for m in harness.fake.bot_messages(resident.id))
