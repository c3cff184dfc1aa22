"""Inbound updates: recorded in batches, claimed by the transaction that processes them,
failures noted, interrupted ones found again at start, processed ones pruned."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundStatus, InboundUpdate

ERROR_CHARS = 2000  # enough for the exception and its message; the log has the traceback


def sender_of(payload: dict[str, Any]) -> int | None:
    """Who sent the update: the user id of its message, button press or chat change."""
    for value in payload.values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return int(value["from"]["id"])
    return None


def _insert(session: AsyncSession) -> Any:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(InboundUpdate)


async def record_updates(
    session: AsyncSession, bot_id: int, updates: Sequence[tuple[int, dict[str, Any]]], now: datetime
) -> set[int]:
    """Records (update id, raw JSON) pairs as pending; the ids recorded now, not before."""
    if not updates:
        return set()
    statement = (
        _insert(session)
        .values(
            [
                {
                    "bot_id": bot_id,
                    "update_id": update_id,
                    "payload": payload,
                    "sender": sender_of(payload),
                    "received_at": now,
                    "status": InboundStatus.PENDING,
                    "attempts": 0,
                }
                for update_id, payload in updates
            ]
        )
        .on_conflict_do_nothing(index_elements=[InboundUpdate.bot_id, InboundUpdate.update_id])
        .returning(InboundUpdate.update_id)
    )
    return set((await session.scalars(statement)).all())


async def not_done(session: AsyncSession, bot_id: int, update_ids: Sequence[int]) -> set[int]:
    """Those of the updates recorded and still pending (not done nor failed)."""
    rows = await session.scalars(
        select(InboundUpdate.update_id).where(
            InboundUpdate.bot_id == bot_id,
            InboundUpdate.update_id.in_(update_ids),
            InboundUpdate.status == InboundStatus.PENDING,
        )
    )
    return set(rows.all())


async def claim_update(
    session: AsyncSession, bot_id: int, update_id: int, payload: dict[str, Any], now: datetime
) -> bool:
    """True when this transaction is the one that processes the update: it is marked done
    here and the mark commits with the work (on PostgreSQL the row stays locked until then,
    so a concurrent duplicate waits and then sees it done). An update that was never
    recorded (fed directly) is recorded as done."""
    claimed = await session.execute(
        update(InboundUpdate)
        .where(
            InboundUpdate.bot_id == bot_id,
            InboundUpdate.update_id == update_id,
            InboundUpdate.status != InboundStatus.DONE,
        )
        .values(status=InboundStatus.DONE, processed_at=now, attempts=InboundUpdate.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        return True
    inserted = await session.execute(
        _insert(session)
        .values(
            bot_id=bot_id,
            update_id=update_id,
            payload=payload,
            sender=sender_of(payload),
            received_at=now,
            status=InboundStatus.DONE,
            attempts=1,
            processed_at=now,
        )
        .on_conflict_do_nothing(index_elements=[InboundUpdate.bot_id, InboundUpdate.update_id])
        .returning(InboundUpdate.update_id)
    )
    return inserted.first() is not None


async def note_failure(
    session: AsyncSession,
    bot_id: int,
    update_id: int,
    payload: dict[str, Any],
    error: str,
    max_attempts: int,
    now: datetime,
) -> InboundStatus:
    """Counts a failed attempt and keeps its error; after `max_attempts` the update is failed
    for good (pending otherwise). Returns the status it is left in."""
    error = error[:ERROR_CHARS]
    statement = (
        _insert(session)
        .values(
            bot_id=bot_id,
            update_id=update_id,
            payload=payload,
            sender=sender_of(payload),
            received_at=now,
            status=InboundStatus.FAILED if max_attempts <= 1 else InboundStatus.PENDING,
            attempts=1,
            last_error=error,
        )
        .on_conflict_do_update(
            index_elements=[InboundUpdate.bot_id, InboundUpdate.update_id],
            set_={
                "attempts": InboundUpdate.attempts + 1,
                "last_error": error,
                "status": case(
                    (InboundUpdate.attempts + 1 >= max_attempts, InboundStatus.FAILED.value),
                    else_=InboundStatus.PENDING.value,
                ),
            },
        )
        .returning(InboundUpdate.status)
    )
    return InboundStatus((await session.execute(statement)).scalar_one())


async def take_interrupted(
    session: AsyncSession, bot_id: int, max_attempts: int
) -> list[InboundUpdate]:
    """The updates recorded and not processed (the process stopped first), oldest first. The
    interruption counts as an attempt, so one that keeps stopping the process ends failed."""
    pending = (InboundUpdate.bot_id == bot_id, InboundUpdate.status == InboundStatus.PENDING)
    await session.execute(
        update(InboundUpdate)
        .where(*pending)
        .values(attempts=InboundUpdate.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(InboundUpdate)
        .where(*pending, InboundUpdate.attempts >= max_attempts)
        .values(
            status=InboundStatus.FAILED,
            last_error="interrupted while pending as many times as it may be attempted",
        )
        .execution_options(synchronize_session=False)
    )
    return list(
        await session.scalars(
            select(InboundUpdate).where(*pending).order_by(InboundUpdate.update_id)
        )
    )


async def prune_processed(session: AsyncSession, before: datetime) -> int:
    """Forgets updates processed before `before` (failed ones are kept); how many."""
    result = await session.execute(
        delete(InboundUpdate).where(
            InboundUpdate.status == InboundStatus.DONE, InboundUpdate.processed_at < before
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def forget_sender(session: AsyncSession, sender: int) -> int:
    """Deletes every update the person sent, whatever its status; how many."""
    result = await session.execute(delete(InboundUpdate).where(InboundUpdate.sender == sender))
    return int(result.rowcount)  # type: ignore[attr-defined]
