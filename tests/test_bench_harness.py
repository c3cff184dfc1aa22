"""The benches' timed fake: what counts as the bot's answer to an update, and what keeps the
measuring process from pausing; the paced residents' submits, spread over the rounds."""

import asyncio
import gc
from collections import Counter

import aiohttp
import pytest

from bench.harness import BenchStalled, TimedFake
from bench.people import SUBMIT_AFTER, Resident, stagger_submits

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


async def test_a_young_collector_freezes_what_the_run_keeps_until_the_fake_stops():
    fake = TimedFake(young_collector=True)
    fake.add_bot(token=TOKEN, username="harness_bot")
    await fake.start()
    try:
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 0
    finally:
        await fake.stop()
    assert gc.get_freeze_count() == 0


async def test_residents_taking_turns_submit_a_few_a_round_not_all_in_one():
    fake = TimedFake()
    residents = [
        Resident(fake, fake.user(user_id=8_000_000 + n, first_name="小红"), ("", "", ""))
        for n in range(100)
    ]
    for resident in residents:
        resident.written = 5  # as the burst of draft messages leaves them
    stagger_submits(residents)
    rounds = Counter(r.submit_after - r.written for r in residents)  # the round of the submit
    assert set(rounds) == set(range(SUBMIT_AFTER + 1))
    assert max(rounds.values()) <= 5
    assert all(r.submit_after >= 1 for r in residents)
