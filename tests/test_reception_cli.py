"""`python -m bot reception …` as staff run it: schedule, list, change (late: flagged), cancel,
and the checks, each refused in one line with nothing changed."""

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.core.reception_signups import Signups
from bot.core.receptions import ReceptionDesk, ReceptionPlan
from bot.core.residents import register_resident
from bot.reception_cli import add_parser, reception_command
from bot.settings import PACKAGED_LOCALES_DIR, Settings
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.models import Reception, ReceptionKind, Station
from tests.test_cli import DEMO_DIRECTORY, bot


def local_text(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


async def signed_up(url: str, reception_id: int) -> str:
    """A resident signs up (through the core, as the bot would); their check-in code."""
    clock = FrozenClock(datetime.now(UTC))
    desk = ReceptionDesk(clock, Catalogs(PACKAGED_LOCALES_DIR), "Asia/Shanghai")
    async with open_database(url) as sessions, sessions.begin() as session:
        resident = await register_resident(
            session, "telegram", "5001", "小红", "zh_Hans", clock.now()
        )
        reception = await session.get_one(Reception, reception_id)
        signup = await Signups(desk).sign_up(session, reception, resident, show_name=True)
        return signup.code


def test_staff_schedule_change_and_cancel_a_reception(tmp_path: Path):
    assert bot("load-directory", str(DEMO_DIRECTORY), cwd=tmp_path).returncode == 0
    # The command line runs on the real clock: times relative to now.
    next_week = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=7)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    created = bot(
        "reception",
        "create",
        "--kind",
        "night",
        "--station",
        "st-hd",
        "--start",
        local_text(next_week),
        "--end",
        "21:00",
        "--capacity",
        "20",
        "--deputy",
        "d-zhou-ming",
        "--place",
        "海德路88号党群服务中心二楼",
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    # The demo directory's own month of receptions comes first.
    assert created.stdout.startswith("Reception ") and " scheduled: " in created.stdout
    number = created.stdout.split()[1]
    assert "夜间接待（海德街道代表联络站）" in created.stdout

    overlapping = bot(
        "reception",
        "create",
        "--kind",
        "micro",
        "--station",
        "st-hd",
        "--start",
        local_text(next_week + timedelta(hours=1)),
        "--end",
        "22:00",
        "--capacity",
        "5",
        "--deputy",
        "d-zhou-ming",
        "--place",
        "和祥社区议事厅",
        cwd=tmp_path,
    )
    assert overlapping.returncode == 1
    assert overlapping.stderr.endswith(
        "Nothing was changed: on duty at another reception at that time: 周明.\n"
    )
    past = bot(
        "reception",
        "create",
        "--kind",
        "night",
        "--station",
        "st-hd",
        "--start",
        "2020-01-01 19:00",
        "--end",
        "21:00",
        "--capacity",
        "5",
        "--place",
        "x",
        cwd=tmp_path,
    )
    assert past.stderr.endswith("Nothing was changed: it would begin in the past.\n")
    none = bot(
        "reception",
        "create",
        "--kind",
        "online",
        "--station",
        "st-hd",
        "--start",
        local_text(next_week + timedelta(days=1)),
        "--end",
        "21:00",
        "--capacity",
        "0",
        "--online",
        "腾讯会议 123 456 789",
        cwd=tmp_path,
    )
    assert none.stderr.endswith("Nothing was changed: its capacity must be at least 1.\n")
    wrong_time = bot("reception", "change", number, "--start", "next tuesday", cwd=tmp_path)
    assert (wrong_time.returncode, wrong_time.stderr.splitlines()[-1]) == (
        1,
        "Not a time: 'next tuesday'; write it as '2026-12-01 19:00' (local).",
    )

    listed = bot("reception", "list", "--station", "st-hd", cwd=tmp_path).stdout.splitlines()
    ours = [line for line in listed if line.startswith(f"{number}\t")]
    assert len(ours) == 1 and ours[0].startswith(f"{number}\tnight\t") and "余20个名额" in ours[0]

    # Staff at the door check a resident in by their code.
    url = f"sqlite+aiosqlite:///{tmp_path}/data/liaison.sqlite3"
    code = asyncio.run(signed_up(url, int(number)))
    early = bot("reception", "checkin", number, code, cwd=tmp_path)
    assert early.stderr.endswith("Nothing was changed: check-in opens one day before it begins.\n")

    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    late = bot(
        "reception",
        "--by",
        "张科长",
        "change",
        number,
        "--start",
        local_text(tomorrow),
        cwd=tmp_path,
    )
    assert late.returncode == 0, late.stderr
    assert "Residents told (signed up or following the station): 1." in late.stdout
    assert "Less than three days' notice, as the rules ask for: allowed, and flagged" in (
        late.stdout
    )
    # Now within a day of its start: the door is open.
    checked = bot("reception", "checkin", number, code.lower(), cwd=tmp_path)
    assert checked.stdout == f"Checked in: {code} at reception {number}.\n", checked.stderr
    twice = bot("reception", "checkin", number, code, cwd=tmp_path)
    assert twice.stderr.endswith("Nothing was changed: that resident has checked in already.\n")
    wrong = bot("reception", "checkin", number, "ZZZZ", cwd=tmp_path)
    assert wrong.stderr.endswith(
        "Nothing was changed: no sign-up of this reception has that code.\n"
    )

    cancelled = bot("reception", "cancel", number, "--reason", "场地维修", cwd=tmp_path)
    assert cancelled.returncode == 0 and f"Reception {number} cancelled." in cancelled.stdout
    again = bot("reception", "cancel", number, cwd=tmp_path)
    assert again.stderr.endswith("Nothing was changed: it is cancelled.\n")
    assert bot("reception", "cancel", "999", cwd=tmp_path).stderr.endswith("No reception 999.\n")
    listed = bot("reception", "list", cwd=tmp_path).stdout.splitlines()
    assert not [line for line in listed if line.startswith(f"{number}\t")]

    # Its history: what was done, by whom, when (UTC), the fields as they were and became.
    steps = bot("reception", "list", "--history", number, cwd=tmp_path).stdout.splitlines()
    assert [line.split("\t")[2] for line in steps] == ["created", "changed", "cancelled"]
    created_line, changed_line, cancelled_line = (line.split("\t") for line in steps)
    assert created_line[1].startswith("command line") and "'capacity': 20" not in created_line[3]
    assert "capacity: 20" in created_line[3] and "deputies: ['周明']" in created_line[3]
    assert changed_line[1] == "张科长"
    assert changed_line[3].startswith("starts_at: '") and " → '" in changed_line[3]
    assert "capacity" not in changed_line[3]
    assert cancelled_line[3] == "status: 'scheduled' → 'cancelled'; reason: '场地维修'"
    unknown = bot("reception", "list", "--history", "999", cwd=tmp_path)
    assert unknown.stderr.endswith("No reception 999.\n")


async def reception_started_an_hour_ago(url: str) -> tuple[int, str, datetime]:
    """A reception scheduled yesterday for an hour ago, a resident signed up: its id, their
    check-in code, and the moment (an hour into it) the command line is run at."""
    now = datetime.now(UTC)
    clock = FrozenClock(now - timedelta(days=1))
    desk = ReceptionDesk(clock, Catalogs(PACKAGED_LOCALES_DIR), "Asia/Shanghai")
    async with open_database(url) as sessions, sessions.begin() as session:
        station = (await session.scalars(select(Station).where(Station.code == "st-hd"))).one()
        group = await desk.default_group(session, station)
        assert group is not None
        plan = ReceptionPlan(
            kind=ReceptionKind.NIGHT,
            station=station,
            group=group,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            capacity=5,
            place="海德路88号党群服务中心二楼",
        )
        reception = (await desk.create(session, plan)).reception
        resident = await register_resident(
            session, "telegram", "5002", "小红", "zh_Hans", clock.now()
        )
        signup = await Signups(desk).sign_up(session, reception, resident, show_name=True)
        return reception.id, signup.code, now


def test_staff_record_what_was_raised_by_code_and_by_a_walk_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    assert bot("load-directory", str(DEMO_DIRECTORY), cwd=tmp_path).returncode == 0
    url = f"sqlite+aiosqlite:///{tmp_path}/data/liaison.sqlite3"
    reception_id, code, now = asyncio.run(reception_started_an_hour_ago(url))
    monkeypatch.setenv("DATABASE_URL", url)
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))

    def run(*words: str) -> int:
        args = parser.parse_args(["reception", *words])
        return asyncio.run(reception_command(Settings(), args, FrozenClock(now)))

    assert run("raise", str(reception_id), "小区路灯不亮", "--code", code) == 0
    by_code = capsys.readouterr().out
    assert by_code == f"Recorded as A-{now.year}-000001; the resident ({code}) is told.\n"
    assert run("raise", str(reception_id), "菜市场门口积水", "--walk-in") == 0
    walk_in = capsys.readouterr().out
    assert walk_in.startswith(f"Recorded as A-{now.year}-000002. Give the person who raised it")
    claim = walk_in.split("claim code ")[1].split(":")[0]
    assert len(claim) == 6 and f"/follow {claim}" in walk_in
    assert run("raise", str(reception_id), "又一件", "--code", "ZZZZ") == 1
    assert capsys.readouterr().err == (
        "Nothing was changed: no sign-up of this reception has that code.\n"
    )
