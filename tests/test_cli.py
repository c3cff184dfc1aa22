"""The command line, run as an operator would run it."""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.core.residents import register_resident
from bot.core.tickets import TicketDesk
from bot.fake_telegram import FakeTelegram
from bot.settings import PACKAGED_LOCALES_DIR, PROJECT_ROOT, Settings
from bot.text.catalogs import Catalogs
from storage import migrate
from storage.db import open_database
from tests.support.harness import START, Harness
from tests.support.stories import HAIDE_GROUP_1

DEMO_DIRECTORY = PROJECT_ROOT / "bot" / "data" / "demo-directory.yaml"

# Every variable the settings read: the tests set their own, never the developer's.
SETTINGS_VARIABLES = {
    name.upper()
    for section in Settings.model_fields.values()
    for name in section.annotation.model_fields  # type: ignore[union-attr]
}


def environment(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES}
    return {**clean, **env}


def bot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_a_token_it_says_what_to_set_and_exits_non_zero(tmp_path: Path):
    result = bot(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "BOT_TOKEN is not set: put the token from @BotFather in the environment or in .env "
        "(see .env.example); `python -m bot sandbox` shows the bot without Telegram."
    ]


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("BOT_TOKEN", "not-a-token", "expected the form 123456789:ABC-DEF… that @BotFather gives"),
        ("DEFAULT_LOCALE", "zh_CN", "Input should be 'zh_Hans' or 'en'"),
        ("TIMEZONE", "Beijing", "'Beijing' is not a time zone name such as Asia/Shanghai"),
        ("DATABASE_URL", "nonsense", "expected a URL such as postgresql+asyncpg://"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_the_variable(
    tmp_path: Path, variable: str, value: str, says: str
):
    result = bot("run", cwd=tmp_path, **{"BOT_TOKEN": "123:abc", variable: value})
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Invalid setting {variable}: {says}")
    assert not (tmp_path / "data").exists()  # nothing started


def test_load_directory_twice_then_a_broken_file(tmp_path: Path):
    first = bot("load-directory", str(DEMO_DIRECTORY), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "areas: 15 new" in first.stdout
    assert (tmp_path / "data" / "liaison.sqlite3").exists()  # the embedded default
    second = bot("load-directory", str(DEMO_DIRECTORY), cwd=tmp_path)
    assert second.stdout.strip().endswith("already up to date")
    broken = tmp_path / "broken.yaml"
    broken.write_text("areas:\n  - code: x\n    name: 某区\n    kind: planet\n", encoding="utf-8")
    refused = bot("load-directory", str(broken), cwd=tmp_path)
    assert refused.returncode == 1
    assert f"{broken}:4: areas[0].kind:" in refused.stderr


def test_migrate_creates_the_database(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path}/elsewhere.sqlite3"
    result = bot("migrate", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere.sqlite3").exists()


def test_migrate_status_says_what_is_pending_until_migrated(tmp_path: Path):
    before = bot("migrate", "--status", cwd=tmp_path)
    assert before.returncode == 1
    assert before.stdout.startswith("Database schema at nothing (no migration applied); pending")
    assert "  0001 initial schema\n" in before.stdout
    assert not (tmp_path / "data").exists()  # looking did not create the database
    assert bot("migrate", cwd=tmp_path).returncode == 0
    after = bot("migrate", "--status", cwd=tmp_path)
    assert after.returncode == 0
    assert after.stdout.endswith("(up to date)\n")


def test_a_new_revision_needs_an_up_to_date_database(tmp_path: Path):
    result = bot("migrate", "--new", "something", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "No revision written: Target database is not up to date."
    )


async def start_bot(tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=environment(AUTO_MIGRATE="false", **env),
        stderr=asyncio.subprocess.PIPE,
    )


async def test_an_unreachable_bot_api_is_waited_for_and_logged(tmp_path: Path):
    api_url = f"http://127.0.0.1:{closed_port()}"
    process = await start_bot(
        tmp_path, BOT_TOKEN="123:abc", TELEGRAM_API_URL=api_url, LOG_FORMAT="json"
    )
    assert process.stderr is not None
    try:
        async with asyncio.timeout(60):
            line = await process.stderr.readline()
        entry = json.loads(line)  # LOG_FORMAT=json: every line is an object
        assert entry["level"] == "WARNING"
        assert entry["logger"] == "bot.runners.startup"
        assert entry["message"].startswith(f"Bot API at {api_url} unreachable (")
        assert entry["message"].endswith("); retrying in 1s")
        assert process.returncode is None  # still running, waiting
    finally:
        process.kill()
        await process.wait()


async def test_a_token_the_bot_api_refuses_ends_the_start_in_one_line(tmp_path: Path):
    fake = FakeTelegram()
    fake.add_bot(token="123456:the-real-one", username="liaison_test_bot")
    api_url = await fake.start()
    try:
        process = await start_bot(
            tmp_path, BOT_TOKEN="123456:a-revoked-one", TELEGRAM_API_URL=api_url
        )
        async with asyncio.timeout(60):
            _, stderr = await process.communicate()
    finally:
        await fake.stop()
    assert process.returncode == 2
    assert stderr.decode().splitlines() == [
        f"The Bot API at {api_url.rstrip('/')} refused BOT_TOKEN (Unauthorized): copy the token "
        "again from @BotFather (it changes when revoked)."
    ]


def test_a_new_revision_is_numbered_after_the_last_one(tmp_path: Path):
    """What `migrate --new` does, on a copy of the migrations (the real ones stay as they are)."""
    migrations = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    url = f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3"
    head = migrate.status(url, migrations).heads[0]
    migrate.upgrade(url, migrations=migrations)
    path = migrate.new_revision(url, "add a thing", migrations)
    assert path.parent == migrations / "versions"
    assert path.name == f"{int(head.split('_')[0]) + 1:04d}_add_a_thing.py"
    assert f"Revises: {head}\n" in path.read_text()


def test_staff_see_the_tickets_waiting_for_a_group_and_assign_one(tmp_path: Path):
    assert bot("load-directory", str(DEMO_DIRECTORY), cwd=tmp_path).returncode == 0
    url = f"sqlite+aiosqlite:///{tmp_path}/data/liaison.sqlite3"

    async def a_ticket_nobody_covers() -> None:
        desk = TicketDesk(FrozenClock(START), Catalogs(PACKAGED_LOCALES_DIR), "Asia/Shanghai")
        async with open_database(url) as sessions, sessions.begin() as session:
            resident = await register_resident(
                session, "telegram", "5001", "小红", "zh_Hans", START
            )
            await desk.submit_opinion(session, resident, "全区公交太少\n第二行", "k1")

    asyncio.run(a_ticket_nobody_covers())
    listed = bot("triage", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("A-2026-000001\t2026-11-23 10:30Z\t全区公交太少\n")
    assigned = bot("assign", "A-2026-000001", "g-wx", cwd=tmp_path)
    assert assigned.returncode == 0, assigned.stderr
    assert "望仙街道代表小组" in assigned.stdout
    assert bot("triage", cwd=tmp_path).stdout == ""
    again = bot("assign", "A-2026-000001", "g-wx", cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr.startswith("Not assigned: a ticket that is assigned cannot assign")
    unknown = bot("assign", "A-2026-000009", "g-wx", cwd=tmp_path)
    assert (unknown.returncode, unknown.stderr) == (1, "No ticket A-2026-000009.\n")


def test_create_admin_then_the_panel_alone(tmp_path: Path):
    made = bot("create-admin", "wang", "王芳", cwd=tmp_path, ADMIN_PASSWORD="long enough pass")
    assert made.returncode == 0, made.stderr
    assert "Administrator wang made" in made.stdout
    again = bot("create-admin", "wang", "王芳", cwd=tmp_path, ADMIN_PASSWORD="long enough pass")
    assert again.returncode == 1
    assert again.stderr.endswith("Not made: This login is taken.\n")
    short = bot("create-admin", "li", "李", cwd=tmp_path, ADMIN_PASSWORD="short")
    assert short.returncode == 1

    port = closed_port()
    panel = subprocess.Popen(
        [sys.executable, "-m", "bot", "admin"],
        cwd=tmp_path,
        env=environment(ADMIN_BIND=f"127.0.0.1:{port}"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    async def log_in() -> str:
        import aiohttp

        from tests.support.panel import CSRF

        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as client:
            for _ in range(600):  # a loaded machine takes its time to start Python
                try:
                    page = await (await client.get(f"http://127.0.0.1:{port}/login")).text()
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            found = CSRF.search(page)
            assert found
            form = {"login": "wang", "password": "long enough pass", "csrf": found.group(1)}
            inbox = await client.post(f"http://127.0.0.1:{port}/login", data=form)
            return await inbox.text()

    try:
        assert "待办意见建议" in asyncio.run(log_in())
    finally:
        panel.terminate()
        panel.wait(timeout=10)


def test_a_wrong_panel_address_is_one_line(tmp_path: Path):
    result = bot("triage", cwd=tmp_path, ADMIN_BIND="localhost")
    assert result.returncode == 2
    assert result.stderr.startswith("Invalid setting ADMIN_BIND: 'localhost' is not an address")


@pytest.mark.parametrize("outbox_poll_seconds", [3600.0])
async def test_an_assignment_at_the_command_line_wakes_the_running_bots_sender(
    backend: str, database_url: str, harness: Harness, tmp_path: Path
):
    """The bot's sender would look by itself only after an hour: the command's commit has to
    wake it (PostgreSQL's NOTIFY), so the group's card arrives at once."""
    if backend != "postgres":
        pytest.skip("only PostgreSQL carries a wake-up between processes")
    assert harness.app.wakeup is not None
    async with asyncio.timeout(10):
        await harness.app.wakeup.listening.wait()
    async with harness.app.sessionmaker.begin() as session:
        resident = await register_resident(session, "telegram", "5003", "小红", "zh_Hans", START)
        submitted = await harness.app.desk.submit_opinion(session, resident, "全区公交太少", "k1")
        assert submitted.group is None  # nobody covers a resident without an area
        number = submitted.ticket.number
    # The command stamps its row with the real time: the bot's clock must have reached it.
    clock = harness.app.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(datetime.now(UTC) - clock.now() + timedelta(minutes=1))
    assigned = await asyncio.to_thread(
        bot, "assign", number, "g-hd-1", cwd=tmp_path, DATABASE_URL=database_url
    )
    assert assigned.returncode == 0, assigned.stderr
    await harness.bot_says(HAIDE_GROUP_1, f"意见建议（{number}）")
