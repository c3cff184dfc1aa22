"""The command line, run as an operator would run it."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DEMO_DIRECTORY


def bot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_token_it_says_what_to_set_and_exits_non_zero(tmp_path: Path):
    result = bot(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "BOT_TOKEN is not set: put the token from @BotFather in the environment or in .env "
        "(see .env.example)."
    ]


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
