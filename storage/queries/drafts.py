"""Drafts: saved whole in one statement (an upsert), the draft there or not."""

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Draft


async def save_draft(
    session: AsyncSession, resident_id: int, now: datetime, **columns: Any
) -> None:
    """Write the resident's draft as `columns` say, creating it if there is none."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Draft).values(
        resident_id=resident_id, created_at=now, updated_at=now, **columns
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Draft.resident_id],
            set_={"updated_at": now, **columns},
        )
    )
