"""The resident's phone number: offered with Telegram's contact button at the question whether
the deputies may see the name, never required; only the resident's own contact is kept, and
the deputies see it only where the resident chose to show the name. /forget deletes it, with
the updates the resident sent as Telegram delivered them."""

from typing import Any

from sqlalchemy import func, select

from bot.fake_telegram import tiny_png
from storage.models import Attachment, InboundUpdate, Resident
from tests.support.harness import Harness
from tests.support.stories import HAIDE_GROUP_1, OPINION, card_in_group, register_in_haide

PHONE = "+8613800000000"


async def up_to_the_name_question(
    harness: Harness, resident: Any, text: str, another: bool = False
) -> dict[str, Any]:
    """Write an opinion (`another`: while one is open), press Submit and pick a topic: the
    name question, once asked."""
    sent = await resident.send_text(text)
    after = sent["message_id"]
    if another:
        asked = await harness.bot_says(resident.id, "还是新的意见建议？", after=after)
        await harness.press(resident, asked, "新的意见建议")
    prompt = await harness.bot_says(resident.id, "已记下（共", after=after)
    await harness.press(resident, prompt, "提交")
    asked = await harness.bot_says(resident.id, "请选择意见建议的类别", after=after)
    await harness.press(resident, asked, "其他或不确定")
    return await harness.bot_says(resident.id, "是否向人大代表公开您的姓名", after=after)


async def test_own_phone_is_kept_and_shown_only_with_the_name(harness: Harness):
    fake = harness.fake
    resident = fake.user(user_id=5901, first_name="小红", last_name="李", language_code="zh-hans")
    await register_in_haide(harness, resident)
    question = await up_to_the_name_question(harness, resident, OPINION)
    offer = await harness.bot_says(resident.id, "可点击下方按钮提供您的手机号码")
    assert "此项非必填" in offer["text"]
    buttons = [b for row in fake.reply_keyboard(resident.id)["keyboard"] for b in row]
    assert buttons == [{"text": "提供我的手机号码", "request_contact": True}]

    await resident.send_contact("+8613900000000", "小明", user_id=4242)
    refusal = await harness.bot_says(resident.id, "只能保存您本人的手机号码")
    assert "+8613900000000" not in refusal["text"]
    await resident.share_own_contact(PHONE)
    await harness.bot_says(resident.id, "您的手机号码已保存")
    assert fake.reply_keyboard(resident.id) is None
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(Resident.phone)) == PHONE

    await harness.press(resident, question, "公开我的姓名")
    confirmation = await harness.bot_says(resident.id, "已收到。")
    assert "您的姓名和手机号码已向人大代表公开。" in confirmation["text"]
    card = await card_in_group(harness, HAIDE_GROUP_1, "A-2026-000001")
    assert "反映人：李小红" in card["text"] or "反映人：小红" in card["text"]
    assert f"联系电话：{PHONE}" in card["text"]

    # A second opinion, without the name: the group sees neither name nor phone.
    question = await up_to_the_name_question(harness, resident, "垃圾桶满了。", another=True)
    assert f"公开姓名时，将一并显示您的手机号码{PHONE}。" in question["text"]
    await harness.press(resident, question, "不公开，直接提交")
    await harness.bot_says(resident.id, "A-2026-000002")
    card = await card_in_group(harness, HAIDE_GROUP_1, "A-2026-000002")
    assert "联系电话" not in card["text"] and PHONE not in card["text"]
    assert "反映人：和祥社区居民" in card["text"]


async def test_someone_elses_contact_is_refused_in_english_and_privacy_mentions_the_phone(
    harness: Harness,
):
    resident = harness.fake.user(user_id=5902, first_name="Ann", language_code="en")
    await resident.send_contact("+441234567890", "Bob", user_id=4243)
    await harness.bot_says(resident.id, "Only your own phone number can be kept")
    carol = await resident.send_contact("+441234567891", "Carol")  # not on Telegram: no user id
    refusal = await harness.bot_says(
        resident.id, "Only your own phone number can be kept", after=carol["message_id"]
    )
    assert refusal["reply_to_message"]["contact"]["first_name"] == "Carol"
    await resident.send_text("/privacy")
    privacy = await harness.bot_says(resident.id, "What is kept")
    assert "Phone number" in privacy["text"] and "Share my phone number" in privacy["text"]
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(Resident.phone)) is None


async def test_forget_deletes_the_phone_the_raw_updates_and_the_attachments(
    harness: Harness,
):
    fake = harness.fake
    resident = fake.user(user_id=5903, first_name="小红", language_code="zh-hans")
    other = fake.user(user_id=5904, first_name="小明", language_code="zh-hans")
    await other.send_text("/privacy")
    await harness.bot_says(other.id, "保存哪些信息")
    await register_in_haide(harness, resident)
    await resident.send_photo(tiny_png(), caption="我家门口，李小红摄")
    await harness.bot_says(resident.id, "含附件1个")
    question = await up_to_the_name_question(harness, resident, OPINION)
    await harness.bot_says(resident.id, "可点击下方按钮提供您的手机号码")
    await resident.share_own_contact(PHONE)
    await harness.bot_says(resident.id, "您的手机号码已保存")
    await harness.press(resident, question, "公开我的姓名")
    await harness.bot_says(resident.id, "已收到。")

    async def updates_from(user_id: int) -> int:
        async with harness.app.sessionmaker() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(InboundUpdate)
                    .where(InboundUpdate.sender == user_id)
                )
                or 0
            )

    assert await updates_from(resident.id) > 5 and await updates_from(other.id) == 1
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Attachment)) == 1
    await resident.send_text("/forget")
    ask = await harness.bot_says(resident.id, "确定删除吗？")
    assert "手机号码" in ask["text"] and "原始消息" in ask["text"]
    await harness.press(resident, ask, "删除我的信息")
    await harness.bot_says(resident.id, "您的个人信息已删除。")
    await harness.outbox_settled()
    assert await updates_from(resident.id) == 0
    assert await updates_from(other.id) == 1  # nobody else's
    async with harness.app.sessionmaker() as session:
        kept = await session.scalar(select(Resident).where(Resident.phone.is_not(None)))
        assert kept is None
        assert await session.scalar(select(func.count()).select_from(Attachment)) == 0
