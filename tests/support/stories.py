"""Stories several tests act out: a resident registers in 海德街道 and submits an opinion."""

from typing import Any

from bot.fake_telegram import CallbackAnswer
from tests.support.harness import Harness

HAIDE_GROUP_1 = -1001000000101
HAIDE_GROUP_2 = -1001000000102
WANG_JIANGUO = 7000000101
ZHOU_MING = 7000000103  # a deputy, but of another group
NOT_SURE = "其他或不确定"
NAMELESS = "不公开，直接提交"
OPINION = "和祥社区3号楼门口的路灯坏了两个星期，晚上很黑，老人出门不安全。"
ANSWER = "您好，已联系街道城管科，本周五前修好。"


async def register_in_haide(harness: Harness, resident: Any) -> None:
    """A resident opens the bot, is greeted in Chinese and picks 江滨区 › 海德街道 › 和祥社区."""
    chat = resident.id
    await resident.send_text("/start")
    await harness.bot_says(chat, "小红，您好！")
    await pick_hexiang(harness, resident, await harness.bot_says(chat, "请选择您所在的区（县）"))
    await harness.bot_says(chat, "您所在的区域：江滨区 海德街道 和祥社区。")


async def pick_hexiang(harness: Harness, resident: Any, picker: dict[str, Any]) -> None:
    """From the district buttons down to 江滨区 › 海德街道 › 和祥社区."""
    await harness.press(resident, picker, "江滨区")
    picker = await harness.bot_says(resident.id, "江滨区\n请选择您所在的街道（乡镇）：")
    await harness.press(resident, picker, "海德街道")
    picker = await harness.bot_says(resident.id, "江滨区 海德街道\n请选择您所在的社区（村）：")
    await harness.press(resident, picker, "和祥社区")


async def submit(
    harness: Harness, resident: Any, *parts: str, named: bool = False
) -> dict[str, Any]:
    for part in parts:
        await resident.send_text(part)
    prompt = await harness.bot_says(resident.id, f"已记下（共{len(parts)}条")
    await press_submit(harness, resident, prompt, named="公开我的姓名" if named else NAMELESS)
    return await harness.bot_says(resident.id, "已收到。")


async def press_submit(
    harness: Harness,
    resident: Any,
    prompt: dict[str, Any],
    topic: str = NOT_SURE,
    submit: str = "提交",
    question: str = "请选择意见建议的类别",
    named: str = "不公开，直接提交",
    name_question: str = "是否向人大代表公开您的姓名",
) -> str:
    """Press Submit under the prompt, then the topic asked for, then whether the deputies may
    see the name (by default not); the last press's id."""
    await harness.press(resident, prompt, submit)
    asked = await harness.bot_says(resident.id, question, after=prompt["message_id"] - 1)
    await harness.press(resident, asked, topic)
    asked = await harness.bot_says(resident.id, name_question, after=prompt["message_id"] - 1)
    return await harness.press(resident, asked, named)


async def answer_to(harness: Harness, query_id: str) -> CallbackAnswer:
    """Wait for the bot's answer to a button press (the app stops showing it as busy)."""
    await harness.fake.wait_for(lambda: query_id in harness.fake.callback_answers)
    return harness.fake.callback_answers[query_id]


async def card_in_group(harness: Harness, chat_id: int, number: str) -> dict[str, Any]:
    """The ticket's card in the group, once the sender has recorded it: only then does a
    deputy's reply to it reach the ticket (the fake shows a message a moment before)."""
    card = await harness.bot_says(chat_id, f"意见建议（{number}）")
    await harness.outbox_settled()
    return card
