"""The people of the update benches, acting through the timed fake: residents who go through
a whole conversation or write the messages of a draft, deputies who reply to cards, and the
reference's users who just write."""

import asyncio
import re
from typing import Any

from bench.harness import Sent, TimedFake

# One community of each deputy group's areas, so the cards spread over the five groups.
PATHS = [
    ("江滨区", "海德街道", "和祥社区"),
    ("江滨区", "海德街道", "新桥社区"),
    ("江滨区", "望仙街道", "东门社区"),
    ("青山区", "南湖街道", "锦园社区"),
    ("青山区", "白沙镇", "石坎村"),
]
LINE = "第{n}条：小区3号楼门口的路灯坏了两个星期，晚上很黑。"
REPLY = "您好，已联系街道城管科，本周五前修好。"
CARD = re.compile(r"意见建议（(A-\d{4}-\d{6})）")
STAFF_BASE = 9_000_000_000
SUBMIT_AFTER = 20  # draft messages a resident writes before submitting, in the paced phases
# The first message of a draft while the resident has an opinion open is answered with this
# question (an addition to it, or a new one?), not with the draft's count.
BELONGS = "这条内容是对正在办理的意见建议的补充，还是新的意见建议？"
NEW_ONE = "新的意见建议"


class Resident:
    """A resident of our bot; `written` counts the messages of their current draft."""

    def __init__(self, fake: TimedFake, user: Any, path: tuple[str, str, str]) -> None:
        self.fake, self.user, self.path = fake, user, path
        self.written = 0
        self.last: Sent | None = None
        self.asked: Sent | None = None  # the first message of this draft, asked where it belongs
        self.has_open = False  # an opinion submitted (and still open: nothing closes them here)
        self.turn = asyncio.Lock()
        self.submit_after = SUBMIT_AFTER  # messages of the current draft before its submit

    async def converse(self, messages: int) -> None:
        """start (greeted in Chinese) → district → street → community → messages → submit."""
        fake, chat = self.fake, self.user.id
        sent = await fake.write(self.user, "/start", "请选择您所在的区")
        district, street, _ = self.path
        prompts = ["请选择您所在的街道", "请选择您所在的社区", f"您所在的区域：{district} {street}"]
        picker = await fake.says(chat, "请选择您所在的区", sent.at)
        for label, prompt in zip(self.path, prompts, strict=True):
            sent = await fake.press(self.user, chat, picker["message_id"], label, prompt)
            picker = await fake.says(chat, prompt, sent.at)
        for _ in range(messages):
            self.write()
        await self.submit()

    def write(self) -> Sent:
        """One more message of the draft, not waiting for its answer."""
        self.written += 1
        asked = self.written == 1 and self.has_open
        marker = BELONGS if asked else f"（共{self.written}条，"
        self.last = _now(self.fake.write(self.user, LINE.format(n=self.written), marker))
        self.asked = self.last if asked else (self.asked if self.written > 1 else None)
        return self.last

    async def submit(self) -> None:
        assert self.last is not None
        chat = self.user.id
        prompt = await self.fake.says(chat, self.last.marker, self.last.at)
        if self.last is self.asked:
            # The draft's only message was asked about: a new opinion, then the Submit prompt.
            new_one = "（共1条，"
            sent = await self.fake.press(self.user, chat, prompt["message_id"], NEW_ONE, new_one)
            prompt = await self.fake.says(chat, new_one, sent.at)
        # Submit, then the topic ("other / not sure"), then the name kept from the deputies.
        message_id = prompt["message_id"]
        for label, next_marker in (
            ("提交", "请选择意见建议的类别"),
            ("其他或不确定", "是否向人大代表公开您的姓名"),
            ("不公开，直接提交", "已收到。"),
        ):
            sent = await self.fake.press(self.user, chat, message_id, label, next_marker)
            await self.fake.says(chat, next_marker, sent.at)
        self.written, self.asked, self.has_open = 0, None, True
        self.submit_after = SUBMIT_AFTER

    async def paced_turn(self) -> None:
        """A turn in a paced phase: one more message, or the draft submitted once long."""
        async with self.turn:
            if self.written >= self.submit_after:
                await self.submit()
            else:
                self.write()


def stagger_submits(residents: list[Resident]) -> None:
    """Spread the residents' submits evenly over the rounds of a paced phase. Taking turns
    round robin, residents who all hold drafts of the same length would all submit in the
    same round: 100 submits (three presses each, a card to a group) within 1.7 s at 60
    updates a second, every 21 rounds — a wave the bot works off for 10–30 s, which is what
    the soak's p99 of seconds measured (BENCHMARKS.md). Resident n submits the draft in hand
    after n mod 21 more messages, then every SUBMIT_AFTER as before."""
    for n, resident in enumerate(residents):
        resident.submit_after = max(resident.written, 1) + n % (SUBMIT_AFTER + 1)


class Writer:
    """A user of the reference bot: writes texts; the echo is the answer."""

    def __init__(self, fake: TimedFake, user: Any) -> None:
        self.fake, self.user, self.written = fake, user, 0

    def write(self) -> Sent:
        self.written += 1
        text = LINE.format(n=self.written)
        return _now(self.fake.write(self.user, text, text))

    async def paced_turn(self) -> None:
        self.write()


def deputy_replies(fake: TimedFake, groups: dict[int, Any]) -> list[Sent]:
    """Each card in the groups gets a reply from a deputy of its group, all at once."""
    sent = []
    for chat_id, group in groups.items():
        deputies = [m for m in group.members.values() if m.id < STAFF_BASE]
        cards = [m for m in fake.bot_messages(chat_id) if CARD.match(m.get("text", ""))]
        for n, card in enumerate(cards):
            number = CARD.match(card["text"])[1]  # type: ignore[index]
            deputy = deputies[n % len(deputies)]
            marker = f"已转达反映人（{number}）"
            sent.append(_now(fake.write(deputy, REPLY, marker, group, reply_to=card["message_id"])))
    return sent


def _now(coroutine: Any) -> Sent:
    """Run a user's action that never waits (the fake queues the update at once)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("a user's action waited")
