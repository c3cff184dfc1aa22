"""Response templates (答复模板): prepared texts staff send to residents, per state of the
ticket and per language. A template is chosen by name; each resident gets the variant in their
language (or the default language's)."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import audit
from bot.core.workflow import TransitionError
from bot.text.catalogs import LOCALES
from storage.models import ResponseTemplate, StaffMember, Ticket, TicketStatus


async def templates(session: AsyncSession) -> list[ResponseTemplate]:
    return list(
        await session.scalars(
            select(ResponseTemplate).order_by(ResponseTemplate.name, ResponseTemplate.locale)
        )
    )


def names_for(listed: list[ResponseTemplate], status: TicketStatus | None) -> list[str]:
    """The names of the templates that suit a ticket in this state (any state: all)."""
    return sorted({t.name for t in listed if status is None or t.status in (None, status.value)})


async def save(
    session: AsyncSession,
    member: StaffMember,
    name: str,
    status: str,
    locale: str,
    text: str,
    now: datetime,
) -> None:
    name, text = name.strip()[:100], text.strip()
    if not name or not text or locale not in LOCALES:
        raise TransitionError("a template needs a name, a language and its text")
    if status and status not in set(TicketStatus):
        raise TransitionError("no such state")
    existing = await session.scalar(
        select(ResponseTemplate).where(
            ResponseTemplate.name == name, ResponseTemplate.locale == locale
        )
    )
    before = {"status": existing.status, "text": existing.text} if existing else None
    if existing is None:
        existing = ResponseTemplate(name=name, locale=locale, status=status or None, text=text)
        session.add(existing)
    existing.status, existing.text = status or None, text
    after = {"status": status or None, "text": text}
    audit.record(session, member, "template.save", f"template {name} {locale}", now, before, after)


async def forget(session: AsyncSession, member: StaffMember, name: str, now: datetime) -> None:
    await session.execute(delete(ResponseTemplate).where(ResponseTemplate.name == name))
    audit.record(session, member, "template.delete", f"template {name}", now, None, None)


async def text_for(
    session: AsyncSession, name: str, ticket: Ticket, locale: str, default_locale: str
) -> str:
    """The template's text for this ticket's resident; refused if it does not suit its state."""
    variants = {
        t.locale: t
        for t in await session.scalars(
            select(ResponseTemplate).where(ResponseTemplate.name == name)
        )
    }
    chosen = (
        variants.get(locale) or variants.get(default_locale) or next(iter(variants.values()), None)
    )
    if chosen is None:
        raise TransitionError("no such template")
    if chosen.status is not None and chosen.status != ticket.status.value:
        raise TransitionError(f"the template is for tickets that are {chosen.status}")
    return chosen.text
