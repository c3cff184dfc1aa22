"""Command line: `python -m bot [run | webhook | sender | supervisor | admin | sandbox [--host H]
[--port P] | migrate [--status | --new MESSAGE] | load-directory FILE | triage | assign NUMBER
GROUP | reception (create | change | cancel | list) … | create-admin LOGIN NAME | purge
--older-than AGE | bind-code GROUP]`.

Settings are read and checked first: a wrong one ends the program with one line naming the
variable, before anything starts (exit status 2, like any usage error).
"""

import argparse
import asyncio
import logging
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select

from bot import reception_cli
from bot.clock import SystemClock
from bot.core.directory import DirectoryError, load_directory, read_directory
from bot.core.directory.receptions import schedule_receptions
from bot.core.receptions import ReceptionDesk
from bot.core.timeline import Who
from bot.core.workflow import TransitionError
from bot.logs import setup_logging
from bot.settings import LogSettings, Settings
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.models import Actor, DeputyGroup, Ticket
from storage.queries.tickets import tickets_awaiting_triage
from storage.schema import MigrationFailed, upgrade_apart

log = logging.getLogger(__name__)

# The roles that may run in processes of their own, each with its command; `run` is all of
# them in one process. (The staff panel adds `admin` here.)
ROLES = {
    "webhook": "receive and handle Telegram's updates on the webhook (any number, behind a "
    "load balancer)",
    "sender": "deliver the outbox (any number)",
    "supervisor": "sweep the deadlines (one active at a time; another takes over if it dies)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "run",
        help="every role in one process: updates (polling, or the webhook when "
        "WEBHOOK_BASE_URL is set), the sender and the supervisor (the default)",
    )
    for role, what in ROLES.items():
        commands.add_parser(role, help=what)
    sandbox = commands.add_parser(
        "sandbox", help="the whole loop in a browser, without Telegram (a fresh demo each time)"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address of the page and the fake")
    sandbox.add_argument("--port", type=int, default=8080, help="port of the page")
    migrate_parser = commands.add_parser("migrate", help="bring the database schema up to date")
    action = migrate_parser.add_mutually_exclusive_group()
    action.add_argument(
        "--status",
        action="store_true",
        help="say where the database stands; exit status 1 when migrations are pending",
    )
    action.add_argument(
        "--new",
        metavar="MESSAGE",
        help="contributors: write the next revision under storage/migrations/versions/, "
        "generated from the models against the (up to date) database",
    )
    load = commands.add_parser("load-directory", help="load areas, stations, groups, deputies")
    load.add_argument("file", type=Path)
    commands.add_parser("triage", help="staff: list the tickets waiting for a deputy group")
    assign = commands.add_parser("assign", help="staff: give a ticket to a deputy group")
    assign.add_argument("number", help="the ticket's number, e.g. A-2026-000123")
    assign.add_argument("group", help="the deputy group's code in the directory, e.g. g-hd-1")
    bind_code = commands.add_parser(
        "bind-code", help="staff: a one-time code that binds a group chat to a deputy group"
    )
    bind_code.add_argument("group", help="the deputy group's code in the directory, e.g. g-hd-1")
    commands.add_parser("admin", help="serve the staff panel alone, at ADMIN_BIND")
    create_admin = commands.add_parser(
        "create-admin", help="make an administrator account of the staff panel"
    )
    create_admin.add_argument("login")
    create_admin.add_argument("name")
    reception_cli.add_parser(commands)
    purge = commands.add_parser(
        "purge", help="remove the personal data of tickets concluded long ago (cron-safe)"
    )
    purge.add_argument(
        "--older-than",
        required=True,
        type=retention,
        metavar="AGE",
        help="how long after its conclusion a ticket keeps its personal data: 365d, 26w, 2y",
    )
    args = parser.parse_args(argv)
    try:
        # The log settings first, so that the other settings' problems are logged as asked.
        setup_logging(LogSettings())
        settings = Settings()
    except ValidationError as error:
        for line in invalid_settings(error):
            print(line, file=sys.stderr)
        return 2
    try:
        return _command(settings, args)
    except MigrationFailed as failed:  # the child's lines are in the log already
        print(failed, file=sys.stderr)
        return 1


def _command(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "migrate":
        return _migrate(settings, args.status, args.new)
    if args.command == "load-directory":
        return asyncio.run(_load_directory(settings, args.file))
    if args.command == "triage":
        return asyncio.run(_triage(settings))
    if args.command == "assign":
        return asyncio.run(_assign(settings, args.number, args.group))
    if args.command == "bind-code":
        return asyncio.run(_bind_code(settings, args.group))
    if args.command == "admin":
        return _admin(settings)
    if args.command == "create-admin":
        return asyncio.run(_create_admin(settings, args.login, args.name))
    if args.command == "reception":
        return asyncio.run(reception_cli.reception_command(settings, args))
    if args.command == "sandbox":
        from bot.runners.sandbox import run_sandbox

        return run_sandbox(settings, args.host, args.port)
    if args.command == "purge":
        return asyncio.run(_purge(settings, args.older_than))
    return _serve(settings, args.command if args.command in ROLES else "all")


def retention(value: str) -> timedelta:
    """An age such as 365d, 26w or 2y (a year counts 365 days)."""
    found = re.fullmatch(r"(\d+)\s*([dwy])", value.strip().lower())
    if found is None:
        raise argparse.ArgumentTypeError(f"'{value}' is not an age such as 365d, 26w or 2y")
    days = int(found[1]) * {"d": 1, "w": 7, "y": 365}[found[2]]
    return timedelta(days=days)


def invalid_settings(error: ValidationError) -> list[str]:
    """One line per wrong setting, naming its environment variable. The value itself is left
    out: it may be a token or hold a password."""
    lines = []
    for problem in error.errors(include_url=False):
        variable = "_".join(str(part) for part in problem["loc"]).upper() or error.title
        reason = problem["msg"].removeprefix("Value error, ")
        lines.append(f"Invalid setting {variable}: {reason}")
    return lines


def _migrate(settings: Settings, show_status: bool, message: str | None) -> int:
    from alembic.util import CommandError

    from storage import migrate

    url = settings.storage.database_url
    if message is not None:
        try:
            path = migrate.new_revision(url, message)
        except CommandError as error:
            print(f"No revision written: {error}", file=sys.stderr)
            return 1
        print(f"{path}: review it, then `python -m bot migrate` applies it")
        return 0
    if not show_status:
        migrate.upgrade(url)
        return 0
    state = migrate.status(url)
    if state.up_to_date:
        print(f"Database schema at {state.current} (up to date)")
        return 0
    print(
        f"Database schema at {state.current or 'nothing (no migration applied)'}; "
        f"pending, applied by `python -m bot migrate`:"
    )
    for revision in state.pending:
        print(f"  {revision}")
    return 1


def _serve(settings: Settings, role: str) -> int:
    """A long-running process: `all` roles (run) or one of ROLES."""
    if settings.telegram.bot_token is None:
        print(
            "BOT_TOKEN is not set: put the token from @BotFather in the environment or in "
            ".env (see .env.example); `python -m bot sandbox` shows the bot without Telegram.",
            file=sys.stderr,
        )
        return 2
    from bot.runners.serve import NotStartable, serve

    if role == "all" and settings.storage.auto_migrate:
        upgrade_apart(settings.storage.database_url)
    try:
        return asyncio.run(serve(settings, role))
    except NotStartable as refused:
        print(refused, file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C while waiting for the Bot API; polling handles its own
        log.info("interrupted")
        return 130


async def _load_directory(settings: Settings, path: Path) -> int:
    try:
        directory = read_directory(path)
    except (DirectoryError, OSError) as error:
        print(f"Nothing was loaded.\n{error}", file=sys.stderr)
        return 1
    await asyncio.to_thread(upgrade_apart, settings.storage.database_url)
    async with (
        open_database(settings.storage.database_url) as sessions,
        sessions.begin() as session,
    ):
        report = await load_directory(session, directory)
        catalogs = Catalogs(settings.text.locales_dir, settings.text.default_locale)
        desk = ReceptionDesk(SystemClock(), catalogs, settings.text.timezone)
        receptions = await schedule_receptions(session, desk, directory.receptions)
    print(f"{path}: {report.summary() if report.changed else 'already up to date'}")
    if receptions.scheduled:
        print(f"receptions: {receptions.scheduled} new")
    for skipped in receptions.skipped:
        print(f"  not scheduled: {skipped}", file=sys.stderr)
    return 0


async def _triage(settings: Settings) -> int:
    async with open_database(settings.storage.database_url) as sessions, sessions() as session:
        waiting = await tickets_awaiting_triage(session)
    for ticket in waiting:
        first_line = ticket.text.splitlines()[0][:60] if ticket.text else ""
        print(f"{ticket.number}\t{ticket.created_at:%Y-%m-%d %H:%M}Z\t{first_line}")
    print(f"{len(waiting)} waiting for a deputy group", file=sys.stderr)
    return 0


async def _assign(settings: Settings, number: str, group_code: str) -> int:
    """The command line's staff member assigns a ticket, as the staff panel will."""
    from bot.app import build_desk
    from bot.delivery.wakeup import notify_senders

    desk = build_desk(settings)
    async with (
        open_database(settings.storage.database_url) as sessions,
        sessions.begin() as session,
    ):
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == group_code))
        if ticket is None or group is None or not group.active:
            missing = "ticket" if ticket is None else "active deputy group"
            print(f"No {missing} {number if ticket is None else group_code}.", file=sys.stderr)
            return 1
        try:
            await desk.assign(session, ticket, group, Who(Actor.STAFF))
        except TransitionError as error:
            print(f"Not assigned: {error}.", file=sys.stderr)
            return 1
        await session.commit()
        await notify_senders(session.bind)
    print(f"{number} → {group.name}; its card is on its way to the group.")
    return 0


async def _bind_code(settings: Settings, group_code: str) -> int:
    """Staff: a code a chat administrator sends as `/bind CODE` in the group's chat."""
    from bot.clock import SystemClock
    from bot.core.binding import CODE_LIFETIME, issue_bind_code

    now = SystemClock().now()
    async with (
        open_database(settings.storage.database_url) as sessions,
        sessions.begin() as session,
    ):
        group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == group_code))
        if group is None or not group.active:
            print(f"No active deputy group {group_code}.", file=sys.stderr)
            return 1
        code = await issue_bind_code(session, group, now)
    hours = int(CODE_LIFETIME.total_seconds() // 3600)
    print(code)
    print(
        f"For {group.name}: an administrator of its Telegram group sends /bind {code} there. "
        f"Valid once, for {hours} hours.",
        file=sys.stderr,
    )
    return 0


def _admin(settings: Settings) -> int:
    """The staff panel alone, without the bot (its replies wait in the outbox for `run`)."""
    from aiohttp import web

    from admin.app import create_app
    from bot.clock import SystemClock
    from bot.core.tickets import TicketDesk
    from bot.delivery.wakeup import OutboxWakeup
    from bot.text.catalogs import Catalogs
    from storage.db import create_engine, create_sessionmaker

    if not settings.admin.admin_bind:
        print("ADMIN_BIND is empty: set the address the panel listens at.", file=sys.stderr)
        return 2
    if settings.storage.auto_migrate:
        upgrade_apart(settings.storage.database_url)
    engine = create_engine(settings.storage.database_url)
    text = settings.text
    # The desk without the bot (bot.app would load aiogram): the same core, the same catalogs.
    desk = TicketDesk(SystemClock(), Catalogs(text.locales_dir, text.default_locale), text.timezone)
    # No sender here: a staff member's commit wakes the senders of other processes (NOTIFY).
    wakeup = OutboxWakeup(engine, wake=lambda: None)
    app = create_app(
        settings.admin,
        create_sessionmaker(engine),
        desk,
        settings.storage.redis_url,
        wake_sender=wakeup.publish,
    )

    async def dispose(_: web.Application) -> None:
        await engine.dispose()

    app.on_cleanup.append(dispose)
    host, port = settings.admin.host_and_port
    web.run_app(app, host=host, port=port, print=lambda line: log.info("%s", line))
    return 0


async def _create_admin(settings: Settings, login: str, name: str) -> int:
    """The first administrator; the password is asked for (twice), never given as an argument."""
    import getpass

    from bot.clock import SystemClock
    from bot.core.staff import StaffError, create_account
    from storage.models import StaffRole

    password = os.environ.get("ADMIN_PASSWORD") or getpass.getpass("Password: ")
    if "ADMIN_PASSWORD" not in os.environ and getpass.getpass("Again: ") != password:
        print("The two passwords differ; nothing was made.", file=sys.stderr)
        return 1
    await asyncio.to_thread(upgrade_apart, settings.storage.database_url)
    try:
        async with (
            open_database(settings.storage.database_url) as sessions,
            sessions.begin() as session,
        ):
            await create_account(
                session, login, name, password, StaffRole.ADMINISTRATOR, SystemClock().now()
            )
    except StaffError as error:
        print(f"Not made: {error}", file=sys.stderr)
        return 1
    print(f"Administrator {login} made; log in at http://{settings.admin.admin_bind}/login")
    return 0


async def _purge(settings: Settings, older_than: timedelta) -> int:
    from bot.clock import SystemClock
    from bot.core.retention import purge

    async with open_database(settings.storage.database_url) as sessions:
        purged = await purge(sessions, SystemClock().now() - older_than)
    print(
        f"{purged.tickets} ticket(s) concluded before {older_than.days} days ago anonymised, "
        f"{purged.names} resident name(s) and {purged.signups} reception sign-up topic(s) removed"
    )
    return 0
