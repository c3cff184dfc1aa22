"""Topic categories of opinions, as the directory lists them."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Category

OTHER = "other"  # the directory's code for "other"; offered as "other / not sure"


async def active_categories(session: AsyncSession) -> list[Category]:
    """The active categories in the directory's order."""
    return list(
        await session.scalars(
            select(Category).where(Category.active.is_(True)).order_by(Category.id)
        )
    )
