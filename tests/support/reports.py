"""A small week of the loop for the reports' tests, counted by hand in its docstring."""

from datetime import timedelta

from sqlalchemy import select, update

from bot.core.tickets import as_deputy
from storage.models import (
    Deputy,
    DeputyGroup,
    Rating,
    Reception,
    ReceptionDuty,
    ReceptionKind,
    ReceptionSignup,
    ReceptionStatus,
    Resident,
    SignupStatus,
    Station,
    Ticket,
)
from tests.support.panel import make_ticket

HOUR = timedelta(hours=1)


async def deputy(session, code: str) -> Deputy:
    return await session.scalar(select(Deputy).where(Deputy.code == code))


async def _ticket(session, number: str) -> Ticket:
    return await session.scalar(select(Ticket).where(Ticket.number == number))


async def a_week_of_the_loop(panel_sessions, desk, clock) -> dict[str, str]:
    """Four opinions and a reception; the figures below are counted by hand from it.

    A (和祥, 海德街道): 王建国 accepts after 2 h, answers after 24 h, closes; rated 满意.
    B (和祥): accepted after 4 h, answered after 72 h, closed; never rated.
    C (东门, 望仙街道): nobody acts; overdue.
    D (沿山, 海德街道): accepted after 6 h, answered after 48 h, closed; rated 不满意 → reopened.
    A reception of 海德街道 two days before: 王建国 came, 陈丽 did not; one of two residents
    signed up checked in. A cancelled one and one still to come count for nothing."""
    start = clock.now()
    numbers = {"A": await make_ticket(panel_sessions, desk, "jb-hd-hx", "和祥社区路灯坏了")}
    clock.advance(HOUR)
    numbers["B"] = await make_ticket(panel_sessions, desk, "jb-hd-hx", "和祥社区垃圾清运不及时")
    clock.advance(HOUR)
    numbers["C"] = await make_ticket(panel_sessions, desk, "jb-wx-dm", "东门社区菜市场噪音扰民")
    numbers["D"] = await make_ticket(panel_sessions, desk, "jb-hd-ys", "沿山社区停车位不够")
    plan = {  # ticket: (hours after its submission: accepted, answered), rating
        "A": ((2, 24), Rating.SATISFIED),
        "B": ((4, 72), None),
        "D": ((6, 48), Rating.UNSATISFIED),
    }
    submitted = {"A": start, "B": start + HOUR, "D": start + 2 * HOUR}
    steps = sorted(
        (submitted[name] + hours * HOUR, name, what)
        for name, ((accepted, answered), _) in plan.items()
        for hours, what in ((accepted, "accept"), (answered, "answer"))
    )
    for at, name, what in steps:
        clock.advance(at - clock.now())
        async with panel_sessions.begin() as session:
            wang = await deputy(session, "d-wang-jianguo")
            ticket = await _ticket(session, numbers[name])
            if what == "accept":
                await desk.accept(session, ticket, wang)
            else:
                await desk.reply_from_deputy(session, ticket, wang, "已协调有关部门处理。")
                await desk.close(session, ticket, as_deputy(wang))
    for name, (_, rating) in plan.items():
        if rating is None:
            continue
        async with panel_sessions.begin() as session:
            ticket = await _ticket(session, numbers[name])
            resident = await session.get(Resident, ticket.resident_id)
            await desk.rate(session, ticket, resident, rating)
    async with panel_sessions.begin() as session:
        await session.execute(
            update(Ticket).where(Ticket.number == numbers["C"]).values(overdue_since=clock.now())
        )
        station = await session.scalar(select(Station).where(Station.code == "st-hd"))
        group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-hd-1"))
        wang, chen = await deputy(session, "d-wang-jianguo"), await deputy(session, "d-chen-li")
        residents = list(await session.scalars(select(Resident).order_by(Resident.id)))
        for offset, status, came in (
            (timedelta(days=-2), ReceptionStatus.SCHEDULED, {wang.id: True, chen.id: False}),
            (timedelta(days=-1), ReceptionStatus.CANCELLED, {wang.id: None}),
            (timedelta(days=30), ReceptionStatus.SCHEDULED, {wang.id: None}),
        ):
            reception = Reception(
                kind=ReceptionKind.THEMED,
                status=status,
                station=station,
                group=group,
                starts_at=start + offset,
                ends_at=start + offset + 2 * HOUR,
                place="海德街道代表联络站",
                capacity=10,
                created_at=start - timedelta(days=10),
                updated_at=start - timedelta(days=10),
                duties=[ReceptionDuty(deputy_id=d, attended=a) for d, a in came.items()],
            )
            session.add(reception)
            await session.flush()
            for index, resident in enumerate(residents[:2]):
                session.add(
                    ReceptionSignup(
                        reception_id=reception.id,
                        resident_id=resident.id,
                        status=SignupStatus.CONFIRMED,
                        code=f"{reception.id}{index}",
                        queued_at=start - timedelta(days=5),
                        checked_in_at=reception.starts_at if index == 0 else None,
                        updated_at=start,
                    )
                )
    return numbers
