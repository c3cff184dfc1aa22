"""The outbox: every message the system sends on its own initiative is a row written in the
same transaction as the change it reports; the sender (`bot.delivery.sender`) delivers them."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    purpose: str,
    now: datetime,
    ticket_id: int | None = None,
    thread_id: int | None = None,
    replaces: int | None = None,
) -> OutboxMessage:
    """Queue a message; with `replaces`, an edit of that earlier message of the chat."""
    payload: dict[str, object] = {"text": text}
    if replaces is not None:
        payload["replaces"] = replaces
    message = OutboxMessage(
        created_at=now,
        chat_id=chat_id,
        thread_id=thread_id,
        payload=payload,
        ticket_id=ticket_id,
        purpose=purpose,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(message)
    return message
