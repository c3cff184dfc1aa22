"""Command line: `python -m bot [run | migrate | load-directory FILE]`."""

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.core.directory import DirectoryError, load_directory, read_directory
from bot.settings import Settings
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade, upgrade_async


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="poll Telegram and deliver the outbox (the default)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    load = commands.add_parser("load-directory", help="load areas, stations, groups, deputies")
    load.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"Invalid setting: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        upgrade(settings.storage.database_url)
        return 0
    if args.command == "load-directory":
        return asyncio.run(_load_directory(settings, args.file))
    return _run(settings)


def _run(settings: Settings) -> int:
    if settings.telegram.bot_token is None:
        print(
            "BOT_TOKEN is not set: put the token from @BotFather in the environment or in "
            ".env (see .env.example).",
            file=sys.stderr,
        )
        return 2
    from bot.app import build_application
    from bot.runners.polling import run_polling

    if settings.storage.auto_migrate:
        upgrade(settings.storage.database_url)

    async def serve() -> None:
        app = build_application(settings)
        try:
            await run_polling(app)
        finally:
            await app.close()

    asyncio.run(serve())
    return 0


async def _load_directory(settings: Settings, path: Path) -> int:
    try:
        directory = read_directory(path)
    except (DirectoryError, OSError) as error:
        print(f"Nothing was loaded.\n{error}", file=sys.stderr)
        return 1
    await upgrade_async(settings.storage.database_url)
    engine = create_engine(settings.storage.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            report = await load_directory(session, directory)
            await session.commit()
    finally:
        await engine.dispose()
    print(f"{path}: {report.summary() if report.changed else 'already up to date'}")
    return 0
