"""Telegram's HTML read into plain text and UTF-16 entities, its mistakes refused in Telegram's
words, and the text limits counted after parsing."""

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from bot.fake_telegram import FakeTelegram, FakeUser
from tests.fake_telegram.support import ALICE


async def test_html_is_stored_as_plain_text_and_utf16_entities(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    html = ' <b>路灯</b> 已修好 😀 <a href="https://example.org/r?a=1&amp;b=2">详情</a> &lt;3 '

    sent = await bot.send_message(ALICE, html, parse_mode="HTML")

    plain = "路灯 已修好 😀 详情 <3"
    assert sent.text == plain
    assert [(e.type, e.offset, e.length, e.url) for e in sent.entities or []] == [
        ("bold", 0, 2, None),
        ("text_link", 10, 2, "https://example.org/r?a=1&b=2"),  # the emoji counts as 2
    ]
    stored = fake.bot_messages(ALICE)[-1]
    assert stored["text"] == plain
    assert stored["from"]["is_bot"] is True
    assert stored["entities"][1] == {
        "type": "text_link",
        "offset": 10,
        "length": 2,
        "url": "https://example.org/r?a=1&b=2",
    }


async def test_html_nesting_pre_code_spoiler_and_blockquote(bot: Bot, alice: FakeUser) -> None:
    html = (
        '<pre><code class="language-python">x = 1</code></pre>'
        '<tg-spoiler>秘密</tg-spoiler><span class="tg-spoiler">也是</span>'
        "<blockquote expandable><i>引用</i></blockquote>"
    )

    sent = await bot.send_message(ALICE, html, parse_mode="html")

    assert sent.text == "x = 1秘密也是引用"
    assert [(e.type, e.offset, e.length, e.language) for e in sent.entities or []] == [
        ("pre", 0, 5, "python"),
        ("spoiler", 5, 2, None),
        ("spoiler", 7, 2, None),
        ("expandable_blockquote", 9, 2, None),
        ("italic", 9, 2, None),
    ]


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("路灯<x>坏了</x>", 'Unsupported start tag "x" at byte offset 6'),
        ("<b>路灯", 'Can\'t find end tag corresponding to start tag "b"'),
        ("水压<0.1", "Unclosed start tag at byte offset 6"),
        ("<b>a</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_broken_html_is_refused_with_telegrams_words(
    bot: Bot, alice: FakeUser, html: str, description: str
) -> None:
    with pytest.raises(TelegramBadRequest) as refused:
        await bot.send_message(ALICE, html, parse_mode="HTML")

    assert refused.value.message == f"Bad Request: can't parse entities: {description}"


async def test_text_limits_count_utf16_after_parsing_and_trimming(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    await bot.send_message(ALICE, "<b>" + "好" * 4096 + "</b>", parse_mode="HTML")

    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(ALICE, "好" * 4097)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(ALICE, "😀" * 2049)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(ALICE, " \n <b> </b>", parse_mode="HTML")
    assert len(fake.bot_messages(ALICE)) == 1
