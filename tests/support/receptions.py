"""Helpers for reception tests: staff schedule a reception through the core (as the command
line does), in the harness's database and on its clock."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.receptions import Outcome, ReceptionDesk, ReceptionPlan
from storage.models import Deputy, DeputyGroup, Reception, ReceptionKind, Station
from tests.support.harness import Harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
HAIDE_STAFF_CHAT = -1001000000901  # 海德街道人大工委, `staff_chat_id` in the demo directory


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def reception_desk(harness: Harness) -> ReceptionDesk:
    return ReceptionDesk(harness.app.clock, harness.app.catalogs, "Asia/Shanghai")


async def schedule(
    harness: Harness,
    starts_at: datetime,
    *,
    kind: ReceptionKind = ReceptionKind.NIGHT,
    station: str = "st-hd",
    group: str = "g-hd-1",
    hours: int = 2,
    capacity: int = 20,
    deputies: tuple[str, ...] = ("d-wang-jianguo",),
    place: str | None = "海德路88号党群服务中心二楼",
    **more: Any,
) -> int:
    async with harness.app.sessionmaker.begin() as session:
        plan = ReceptionPlan(
            kind=kind,
            station=(await session.scalars(select(Station).where(Station.code == station))).one(),
            group=(
                await session.scalars(select(DeputyGroup).where(DeputyGroup.code == group))
            ).one(),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            capacity=capacity,
            deputies=tuple(
                [
                    (await session.scalars(select(Deputy).where(Deputy.code == code))).one()
                    for code in deputies
                ]
            ),
            place=place,
            **more,
        )
        outcome = await reception_desk(harness).create(session, plan)
        reception_id = outcome.reception.id
    harness.app.sender.wake()
    return reception_id


async def change(harness: Harness, reception_id: int, **changes: Any) -> Outcome:
    async with harness.app.sessionmaker.begin() as session:
        reception = await session.get_one(Reception, reception_id)
        outcome = await reception_desk(harness).change(session, reception, **changes)
    harness.app.sender.wake()
    return outcome


async def cancel(harness: Harness, reception_id: int, reason: str) -> Outcome:
    async with harness.app.sessionmaker.begin() as session:
        reception = await session.get_one(Reception, reception_id)
        outcome = await reception_desk(harness).cancel(session, reception, reason)
    harness.app.sender.wake()
    return outcome
