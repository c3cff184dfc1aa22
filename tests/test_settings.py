"""Settings are checked when read, a wrong one is named in one line, and logging follows
LOG_LEVEL and LOG_FORMAT."""

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli import invalid_settings
from bot.logs import setup_logging
from bot.settings import (
    PACKAGED_LOCALES_DIR,
    PROJECT_ROOT,
    LogSettings,
    Settings,
    StorageSettings,
    TelegramSettings,
    TextSettings,
)
from bot.text.catalogs import Catalogs


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the developer's environment or `.env` leaks in."""
    monkeypatch.chdir(tmp_path)
    for section in Settings.model_fields.values():
        for name in section.annotation.model_fields:  # type: ignore[union-attr]
            monkeypatch.delenv(name.upper(), raising=False)


def test_the_defaults_need_nothing_but_the_token():
    settings = Settings()
    assert settings.telegram.bot_token is None
    assert settings.text.default_locale == "zh_Hans"
    assert settings.text.locales_dir == PACKAGED_LOCALES_DIR
    assert settings.log.log_level == "INFO"
    catalogs = Catalogs(settings.text.locales_dir)
    assert catalogs.get("zh_Hans").gettext("Submit") == "提交"


@pytest.mark.parametrize(
    ("section", "variable", "value", "line"),
    [
        (
            TelegramSettings,
            "BOT_TOKEN",
            "123456789",
            "Invalid setting BOT_TOKEN: expected the form 123456789:ABC-DEF… that @BotFather gives",
        ),
        (
            TextSettings,
            "DEFAULT_LOCALE",
            "zh_CN",
            "Invalid setting DEFAULT_LOCALE: Input should be 'zh_Hans' or 'en'",
        ),
        (
            TextSettings,
            "TIMEZONE",
            "Beijing",
            "Invalid setting TIMEZONE: 'Beijing' is not a time zone name such as Asia/Shanghai",
        ),
        (
            TextSettings,
            "LOCALES_DIR",
            "/nowhere",
            "Invalid setting LOCALES_DIR: no catalog for zh_Hans, en under /nowhere",
        ),
        (
            StorageSettings,
            "DATABASE_URL",
            "sqlite:///sync-driver.db",
            "Invalid setting DATABASE_URL: expected a URL such as "
            "postgresql+asyncpg://user:password@host/db or "
            "sqlite+aiosqlite:///path/to/file.sqlite3 (The asyncio extension requires an async "
            "driver to be used. The loaded 'pysqlite' is not async.)",
        ),
        (
            LogSettings,
            "LOG_FORMAT",
            "xml",
            "Invalid setting LOG_FORMAT: Input should be 'plain' or 'json'",
        ),
    ],
)
def test_a_wrong_setting_is_refused_in_one_line_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, section: type, variable: str, value: str, line: str
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        section()
    assert invalid_settings(refused.value) == [line]


def test_the_token_is_never_repeated_in_the_message(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BOT_TOKEN", "123:secret part")
    with pytest.raises(ValidationError) as refused:
        TelegramSettings()
    assert "secret" not in "".join(invalid_settings(refused.value))


def test_log_level_is_read_in_any_case(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert LogSettings().log_level == "DEBUG"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root, chatty = logging.getLogger(), logging.getLogger("aiogram.event")
    saved = root.handlers[:], root.level, chatty.level
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    chatty.setLevel(saved[2])


def test_json_lines_carry_time_level_logger_message_and_the_traceback(restore_logging: None):
    stream = io.StringIO()
    setup_logging(LogSettings(log_format="json"), stream)
    logging.getLogger("bot.example").info("投诉 %s received", "A-2026-000123")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("bot.example").exception("it failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first.keys() == {"time", "level", "logger", "message"}
    assert first["level"] == "INFO"
    assert first["logger"] == "bot.example"
    assert first["message"] == "投诉 A-2026-000123 received"
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert second["exc_info"].startswith("Traceback (most recent call last):")
    assert second["exc_info"].endswith("RuntimeError: boom")


def test_plain_lines_and_no_update_chatter_at_info(restore_logging: None):
    stream = io.StringIO()
    setup_logging(LogSettings(log_level="INFO"), stream)
    logging.getLogger("aiogram.event").info("Update id=1 is handled. Duration 3 ms by bot id=1")
    logging.getLogger("bot.example").info("started")
    logging.getLogger("bot.example").debug("details")
    [line] = stream.getvalue().splitlines()
    assert line.endswith(" INFO bot.example: started")


def test_debug_shows_every_update(restore_logging: None):
    stream = io.StringIO()
    setup_logging(LogSettings(log_level="DEBUG"), stream)
    logging.getLogger("aiogram.event").info("Update id=1 is handled. Duration 3 ms by bot id=1")
    assert "Update id=1 is handled" in stream.getvalue()


def test_every_setting_is_in_env_example_and_the_readme(tmp_path: Path):
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for section in Settings.model_fields.values():
        for name in section.annotation.model_fields:  # type: ignore[union-attr]
            assert f"\n{name.upper()}=" in example or f"\n# {name.upper()}=" in example, name
            assert f"| `{name.upper()}` |" in readme, name
    (tmp_path / ".env").write_text(example, encoding="utf-8")
    Settings()  # the example, as it is, is valid (the autouse fixture made tmp_path the cwd)
