"""The ticket desk at core level: what is recorded and queued for each step of the loop."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.core.tickets import TicketDesk
from bot.text.render import person_name
from storage.models import (
    TELEGRAM,
    Deputy,
    DeputyGroup,
    OutboxMessage,
    RecipientKind,
    TicketStatus,
)
from storage.queries.contacts import address_of, set_address
from tests.support.desk import history, resident_in


async def queued(session: AsyncSession) -> list[tuple[str, str]]:
    """Who each queued message is for (the Telegram address of the recipient) and why."""
    rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [
        (await address_of(session, row.recipient_kind, row.recipient_id, TELEGRAM), row.purpose)
        for row in rows
    ]


async def test_replies_reach_the_resident_and_only_the_first_changes_the_status(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    resident = await resident_in(session, desk, 5001, "qs-nh-jy", "en")
    submission = await desk.submit_opinion(session, resident, "Too much noise at night.", "k1")
    ticket = submission.ticket
    assert (ticket.number, submission.group.code) == ("A-2026-000001", "g-nh")
    sun = await session.scalar(select(Deputy).where(Deputy.code == "d-sun-hong"))
    await desk.reply_from_deputy(session, ticket, sun, "We will talk to the bar owner.")
    await desk.reply_from_deputy(session, ticket, sun, "Done: they close at 22:00 now.")
    await session.commit()
    assert ticket.status == TicketStatus.ANSWERED
    assert await history(session, ticket) == [
        "submitted",
        "routed",
        "status_changed",  # awaiting triage → assigned
        "replied",
        "status_changed",  # assigned → answered
        "replied",
    ]
    assert await queued(session) == [
        ("-1001000000301", "card"),
        ("5001", "reply"),
        ("5001", "status"),
        # The card was not sent yet: its update is queued behind it all the same.
        ("-1001000000301", "card_update"),
        ("5001", "reply"),
    ]
    card, *_, update, _ = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    assert update.replaces_id == card.id and "已答复</b>（孙红代表）" in update.payload["text"]
    texts = [r.payload["text"] for r in await session.scalars(select(OutboxMessage))]
    assert texts[1] == (
        "<b>Deputy 孙红 has replied to your opinion or suggestion (A-2026-000001):</b>\n\n"
        "We will talk to the bar owner."
    )
    assert (
        texts[2] == "Your opinion or suggestion A-2026-000001: the status is now <b>answered</b>."
    )


async def test_an_opinion_nobody_covers_is_kept_and_numbered_for_staff(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    resident = await resident_in(session, desk, 5002, "jb")
    submission = await desk.submit_opinion(session, resident, "全区的公交都太少", "k2")
    await session.commit()
    assert submission.group is None
    assert submission.ticket.number == "A-2026-000001"
    assert await history(session, submission.ticket) == ["submitted", "unrouted"]
    assert await queued(session) == []


async def test_the_same_draft_submitted_twice_is_one_ticket(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    resident = await resident_in(session, desk, 5003, "jb-hd-hx")
    first = await desk.submit_opinion(session, resident, "路灯坏了", "same-key")
    again = await desk.submit_opinion(session, resident, "路灯坏了", "same-key")
    assert again.ticket.id == first.ticket.id
    assert again.group.code == "g-hd-1"
    assert await queued(session) == [("-1001000000101", "card")]


async def test_a_group_without_a_chat_leaves_a_trace_instead_of_a_card(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-bs"))
    await set_address(session, RecipientKind.DEPUTY_GROUP, group.id, TELEGRAM, None)
    resident = await resident_in(session, desk, 5004, "qs-bs-sk")
    submission = await desk.submit_opinion(session, resident, "村道坑洼", "k4")
    assert await history(session, submission.ticket) == [
        "submitted",
        "routed",
        "status_changed",
        "card_not_sent",
    ]
    assert await queued(session) == []


async def test_the_number_carries_the_stations_year_on_new_years_night(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk, clock: FrozenClock
):
    clock.advance(datetime(2026, 12, 31, 16, 30, tzinfo=UTC) - clock.now())  # 00:30 in Beijing
    resident = await resident_in(session, desk, 5005, "jb-hd-hx")
    submission = await desk.submit_opinion(session, resident, "新年第一条意见", "k5")
    assert submission.ticket.number == "A-2027-000001"


def test_names_read_as_people_expect_them():
    assert person_name("小红", "李") == "李小红"
    assert person_name("Anna", "Smith") == "Anna Smith"
    assert person_name("小红", None) == "小红"


async def test_a_ticket_is_held_once_per_transaction_and_again_after_a_savepoint_rolled_back(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    """Held (read FOR UPDATE) once, a ticket is not read again by the next step of the same
    transaction; a savepoint rolled back lets its lock go, so it is read and held again, and
    so is it in the next transaction."""
    resident = await resident_in(session, desk, 5003, "qs-nh-jy", "en")
    ticket = (await desk.submit_opinion(session, resident, "Noise.", "k-held")).ticket
    await session.commit()
    reads: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if " ".join(sql.split()).startswith("SELECT tickets.id"):
            reads.append(sql)

    engine = session.bind.sync_engine if hasattr(session.bind, "sync_engine") else session.bind
    event.listen(engine, "before_cursor_execute", statement)
    try:
        await desk.hold(session, ticket)
        await desk.hold(session, ticket)
        assert len(reads) == 1
        savepoint = await session.begin_nested()
        await desk.hold(session, ticket)
        assert len(reads) == 2
        await savepoint.rollback()
        await desk.hold(session, ticket)
        assert len(reads) == 3
        await session.commit()
        await desk.hold(session, ticket)
        assert len(reads) == 4
    finally:
        event.remove(engine, "before_cursor_execute", statement)
