"""Where the schema stands, for the long-running processes, without loading Alembic.

Alembic, its script directory and the migrations' modules cost a process 8–9 MB that it would
keep for nothing once it has started (a Python process does not give memory back). So `run`,
the roles, the staff panel and the other commands migrate, or check the schema, in a child
process (`python -m storage.migrate`), and read the head revision from the migrations' files.
`storage.migrate` is the Alembic side, for `python -m bot migrate`, the sandbox and the tests.
"""

import ast
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DATABASE_URL_VARIABLE = "MIGRATE_DATABASE_URL"  # the child's; never on its command line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    current: str | None  # None: no migration applied (or no database at all)
    heads: tuple[str, ...]
    pending: tuple[str, ...]  # "0002 what it does", oldest first

    @property
    def up_to_date(self) -> bool:
        return self.current in self.heads


class MigrationFailed(Exception):
    """The child could not migrate or read the schema; what it printed says why."""


def heads(migrations: Path = MIGRATIONS) -> tuple[str, ...]:
    """The revisions a current database is at: those no other revision builds on, read from
    the `revision` and `down_revision` of each file in `versions/`."""
    revisions: set[str] = set()
    built_on: set[str] = set()
    for path in (migrations / "versions").glob("*.py"):
        names = _revision_names(ast.parse(path.read_text(encoding="utf-8")))
        if "revision" in names:
            revisions.add(names["revision"])
            down = names.get("down_revision") or ()
            built_on.update((down,) if isinstance(down, str) else down)
    return tuple(sorted(revisions - built_on))


def _revision_names(module: ast.Module) -> dict[str, str | tuple[str, ...] | None]:
    names = {}
    for statement in module.body:
        if isinstance(statement, ast.AnnAssign | ast.Assign) and statement.value is not None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    names[target.id] = ast.literal_eval(statement.value)
    return names


def upgrade_apart(database_url: str) -> Status:
    """Apply the pending migrations in a child process; where the schema stands after."""
    return _apart("upgrade", database_url)


def status_apart(database_url: str) -> Status:
    """Where the schema stands against the migrations, read in a child process."""
    return _apart("status", database_url)


def _apart(command: str, database_url: str) -> Status:
    done = subprocess.run(
        [sys.executable, "-m", "storage.migrate", command],
        env={**os.environ, DATABASE_URL_VARIABLE: database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    # The child's log lines, in this process's log format (JSON in production).
    level = logging.INFO if done.returncode == 0 else logging.ERROR
    for line in done.stderr.splitlines():
        log.log(level, "%s", line)
    if done.returncode != 0:
        raise MigrationFailed(
            f"`python -m storage.migrate {command}` ended with status {done.returncode}; "
            "the log lines before this say why"
        )
    answer = json.loads(done.stdout)
    return Status(answer["current"], tuple(answer["heads"]), tuple(answer["pending"]))
