"""A draft as the core keeps it in the database: read as a copy, saved whole, and still there
after a restart of the bot (a new application on the same database)."""

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.core.drafts import DraftBook
from handlers.resident.drafts import draft_length, draft_text, part_of
from storage.db import open_database
from storage.models import Resident
from tests.support.harness import START


async def a_resident(session: AsyncSession) -> int:
    resident = Resident(display_name="李小红", locale="zh_Hans", created_at=START)
    session.add(resident)
    await session.commit()
    return resident.id


async def load(book: DraftBook, resident_id: int) -> dict[str, Any]:
    async with book.sessionmaker() as session:  # as an update's transaction reads it
        return await book.load(session, resident_id)


async def exists(book: DraftBook, resident_id: int) -> bool:
    async with book.sessionmaker() as session:
        return await book.exists(session, resident_id)


async def test_changing_a_draft_read_changes_nothing_stored_until_it_is_saved(
    database_url: str, session: AsyncSession
):
    resident_id = await a_resident(session)
    clock = FrozenClock(START)
    async with open_database(database_url) as sessions:
        book = DraftBook(sessions, clock)
        draft = await load(book, resident_id)
        draft["parts"].append({"message_id": 7, "text": "路灯坏了。"})
        await book.save(resident_id, draft)
        draft = await load(book, resident_id)
        draft["parts"].append({"message_id": 9, "text": "井盖也松了。"})
        part = part_of(draft, 7)
        assert part is not None
        part["text"] = "和祥社区的路灯坏了。"
        assert (await load(book, resident_id))["parts"] == [{"message_id": 7, "text": "路灯坏了。"}]
        await book.save(resident_id, draft)
    # Another process on the same database (the bot restarted) finds it whole.
    async with open_database(database_url) as sessions:
        book = DraftBook(sessions, clock)
        again = await load(book, resident_id)
        assert draft_text(again) == "和祥社区的路灯坏了。\n\n井盖也松了。"
        assert draft_length(again) == 16 and again["key"] == draft["key"]
        assert not book.left_alone(again)
        clock.advance(timedelta(days=1))
        assert book.left_alone(again)  # kept, but the resident will be asked about it
        await book.discard(resident_id)
        assert not await exists(book, resident_id)


async def test_no_draft_is_a_new_empty_one_with_its_own_key(database_url: str):
    async with open_database(database_url) as sessions:
        book = DraftBook(sessions, FrozenClock(START))
        async with sessions() as session:
            first, second = await book.load(session, 1), await book.load(session, 1)
    assert first["parts"] == [] and first["key"] != second["key"]
    assert not DraftBook.left_alone(book, first)
