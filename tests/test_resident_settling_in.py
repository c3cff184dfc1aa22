"""Settling in: a resident is greeted in their own language without being asked, can switch it
with one small button or /language, chooses their area once (with "back"), and finds the
commands in /help and in Telegram's command menu, in Chinese and in English."""

from sqlalchemy import select

from storage.models import Resident
from tests.support.harness import Harness
from tests.support.stories import pick_hexiang, register_in_haide


async def test_a_chinese_speaker_is_greeted_in_chinese_in_three_lines_without_being_asked(
    harness: Harness,
):
    resident = harness.fake.user(user_id=5301, first_name="小红", language_code="zh-hans")
    await resident.send_text("/start")
    greeting = await harness.bot_says(resident.id, "小红，您好！")
    assert greeting["text"].split("\n") == [
        "小红，您好！这里是人大代表联络站网上联络通道，全天候接收意见建议。",
        "您反映的意见建议将转交所在区域的代表小组，由人大代表阅读并在此答复。",
        "代表小组应在2个工作日内受理、15个工作日内答复，办理进展将在此反馈。",
    ]
    buttons = [b["text"] for row in greeting["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["English"]  # one small button: the other language
    picker = await harness.bot_says(resident.id, "请选择您所在的区（县）")
    assert picker["message_id"] > greeting["message_id"]
    assert not any("请选择语言" in m["text"] for m in harness.fake.bot_messages(resident.id))


async def test_an_english_speaker_is_greeted_in_english_and_can_switch_to_chinese(
    harness: Harness,
):
    resident = harness.fake.user(user_id=5302, first_name="Anna", language_code="en-GB")
    await resident.send_text("/start")
    greeting = await harness.bot_says(resident.id, "Hello, Anna!")
    assert greeting["text"].split("\n") == [
        "Hello, Anna! This is the online channel of the people's congress liaison stations, "
        "open day and night.",
        "Your opinions and suggestions go to the deputy group of your area; the deputies read "
        "them and answer here.",
        "They must accept them within 2 working days and answer within 15 working days; "
        "progress is reported here.",
    ]
    await harness.bot_says(resident.id, "Which district do you live in?")
    await harness.press(resident, greeting, "简体中文")
    # The greeting itself now speaks Chinese, with the button back to English.
    again = await harness.bot_says(resident.id, "Anna，您好！")
    assert again["message_id"] == greeting["message_id"]
    assert [b["text"] for row in again["reply_markup"]["inline_keyboard"] for b in row] == [
        "English"
    ]
    picker = await harness.bot_says(resident.id, "语言已设为简体中文。")
    assert "请选择您所在的区（县）" in picker["text"]
    await pick_hexiang(harness, resident, picker)
    await harness.bot_says(resident.id, "您所在的区域：江滨区 海德街道 和祥社区。")
    async with harness.app.sessionmaker() as session:
        stored = await session.scalar(select(Resident))
        assert stored is not None and stored.locale == "zh_Hans" and stored.area_id is not None


async def test_language_command_switches_and_an_area_is_asked_only_once(harness: Harness):
    resident = harness.fake.user(user_id=5303, first_name="小红", language_code="zh")
    await register_in_haide(harness, resident)
    await resident.send_text("/language")
    question = await harness.bot_says(resident.id, "请选择语言：")
    await harness.press(resident, question, "English")
    await harness.bot_says(resident.id, "Language set to English.")
    # The area is remembered: the next step is to write, not to choose it again.
    await harness.bot_says(resident.id, "Please write your opinion or suggestion.")
    await resident.send_text("/start")
    greeting = await harness.bot_says(resident.id, "Hello, 小红!")
    await harness.bot_says(
        resident.id, "Please write your opinion or suggestion.", after=greeting["message_id"]
    )
    sent = [m["text"] for m in harness.fake.bot_messages(resident.id)]
    assert len([text for text in sent if "Which district" in text]) == 0


async def test_area_command_goes_down_and_back_up_the_tree(harness: Harness):
    resident = harness.fake.user(user_id=5304, first_name="Anna", language_code="en")
    await resident.send_text("/area")
    picker = await harness.bot_says(resident.id, "Which district do you live in?")
    await harness.press(resident, picker, "Jiangbin District")
    picker = await harness.bot_says(resident.id, "Please choose your street (township):")
    await harness.press(resident, picker, "Back")
    picker = await harness.bot_says(resident.id, "Which district do you live in?")
    await harness.press(resident, picker, "Jiangbin District")
    picker = await harness.bot_says(resident.id, "Please choose your street (township):")
    await harness.press(resident, picker, "Haide Street")
    picker = await harness.bot_says(resident.id, "Please choose your community (village):")
    await harness.press(resident, picker, "Back")
    picker = await harness.bot_says(resident.id, "Please choose your street (township):")
    await harness.press(resident, picker, "Haide Street")
    picker = await harness.bot_says(resident.id, "Please choose your community (village):")
    await harness.press(resident, picker, "Hexiang Community")
    await harness.bot_says(resident.id, "Your area: Hexiang Community, Haide Street")


async def test_help_and_the_command_menu_in_both_languages(harness: Harness):
    for user_id, code, lines in (
        (5305, "zh-hans", ["/start：开始", "/area：", "/language：", "/help："]),
        (5306, "en", ["/start: Start", "/area: Change your area", "/language: ", "/help: Help"]),
    ):
        resident = harness.fake.user(user_id=user_id, first_name="小红", language_code=code)
        await resident.send_text("/help")
        shown = await harness.bot_says(resident.id, "/help")
        for line in lines:
            assert line in shown["text"]
    bot = harness.app.bot
    menus = {code: await bot.get_my_commands(language_code=code) for code in ("zh", "en")}
    assert [c.command for c in menus["zh"]] == [c.command for c in menus["en"]]
    assert {"start", "area", "language", "help"} <= {c.command for c in menus["en"]}
    assert menus["zh"][0].description == "开始" and menus["en"][0].description == "Start"
    # Anyone else is greeted in English, and sees the English menu.
    assert await bot.get_my_commands() == menus["en"]
