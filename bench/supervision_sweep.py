"""How long a supervision sweep takes over many open tickets: the first sweep of a morning
(warnings, overdue notices and digests to send) and the next one (everything already claimed).

    .venv/bin/python -m bench.supervision_sweep [TICKETS] [DATABASE_URL]

Without a URL it uses a new SQLite file; a PostgreSQL URL must name an empty database.
Prints figures; asserts nothing.
"""

import asyncio
import sys
import tempfile
import time as timer
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from bot.clock import FrozenClock
from bot.core.calendar import WorkCalendar
from bot.core.deadlines import due_after
from bot.core.directory import load_directory, read_directory
from bot.core.supervision import Supervisor
from bot.settings import PACKAGED_LOCALES_DIR, PROJECT_ROOT
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.migrate import upgrade
from storage.models import (
    Area,
    DeputyGroup,
    OutboxMessage,
    Resident,
    Ticket,
    TicketStatus,
    deputy_group_areas,
)

SHANGHAI = "Asia/Shanghai"
MORNING = datetime(2026, 10, 22, 9, 30, tzinfo=ZoneInfo(SHANGHAI))


async def fill(url: str, tickets: int) -> None:
    """Tickets of every group, assigned over the 30 working days before the morning."""
    calendar = WorkCalendar()
    async with open_database(url) as sessions, sessions.begin() as session:
        await load_directory(session, read_directory(PROJECT_ROOT / "bot/data/demo-directory.yaml"))
        pairs = list(
            await session.execute(
                select(DeputyGroup.id, deputy_group_areas.c.area_id).join(
                    deputy_group_areas, deputy_group_areas.c.group_id == DeputyGroup.id
                )
            )
        )
        area_id = await session.scalar(select(Area.id).limit(1))
        resident = Resident(display_name="", locale="zh_Hans", area_id=area_id, created_at=MORNING)
        session.add(resident)
        await session.flush()
        rows = []
        for n in range(tickets):
            group_id, area_id = pairs[n % len(pairs)]
            assigned = MORNING - timedelta(hours=(n * 7) % (30 * 24))
            accepted = n % 3 != 0
            rows.append(
                {
                    "number": f"A-2026-{n + 1:06d}",
                    "resident_id": resident.id,
                    "area_id": area_id,
                    "deputy_group_id": group_id,
                    "text": "路灯坏了",
                    "status": TicketStatus.ACCEPTED if accepted else TicketStatus.ASSIGNED,
                    "created_at": assigned.astimezone(UTC),
                    "updated_at": assigned.astimezone(UTC),
                    "reroute_count": 0,
                    "reopen_count": 0,
                    "acknowledge_due": due_after(calendar, assigned, 2, SHANGHAI),
                    "answer_due": due_after(calendar, assigned, 15, SHANGHAI),
                }
            )
        await session.execute(insert(Ticket), rows)


async def bench(url: str, tickets: int) -> None:
    upgrade(url)
    await fill(url, tickets)
    clock = FrozenClock(MORNING.astimezone(UTC))
    async with open_database(url) as sessions:
        supervisor = Supervisor(sessions, clock, Catalogs(PACKAGED_LOCALES_DIR), SHANGHAI, time(9))
        for label in ("first sweep of the morning", "next sweep (all claimed)"):
            started = timer.perf_counter()
            report = await supervisor.sweep(clock.now())
            elapsed = timer.perf_counter() - started
            print(f"{label}: {elapsed:.2f} s — {report}")
        await supervisor.close()
        async with sessions() as session:
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        print(f"{tickets} open tickets; {queued} messages queued in all")


def main() -> None:
    tickets = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    if len(sys.argv) > 2:
        url = sys.argv[2]
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    print(f"database: {url.split('@')[-1]}")
    asyncio.run(bench(url, tickets))


if __name__ == "__main__":
    main()
