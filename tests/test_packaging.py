"""Set-up on a fresh machine: the wheel that `pip install .` builds works from anywhere (with
its catalogs, migrations and demo directory), and a test run without PostgreSQL and Redis
says so once per service."""

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings

# What the build never needs: environments, caches, earlier builds, local databases.
NOT_SOURCES = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", ".*_cache", "*.egg-info", "build", "dist", "*.sqlite3*"
)


def clean_environment(**env: str) -> dict[str, str]:
    """This environment without the bot's settings, PYTHONPATH or CI switches."""
    settings = {
        name.upper()
        for section in Settings.model_fields.values()
        for name in section.annotation.model_fields  # type: ignore[union-attr]
    }
    dropped = settings | {"PYTHONPATH", "PYTEST_ADDOPTS", "CI", "REQUIRE_SERVICES"}
    return {**{k: v for k, v in os.environ.items() if k.upper() not in dropped}, **env}


def run(*command: str | Path, cwd: Path, **env: str) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install .` would build, from a copy of the checkout (a build writes
    `build/` and `*.egg-info` next to the sources, which must not race other runs)."""
    root = tmp_path_factory.mktemp("wheel")
    shutil.copytree(PROJECT_ROOT, root / "src", ignore=NOT_SOURCES)
    build = (sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation")
    run(*build, "--wheel-dir", root / "dist", root / "src", cwd=root)
    [built] = (root / "dist").glob("*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_the_catalogs_the_migrations_and_the_demo_directory(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "locales/__init__.py",
        "locales/zh_Hans/LC_MESSAGES/messages.po",
        "locales/en/LC_MESSAGES/messages.po",
        "storage/migrations/env.py",
        "storage/migrations/script.py.mako",
        "storage/migrations/versions/0001_initial_schema.py",
        "bot/data/demo-directory.yaml",
        "bot/sandbox/templates/index.html",  # the sandbox page, its script and its style
        "bot/sandbox/static/sandbox.js",
        "bot/sandbox/static/render.js",
        "bot/sandbox/static/sandbox.css",
    } <= names
    assert not [name for name in names if name.endswith(".mo")]


@pytest.mark.slow
def test_the_installed_package_speaks_chinese_and_migrates_from_anywhere(
    wheel: Path, tmp_path: Path
):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    run(*pip, "install", "--quiet", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    # The dependencies: this environment's, without installing them again.
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(run(python, "-c", purelib, cwd=tmp_path).strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    said = run(
        python,
        "-c",
        "import bot; from bot.settings import Settings; from bot.text.catalogs import Catalogs; "
        "print(bot.__file__); print(Catalogs(Settings().text.locales_dir).get('zh_Hans')"
        ".gettext('Submit'))",
        cwd=elsewhere,
    )
    location, submit = said.splitlines()
    assert Path(location).is_relative_to(site)  # the installed copy, not the checkout
    assert submit == "提交"
    demo = site / "bot" / "data" / "demo-directory.yaml"
    loaded = run(venv / "bin" / "liaison-bot", "load-directory", demo, cwd=elsewhere)
    assert "areas: 15 new" in loaded
    assert (elsewhere / "data" / "liaison.sqlite3").exists()
    assert not list(site.rglob("*.mo"))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_the_services_the_summary_says_so_once_per_service(tmp_path: Path):
    tests = tmp_path / "test_needs_services.py"
    tests.write_text(
        "def test_one_on_the_database(database_url): pass\n"
        "def test_two_on_the_database(database_url): pass\n"
        "def test_one_on_redis(redis_url): pass\n"
        "def test_two_on_redis(redis_url): pass\n"
    )
    postgres = f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    redis = f"redis://127.0.0.1:{closed_port()}/0"
    pytest_ = (sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider")
    result = subprocess.run(
        # The project's settings and fixtures (conftest as a plugin), on a file of its own.
        [*pytest_, "-c", "pyproject.toml", "-p", "tests.conftest", str(tests)],
        cwd=PROJECT_ROOT,
        env=clean_environment(TEST_POSTGRES_URL=postgres, TEST_REDIS_URL=redis),
        capture_output=True,
        text=True,
        timeout=120,
    )
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 2, result.stdout
    assert skipped[0].startswith("SKIPPED [2] tests/conftest.py:")
    assert f": PostgreSQL at {postgres} is not reachable (" in skipped[0]
    assert skipped[1].startswith("SKIPPED [2] tests/conftest.py:")
    assert f": Redis at {redis} is not reachable (" in skipped[1]
    assert "4 passed, 4 skipped" in result.stdout
