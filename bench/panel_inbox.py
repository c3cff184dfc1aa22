"""The staff panel over a city's two years: 1,000,000 tickets over 300 stations, with Chinese
texts, timelines and ratings, written with COPY; then the p50/p95 of the pages staff open
most, through the panel's HTTP interface (log-in once, then each request as a browser sends
it): the inbox's first page with common filters, a search, and a ticket's page.

    .venv/bin/python -m bench.panel_inbox [TICKETS] [POSTGRES_ADMIN_URL]
    .venv/bin/python -m bench.panel_inbox measure [POSTGRES_ADMIN_URL] [--database NAME]
                                  # again, on the database already filled (or a copy of it)

It creates (and at the end leaves, for a second look) the database `lsb_bench_panel` next to
the admin URL's (default postgresql://postgres@127.0.0.1:5432/test; dropped and made anew at
each run). Prints figures; asserts nothing. Targets: inbox and ticket page p95 < 100 ms,
search p95 < 300 ms.
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, text

from admin.app import create_app
from bot.clock import FrozenClock
from bot.core.staff import create_account
from bot.core.tickets import TicketDesk
from bot.settings import PACKAGED_LOCALES_DIR, AdminSettings
from bot.text.catalogs import Catalogs
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import StaffMember, StaffRole, Ticket, TicketEvent
from storage.search import POSTGRES as SEARCH_INDEX
from storage.search import TRIGRAM_INDEX

NAME = "lsb_bench_panel"
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
STREETS, STATIONS_PER_STREET = 100, 3
RESIDENTS = 200_000
RUNS = 40
CSRF_MARK = 'name="csrf" value="'

PLACES = [
    "小区门口",
    "菜市场旁",
    "3号楼楼道",
    "东门路口",
    "公交站台",
    "幼儿园附近",
    "河边步道",
    "老旧小区",
    "地下车库",
    "社区卫生站",
]
PROBLEMS = [
    "路灯坏了好几天",
    "垃圾清运不及时",
    "夜间施工噪音扰民",
    "停车位严重不足",
    "消防通道被占用",
    "下水道堵塞返臭",
    "电梯经常故障",
    "路面坑洼积水",
    "流浪犬伤人隐患",
    "共享单车乱停放",
    "外墙瓷砖脱落",
    "绿化带被毁种菜",
]
IMPACTS = ["老人出门不安全", "居民休息受影响", "孩子上学很危险", "大家意见很大", "已经反映过多次"]
WISHES = ["尽快修复", "加强管理", "增加清运次数", "规划更多车位", "安排专人巡查", "给个明确答复"]
CATEGORIES = [
    "市容环境",
    "交通出行",
    "住房与物业",
    "公共安全",
    "社区服务",
    "教育医疗",
    "其他",
    "噪音",
    "绿化",
    "市政设施",
]


def opinion(rng: random.Random, community: str) -> str:
    return (
        f"{community}{rng.choice(PLACES)}{rng.choice(PROBLEMS)}，{rng.choice(IMPACTS)}，"
        f"希望有关部门{rng.choice(WISHES)}。"
    )


async def copy(db: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    await db.copy_records_to_table(table, records=rows, columns=columns)


async def fill(db: asyncpg.Connection, tickets: int) -> dict[str, Any]:
    rng = random.Random(7)
    started = time.perf_counter()
    await db.execute(
        "INSERT INTO areas (id, code, name, kind, parent_id, position, active) "
        "VALUES (1, 'city', '滨江市', 'district', NULL, 0, true)"
    )
    areas, stations, groups, group_areas = [], [], [], []
    communities: list[tuple[int, str, int]] = []  # area id, name, group id
    next_area = 2
    for s in range(STREETS):
        street = next_area
        areas.append((street, f"s{s}", f"第{s + 1}街道", "street", 1, s, True))
        next_area += 1
        for k in range(STATIONS_PER_STREET):
            station = s * STATIONS_PER_STREET + k + 1
            community = next_area
            next_area += 1
            name = f"第{s + 1}街道第{k + 1}社区"
            areas.append((community, f"s{s}c{k}", name, "community", street, k, True))
            stations.append((station, f"st{station}", f"{name}代表联络站", street, True))
            groups.append((station, f"g{station}", f"{name}代表小组", station, True, True))
            group_areas.append((station, community))
            communities.append((community, name, station))
    await copy(
        db, "areas", ["id", "code", "name", "kind", "parent_id", "position", "active"], areas
    )
    await copy(db, "stations", ["id", "code", "name", "area_id", "active"], stations)
    await copy(
        db, "deputy_groups", ["id", "code", "name", "station_id", "fallback", "active"], groups
    )
    await copy(db, "deputy_group_areas", ["group_id", "area_id"], group_areas)
    await copy(
        db,
        "categories",
        ["id", "code", "name", "active"],
        [(i + 1, f"c{i}", name, True) for i, name in enumerate(CATEGORIES)],
    )
    residents = [
        (i + 1, f"居民{i + 1}", "zh_Hans", communities[i % len(communities)][0], NOW)
        for i in range(RESIDENTS)
    ]
    await copy(
        db, "residents", ["id", "display_name", "locale", "area_id", "created_at"], residents
    )

    await fill_receptions(db, rng, groups)
    ticket_columns = [c.name for c in Ticket.__table__.columns]
    event_columns = [c.name for c in TicketEvent.__table__.columns]
    await db.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    span = timedelta(days=730)
    counters: dict[int, int] = {}
    ticket_rows, event_rows = [], []
    event_id = 0
    for n in range(1, tickets + 1):
        created = NOW - span * ((tickets - n) / tickets) - timedelta(minutes=rng.randint(0, 59))
        counters[created.year] = counters.get(created.year, 0) + 1
        resident = rng.randint(1, RESIDENTS)
        area, community, group = communities[(resident - 1) % len(communities)]
        age = (NOW - created).days
        roll = rng.random()
        rating = rated_at = overdue = closed_at = None
        if roll < 0.01:
            status, group_id = "awaiting_triage", None
        elif age > 45:
            status = rng.choices(
                ["rated", "closed", "unresolvable", "merged", "escalated"], [60, 25, 8, 4, 3]
            )[0]
            group_id = group
            if status == "rated":
                rating = rng.choices(["satisfied", "fairly_satisfied"], [80, 20])[0]
                rated_at = created + timedelta(days=20)
            if status in ("rated", "closed", "unresolvable"):
                closed_at = created + timedelta(days=18)
        else:
            status = rng.choices(
                ["assigned", "accepted", "in_progress", "forwarded", "answered", "closed"],
                [20, 25, 20, 10, 15, 10],
            )[0]
            group_id = group
        answer_due = created + timedelta(days=21) if group_id else None
        first_response = answered = None
        if group_id and status != "assigned":
            first_response = created + timedelta(hours=rng.randint(1, 96))
        if status in ("answered", "closed", "unresolvable", "rated"):
            answered = created + timedelta(days=rng.randint(2, 17), hours=rng.randint(0, 23))
        if status in ("assigned", "accepted", "in_progress", "forwarded") and answer_due < NOW:
            overdue = answer_due
        values = {
            "id": n,
            "number": f"A-{created.year}-{counters[created.year]:06d}",
            "intake_key": None,
            "resident_id": resident,
            "area_id": area,
            "deputy_group_id": group_id,
            "category_id": rng.randint(1, len(CATEGORIES)),
            "text": opinion(rng, community),
            "status": status,
            "created_at": created,
            "updated_at": created,
            "holder_deputy_id": None,
            "department": None,
            "department_expected": None,
            "close_reason": "暂不具备条件，已列入计划。" if status == "unresolvable" else None,
            "closed_at": closed_at,
            "merged_into_id": n - 1 if status == "merged" and n > 1 else None,
            "escalation": "staff" if status == "escalated" else None,
            "priority": rng.choices(["normal", "high", "urgent"], [90, 8, 2])[0],
            "reroute_count": 0,
            "reopen_count": 0,
            "rating": rating,
            "rating_comment": None,
            "rated_at": rated_at,
            "acknowledge_due": created + timedelta(days=3) if group_id else None,
            "answer_due": answer_due,
            "extension_reason": None,
            "overdue_since": overdue,
            "resident_named": False,
            "first_response_at": first_response,
            "answered_at": answered,
            "last_rating": rating,
            "publishable": status == "rated" and rng.random() < 0.05,
        }
        ticket_rows.append(tuple(values[c] for c in ticket_columns))
        for at, actor, action, detail in (
            (created, "resident", "submitted", {}),
            (created, "system", "routed", {"group_id": group_id, "rule": f"area s{area}"}),
            (
                answered or first_response or created + timedelta(days=1),
                "deputy",
                "status_changed",
                {"from": "assigned", "to": status},
            ),
        ):
            event_id += 1
            event = {
                "id": event_id,
                "ticket_id": n,
                "at": at,
                "actor": actor,
                # The group's first deputy took the step: duty records read it.
                "actor_id": group_id * 2 - 1 if actor == "deputy" and group_id else None,
                "action": action,
                "detail": json.dumps(detail),
            }
            event_rows.append(tuple(event[c] for c in event_columns))
        if len(ticket_rows) == 100_000 or n == tickets:
            await copy(db, "tickets", ticket_columns, ticket_rows)
            await copy(db, "ticket_events", event_columns, event_rows)
            ticket_rows, event_rows = [], []
    filled = time.perf_counter() - started
    for statement in SEARCH_INDEX:
        await db.execute(statement)
    indexed = time.perf_counter() - started - filled
    # As autovacuum would have by the time anyone reads it (this server runs without): until a
    # page is marked all-visible, an index-only scan visits the table for every row it counts.
    await db.execute("VACUUM ANALYZE")
    return {"fill_s": round(filled, 1), "trigram_index_s": round(indexed, 1)}


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "志强", "海燕", "卫东", "丽华", "国庆", "晓明", "春梅", "文斌"]


async def fill_receptions(db: asyncpg.Connection, rng: random.Random, groups: list[tuple]) -> None:
    """Two deputies per group; a reception at every station each fortnight of the two years,
    both deputies on duty (one of them stays away one time in five), a few residents each."""
    deputies, members, receptions, duties, signups = [], [], [], [], []
    for group in groups:
        group_id = group[0]
        for k in range(2):
            deputy = group_id * 2 - 1 + k
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            level = rng.choice(["区人大代表", "街道人大代表", "市人大代表"])
            deputies.append((deputy, f"d{deputy}", name, level, True))
            members.append((group_id, deputy))
        for fortnight in range(52):
            reception = len(receptions) + 1
            starts = (
                NOW - timedelta(days=730) + timedelta(days=14 * fortnight, hours=rng.randint(0, 9))
            )
            ends = starts + timedelta(hours=2)
            held = ends < NOW
            receptions.append(
                (
                    reception,
                    "themed",
                    "scheduled",
                    group_id,
                    group_id,
                    starts,
                    ends,
                    "联络站",
                    8,
                    "社区议事",
                    ends if held else None,
                    starts,
                    starts,
                )
            )
            for k in range(2):
                attended = (rng.random() > 0.2) if held else None
                duties.append((reception, group_id * 2 - 1 + k, attended))
            for resident in rng.sample(range(1, RESIDENTS + 1), rng.randint(1, 5)):
                signup = len(signups) + 1
                checked = starts if held and rng.random() < 0.8 else None
                signups.append(
                    (
                        signup,
                        reception,
                        resident,
                        "confirmed",
                        f"{signup:06d}",
                        False,
                        starts,
                        checked,
                        starts,
                    )
                )
    await copy(db, "deputies", ["id", "code", "name", "level", "active"], deputies)
    await copy(db, "deputy_group_members", ["group_id", "deputy_id"], members)
    await copy(
        db,
        "receptions",
        [
            "id",
            "kind",
            "status",
            "station_id",
            "group_id",
            "starts_at",
            "ends_at",
            "place",
            "capacity",
            "theme",
            "closed_at",
            "created_at",
            "updated_at",
        ],
        receptions,
    )
    await copy(db, "reception_duties", ["reception_id", "deputy_id", "attended"], duties)
    await copy(
        db,
        "reception_signups",
        [
            "id",
            "reception_id",
            "resident_id",
            "status",
            "code",
            "show_name",
            "queued_at",
            "checked_in_at",
            "updated_at",
        ],
        signups,
    )


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
    }


async def measure(url: str, tickets: int) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    clock = FrozenClock(NOW)
    desk = TicketDesk(clock, Catalogs(PACKAGED_LOCALES_DIR), "Asia/Shanghai")
    async with sessions.begin() as session:
        if not await session.scalar(select(StaffMember.id).limit(1)):
            await create_account(
                session, "bench", "测评", "bench password", StaffRole.ADMINISTRATOR, NOW
            )
            await create_account(
                session, "street", "街道", "bench password", StaffRole.STREET, NOW, [2]
            )
    app = create_app(AdminSettings(), sessions, desk)
    rng = random.Random(11)
    results: dict[str, Any] = {}
    for login in ("bench", "street"):
        client = TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True))
        await client.start_server()
        page = await (await client.get("/login")).text()
        token = page.split(CSRF_MARK)[1].split('"')[0]
        await client.post(
            "/login", data={"login": login, "password": "bench password", "csrf": token}
        )
        pages = {
            "inbox (all, oldest first)": lambda: "/inbox",
            "inbox overdue": lambda: "/inbox?flag=overdue",
            "inbox status assigned, newest first": lambda: "/inbox?status=assigned&sort=newest",
            "inbox one group, by deadline": lambda: f"/inbox?group={rng.randint(1, 300)}&sort=due",
            "search 3+ characters": lambda: (
                "/inbox?q="
                + rng.choice(["消防通道", "下水道堵塞", "电梯经常故障", "共享单车", "外墙瓷砖"])
            ),
            "ticket page": lambda: f"/tickets/A-2026-{rng.randint(1, 20_000):06d}",
        }
        if login == "street":
            pages = {f"street staff: {k}": v for k, v in pages.items() if "group" not in k}
        for name, path in pages.items():
            samples = []
            for _ in range(RUNS):
                started = time.perf_counter()
                response = await client.get(path())
                await response.read()
                samples.append(time.perf_counter() - started)
                assert response.status in (200, 404), (name, response.status)
            results[name] = percentiles(samples)
        await client.close()
    async with sessions() as session:
        # How much of the table is marked all-visible (1.0 after VACUUM): index-only scans
        # read the table for the rest, so figures taken at 0 and at 1 do not compare.
        results["tickets_all_visible"] = await session.scalar(
            text(
                "SELECT round(relallvisible::numeric / greatest(relpages, 1), 2)::float "
                "FROM pg_class WHERE relname = 'tickets'"
            )
        )
    await engine.dispose()
    return results


async def main(tickets: int, admin_url: str) -> None:
    db = await asyncpg.connect(admin_url)
    await db.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    await db.execute(f'CREATE DATABASE "{NAME}"')
    await db.close()
    base = admin_url.rsplit("/", 1)[0]
    url = f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{NAME}"
    upgrade(url)
    db = await asyncpg.connect(f"{base}/{NAME}")
    figures = {"tickets": tickets, **await fill(db, tickets)}
    await db.close()
    figures["pages"] = await measure(url, tickets)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


async def measure_again(admin_url: str, database: str) -> None:
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{database}"
    upgrade(url)
    print(json.dumps({"pages": await measure(url, 0)}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    admin = "postgresql://postgres@127.0.0.1:5432/test"
    if sys.argv[1:2] == ["measure"]:
        arguments = argparse.ArgumentParser(prog="bench.panel_inbox measure")
        arguments.add_argument("admin_url", nargs="?", default=admin)
        arguments.add_argument("--database", default=NAME, help=f"a filled copy; default {NAME}")
        options = arguments.parse_args(sys.argv[2:])
        asyncio.run(measure_again(options.admin_url, options.database))
        sys.exit()
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    asyncio.run(main(count, sys.argv[2] if len(sys.argv) > 2 else admin))
