"""The benches' timed fake: what counts as the bot's answer to an update."""

import aiohttp
import pytest

from bench.harness import BenchStalled, TimedFake

TOKEN = "123456:BENCH-harness"
FORUM = -1001000000777


async def relay(url: str, method: str, **params: int) -> None:
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"{url}/bot{TOKEN}/{method}", json=params) as response,
    ):
        assert (await response.json())["ok"]


async def test_a_copy_to_another_chat_answers_the_update_it_copies():
    fake = TimedFake()
    fake.add_bot(token=TOKEN, username="harness_bot")
    fake.group(FORUM, "Feedback", is_forum=True)
    resident = fake.user(user_id=5001, first_name="小红")
    url = await fake.start()
    try:
        first = await fake.write(resident, "路灯坏了", "路灯坏了")
        second = await fake.write(resident, "井盖丢了", "井盖丢了")
        ids = {m["text"]: m["message_id"] for m in fake.messages(resident.id)}
        copied = {"from_chat_id": resident.id, "chat_id": FORUM}
        await relay(url, "copyMessage", message_id=ids["井盖丢了"], **copied)
        assert second.answered is not None and first.answered is None
        with pytest.raises(BenchStalled, match="路灯坏了"):
            await fake.all_answered(timeout=1, stall=1)
        await relay(url, "forwardMessage", message_id=ids["路灯坏了"], **copied)
        await fake.all_answered(timeout=5)
        assert first.answered is not None
    finally:
        await fake.stop()
