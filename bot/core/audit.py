"""The audit log: every change made in the staff panel — who, what, when, before and after."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, StaffMember

PAGE = 100


def record(
    session: AsyncSession,
    by: StaffMember | None,
    action: str,
    target: str,
    at: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        AuditEntry(
            at=at,
            staff_id=by.id if by else None,
            action=action,
            target=target,
            before=before,
            after=after,
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    staff_id: int | None = None
    action: str = ""
    target: str = ""


async def entries(session: AsyncSession, wanted: AuditFilter) -> list[AuditEntry]:
    """The newest entries first, filtered by who, what (a prefix) and on what (exact)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE)
    if wanted.staff_id is not None:
        query = query.where(AuditEntry.staff_id == wanted.staff_id)
    if wanted.action:
        query = query.where(AuditEntry.action.startswith(wanted.action, autoescape=True))
    if wanted.target:
        query = query.where(AuditEntry.target == wanted.target)
    return list(await session.scalars(query))
