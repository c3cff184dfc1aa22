"""Drafts: the opinion a resident is still writing, in the database, so that it survives a
restart of the bot on every backend (the embedded SQLite one included).

A draft is read as a copy in the update's own transaction (no second connection is taken while
it is held), and saved whole in a short transaction of its own, by the front door once the
resident has been answered: an update that fails half-way leaves the draft as it was, so
sending the message again does not add it twice."""

import copy
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from storage.models import Draft
from storage.queries.drafts import save_draft

# A draft left alone this long is kept, but the resident is asked whether to go on with it.
DRAFT_LEFT_ALONE = timedelta(days=1)

# {"key": intake key, "parts": [{"message_id": id, "text": text, "media": an attachment's
#  `Media.as_json()` if it is one}], "prompt_id": id | None, "album": the newest album and how
#  it was answered (`storage.models.Draft.album`) | None,
#  "resumed_at": index of the first part written after the draft was left alone, while the
#  resident is asked whether to go on with it | None, "comment_for": a rated ticket whose
#  comment the next message is | None, "updated_at": when last saved | None}
DraftData = dict[str, Any]


class DraftBook:
    """Where residents' drafts are kept."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock

    async def load(self, session: AsyncSession, resident_id: int) -> DraftData:
        """A copy of the resident's draft, or a new empty one with its own key."""
        row = await session.get(Draft, resident_id, populate_existing=True)
        if row is None:
            return {
                "key": uuid4().hex,
                "parts": [],
                "prompt_id": None,
                "resumed_at": None,
                "comment_for": None,
                "album": None,
                "updated_at": None,
            }
        return {
            "key": row.intake_key,
            "parts": copy.deepcopy(row.parts),
            "prompt_id": row.prompt_id,
            "resumed_at": row.resumed_at,
            "comment_for": row.comment_for,
            "album": copy.deepcopy(row.album),
            "updated_at": row.updated_at,
        }

    async def exists(self, session: AsyncSession, resident_id: int) -> bool:
        """Whether the resident has written something not yet submitted."""
        row = await session.get(Draft, resident_id, populate_existing=True)
        return row is not None and bool(row.parts)

    async def save(self, resident_id: int, draft: DraftData) -> None:
        """Keep the draft as it is now, whole (one statement: this runs for every message)."""
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            await save_draft(
                session,
                resident_id,
                now,
                intake_key=draft["key"],
                parts=draft["parts"],
                prompt_id=draft.get("prompt_id"),
                resumed_at=draft.get("resumed_at"),
                comment_for=draft.get("comment_for"),
                album=draft.get("album"),
            )
        draft["updated_at"] = now

    async def discard(self, resident_id: int) -> None:
        async with self.sessionmaker.begin() as session:
            await session.execute(delete(Draft).where(Draft.resident_id == resident_id))

    def left_alone(self, draft: DraftData) -> bool:
        """True for a draft with something in it, last touched a day ago or more."""
        updated_at: datetime | None = draft.get("updated_at")
        return (
            bool(draft["parts"])
            and updated_at is not None
            and (self.clock.now() - updated_at >= DRAFT_LEFT_ALONE)
        )
