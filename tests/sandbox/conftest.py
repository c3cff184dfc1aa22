"""Fixtures of the sandbox's tests: the sandbox running in the test's event loop, on free
ports and a SQLite file of the test's own (the sandbox is the embedded default by design)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.runners.sandbox import Sandbox, start_sandbox
from bot.settings import Settings


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    running, _ = await start_sandbox(Settings(), "127.0.0.1", 0, tmp_path / "sandbox.sqlite3")
    yield running
    await running.stop()
