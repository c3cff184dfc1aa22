"""Reports over a city's two years (the database `bench.panel_inbox` filled: 1,000,000 tickets,
300 stations, their deputies and receptions), through the panel's HTTP interface:

- the dashboard p50/p95 of the city and of a street (the default 90 days, and a year), and of
  a station's year;
- exports of about 100,000 tickets (one category of the two years) to CSV and to Excel: time,
  bytes, and the growth of the process's peak memory (`VmHWM`, reset before each);
- the public results page of a station p50/p95, each time built afresh (its cache emptied
  before each request), and as served from its cache.

    .venv/bin/python -m bench.panel_reports [POSTGRES_ADMIN_URL] [--database NAME]

It reuses `lsb_bench_panel` (or the copy `--database` names; never drops it; run
`python -m bench.panel_inbox` first if it is missing) and migrates it to the newest revision,
printing how long the migration took (0014_report_days fills the city's figures kept per day
from the tickets). Prints figures as JSON; asserts nothing.
Targets: dashboards p95 < 500 ms, the export's memory growth < 50 MB, public page p95 < 100 ms.
"""

import argparse
import asyncio
import json
import os
import random
import time
from pathlib import Path
from typing import Any

from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from admin.app import create_app
from admin.keys import PUBLIC_CACHE
from bench.panel_inbox import CSRF_MARK, NAME, NOW, percentiles
from bot.clock import FrozenClock
from bot.core.staff import create_account
from bot.core.tickets import TicketDesk
from bot.settings import PACKAGED_LOCALES_DIR, AdminSettings
from bot.text.catalogs import Catalogs
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import StaffMember, StaffRole

RUNS = 30
STATUS = Path("/proc/self/status")


def memory_kb(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def reset_peak() -> None:
    """`VmHWM` starts again from the current resident size (Linux: clear_refs 5)."""
    Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")


async def logged_in(app, login: str) -> TestClient:
    client = TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True))
    await client.start_server()
    page = await (await client.get("/login")).text()
    token = page.split(CSRF_MARK)[1].split('"')[0]
    await client.post("/login", data={"login": login, "password": "bench password", "csrf": token})
    return client


async def timed(client: TestClient, path: str, runs: int, before=None) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        response = await client.get(path)
        await response.read()
        samples.append(time.perf_counter() - started)
        assert response.status == 200, (path, response.status)
    return percentiles(samples)


async def export(client: TestClient, path: str) -> dict[str, Any]:
    """Read the export in chunks (kept nowhere), with the peak memory growth of the process
    (server and client both live in it; the client holds a chunk at a time)."""
    baseline = memory_kb("VmRSS")
    reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    response = await client.get(path)
    answered = time.perf_counter() - started  # its headers: what a proxy waits for
    assert response.status == 200, (path, response.status)
    size = lines = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    figures = {
        "seconds": round(elapsed, 1),
        "headers_after_seconds": round(answered, 1),
        # This process's CPU (server and client, every thread): on a loaded machine the
        # time it was given matters more than the time it waited.
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "megabytes": round(size / 1e6, 1),
        "peak_rss_growth_mb": round((memory_kb("VmHWM") - baseline) / 1024, 1),
    }
    if path.split("?")[0].endswith(".csv"):
        figures["rows"] = lines - 1  # the header
    return figures


PARTS = ("exports", "dashboards", "public")


async def measure(url: str, parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    desk = TicketDesk(FrozenClock(NOW), Catalogs(PACKAGED_LOCALES_DIR), "Asia/Shanghai")
    async with sessions.begin() as session:
        if not await session.scalar(select(StaffMember.id).where(StaffMember.login == "bench")):
            await create_account(
                session, "bench", "测评", "bench password", StaffRole.ADMINISTRATOR, NOW
            )
            await create_account(
                session, "street", "街道", "bench password", StaffRole.STREET, NOW, [2]
            )
    app = create_app(AdminSettings(), sessions, desk)
    results: dict[str, Any] = {part: {} for part in parts}
    admin = await logged_in(app, "bench")
    # The exports first, while the process is small: each growth is measured from what the
    # process holds when it starts (memory freed by one export stays with the process).
    for kind in ("xlsx", "csv") if "exports" in parts else ():
        results["exports"][f"tickets of one category ({kind})"] = await export(
            admin, f"/export/tickets.{kind}?category=3"
        )
    if "dashboards" in parts:
        await dashboards(app, admin, results["dashboards"])
    if "public" in parts:
        await public(app, results["public"])
    await admin.close()
    await engine.dispose()
    return results


async def dashboards(app, admin: TestClient, results: dict[str, Any]) -> None:
    rng = random.Random(5)
    year = "from=2025-12-01&to=2026-11-30"
    pages = {
        "city, 90 days": "/reports",
        "city, a year": f"/reports?{year}",
        "street, 90 days": "/reports?area=2",
        "street, a year": f"/reports?area=2&{year}",
        "station, a year": f"/reports?station={rng.randint(1, 300)}&{year}",
        "a deputy's duty record, a year": f"/deputies/{rng.randint(1, 600)}/record?{year}",
    }
    for name, path in pages.items():
        results[name] = await timed(admin, path, RUNS)
    street = await logged_in(app, "street")
    results["street staff: own streets, 90 days"] = await timed(street, "/reports", RUNS)
    await street.close()


async def public(app, results: dict[str, Any]) -> None:
    visitor = TestClient(TestServer(app))
    await visitor.start_server()
    cache = app[PUBLIC_CACHE].pages
    results["station page, built afresh"] = await timed(
        visitor, "/public/st7", RUNS, before=cache.clear
    )
    results["station page, from the cache"] = await timed(visitor, "/public/st7", RUNS)
    results["list of stations, built afresh"] = await timed(
        visitor, "/public/", RUNS, before=cache.clear
    )
    await visitor.close()


def main(admin_url: str, database: str, parts: tuple[str, ...] = PARTS) -> None:
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{database}"
    started = time.perf_counter()
    upgrade(url)
    migrated = {"migration_seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(migrated | asyncio.run(measure(url, parts)), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument(
        "admin_url", nargs="?", default="postgresql://postgres@127.0.0.1:5432/test"
    )
    arguments.add_argument("--database", default=NAME, help=f"default {NAME}")
    arguments.add_argument(
        "--only", choices=PARTS, action="append", help="measure this part only (repeatable)"
    )
    options = arguments.parse_args()
    main(options.admin_url, options.database, tuple(options.only or PARTS))
