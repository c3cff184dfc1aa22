"""The house rules, kept by a test: the core, delivery and texts import no web or Telegram
framework and no front door; storage imports nothing above it; the front doors do not import
each other; the fake Bot API stands alone; the sandbox page knows only the fake (so it shows
what the bot sent, nothing else); handlers never commit (the transaction middleware owns the
transaction)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

FRAMEWORKS = ("aiogram", "aiohttp")
FRONT_DOORS = (
    "handlers",
    "admin",
    "bot.telegram",
    "bot.runners",
    "bot.app",
    "bot.cli",
    "bot.reception_cli",
    "bot.sandbox",
)

# package → the imports it must not make
RULES: dict[str, tuple[str, ...]] = {
    "bot/core": (*FRAMEWORKS, *FRONT_DOORS, "bot.fake_telegram"),
    "bot/delivery": (*FRAMEWORKS, *FRONT_DOORS, "bot.core", "bot.fake_telegram"),
    "bot/text": (*FRAMEWORKS, *FRONT_DOORS, "bot.core", "bot.delivery", "bot.fake_telegram"),
    "storage": ("bot", "handlers", "admin", *FRAMEWORKS),
    "handlers": ("admin", "bot.fake_telegram", "bot.app", "bot.runners", "bot.sandbox"),
    "admin": ("handlers", "bot.telegram", "bot.fake_telegram", "bot.sandbox"),
    "bot/sandbox": (
        "aiogram",
        "storage",
        "handlers",
        "admin",
        "bot.core",
        "bot.delivery",
        "bot.telegram",
        "bot.app",
        "bot.runners",
        "bot.clock",
    ),
    "bot/fake_telegram": (
        "aiogram",
        "bot.core",
        "bot.delivery",
        "bot.text",
        "bot.telegram",
        "storage",
        "handlers",
        "admin",
        "bot.sandbox",
        "bot.runners",
    ),
}


def modules_of(package: str) -> Iterator[Path]:
    yield from sorted((PROJECT_ROOT / package).rglob("*.py"))


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def forbidden(name: str, banned: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in banned)


@pytest.mark.parametrize("package", sorted(RULES))
def test_each_layer_imports_only_what_it_may(package: str):
    breaches = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: imports {name}"
        for path in modules_of(package)
        for line, name in imports_of(path)
        if forbidden(name, RULES[package])
    ]
    assert breaches == []


def test_the_rules_would_catch_a_breach(tmp_path: Path):
    module = tmp_path / "leak.py"
    module.write_text("from aiogram.types import Message\nimport storage.models\n")
    names = [name for _, name in imports_of(module)]
    assert [forbidden(name, RULES["bot/core"]) for name in names] == [True, False]


def test_handlers_never_commit():
    commits = [
        f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}"
        for path in modules_of("handlers")
        if path.name != "transaction.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in {"commit", "rollback"}
    ]
    assert commits == []


def test_the_panel_writes_no_sql():
    """The panel calls core functions; it may hold a database session, not build queries."""
    queries = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: imports {name}"
        for path in modules_of("admin")
        for line, name in imports_of(path)
        if forbidden(name, ("sqlalchemy",)) and name != "sqlalchemy.ext.asyncio"
    ]
    assert queries == []
