"""report days: the city's dashboard kept as the tickets change (counts per local day and
category, per day and area, and waits in fixed buckets), by triggers on `tickets` in the
same transaction; filled from the tickets already there

Revision ID: 0016_report_days
Revises: 0015_inbox_public_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_report_days"
down_revision: str | None = "0015_inbox_public_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here as they are today (`storage.queries.reports` and `bot.core.workflow` hold the
# living ones; tests/test_report_days.py checks they still agree).
ZONE, SQLITE_OFFSET = "Asia/Shanghai", "+8 hours"  # local days: the city's zone (no DST)
BUCKET_RATIO = 1.02  # a wait's bucket: 0 under a minute, then each 2% longer than the last
OPEN = (
    "awaiting_triage",
    "assigned",
    "accepted",
    "in_progress",
    "forwarded",
    "answered",
    "reopened",
    "escalated",
)
CLOSED = ("closed", "unresolvable")
RESOLVED = (*CLOSED, "rated")
# A change to any other column leaves the figures as they were.
COUNTED = (
    "created_at",
    "category_id",
    "area_id",
    "status",
    "first_response_at",
    "answered_at",
    "overdue_since",
    "reopen_count",
    "last_rating",
)
DAY_COUNTS = (
    "received",
    "resolved",
    "fed_back",
    "overdue",
    "reopened",
    "satisfied",
    "fairly_satisfied",
    "unsatisfied",
    "not_rated",
)


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _when(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _sqlite_moment(row: str, column: str) -> str:
    # To the second: what SQLite's date functions read of any way a moment was written.
    return f"substr({row}.{column}, 1, 19)"


def _day(postgres: bool, row: str) -> str:
    if postgres:
        return f"CAST(timezone('{ZONE}', {row}.created_at) AS date)"
    return f"date({_sqlite_moment(row, 'created_at')}, '{SQLITE_OFFSET}')"


def _bucket(postgres: bool, row: str, end: str) -> str:
    if postgres:
        seconds = f"date_part('epoch', {row}.{end} - {row}.created_at)"
        steps = f"CAST(floor(ln({seconds} / 60) / ln({BUCKET_RATIO})) AS integer)"
    else:
        start, end = _sqlite_moment(row, "created_at"), _sqlite_moment(row, end)
        seconds = f"((julianday({end}) - julianday({start})) * 86400.0)"
        steps = f"CAST(ln({seconds} / 60) / ln({BUCKET_RATIO}) AS INTEGER)"
    return f"CASE WHEN {seconds} < 60 THEN 0 ELSE 1 + {steps} END"


def _upsert(table: str, key: Sequence[str], counts: Sequence[str], select: str) -> str:
    added = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    return (
        f"INSERT INTO {table} ({', '.join((*key, *counts))}) {select} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"
    )


def _figures(r: str) -> dict[str, str]:
    """What a ticket `r` adds to each count of its day and category: 1 or 0."""
    return {
        "received": "1",
        "resolved": _when(f"{r}.status IN {_in(RESOLVED)}"),
        "fed_back": _when(f"{r}.answered_at IS NOT NULL"),
        "overdue": _when(f"{r}.overdue_since IS NOT NULL AND {r}.status IN {_in(OPEN)}"),
        "reopened": _when(f"{r}.reopen_count > 0"),
        "satisfied": _when(f"{r}.last_rating = 'satisfied'"),
        "fairly_satisfied": _when(f"{r}.last_rating = 'fairly_satisfied'"),
        "unsatisfied": _when(f"{r}.last_rating = 'unsatisfied'"),
        "not_rated": _when(f"{r}.status IN {_in(CLOSED)} AND {r}.last_rating IS NULL"),
    }


WAITS = (("response", "first_response_at"), ("answer", "answered_at"))


def counting(postgres: bool, r: str, sign: int) -> list[str]:
    """A trigger's statements: the figures of the ticket `r` (NEW or OLD) times `sign`
    added to its day's rows. A merged ticket counts for nothing."""
    figures, day, counted = _figures(r), _day(postgres, r), f"{r}.status <> 'merged'"
    statements = [
        _upsert(
            "report_days",
            ("day", "category_id"),
            DAY_COUNTS,
            f"SELECT {day}, coalesce({r}.category_id, 0), "
            + ", ".join(f"{sign} * {figures[c]}" for c in DAY_COUNTS)
            + f" WHERE {counted}",
        ),
        _upsert(
            "report_area_days",
            ("day", "area_id"),
            ("received", "resolved"),
            f"SELECT {day}, coalesce({r}.area_id, 0), {sign}, {sign} * {figures['resolved']} "
            f"WHERE {counted}",
        ),
    ]
    for kind, end in WAITS:
        statements.append(
            _upsert(
                "report_waits",
                ("day", "kind", "bucket"),
                ("tickets",),
                f"SELECT {day}, '{kind}', {_bucket(postgres, r, end)}, {sign} "
                f"WHERE {counted} AND {r}.{end} IS NOT NULL",
            )
        )
    return statements


def filling(postgres: bool) -> list[str]:
    """The tables from the tickets already there, one pass each."""
    figures, day, counted = _figures("t"), _day(postgres, "t"), "t.status <> 'merged'"
    sums = ", ".join(f"sum({figures[c]})" for c in DAY_COUNTS)
    statements = [
        f"INSERT INTO report_days (day, category_id, {', '.join(DAY_COUNTS)}) "
        f"SELECT {day}, coalesce(t.category_id, 0), {sums} "
        f"FROM tickets t WHERE {counted} GROUP BY 1, 2",
        "INSERT INTO report_area_days (day, area_id, received, resolved) "
        f"SELECT {day}, coalesce(t.area_id, 0), count(*), sum({figures['resolved']}) "
        f"FROM tickets t WHERE {counted} GROUP BY 1, 2",
    ]
    for kind, end in WAITS:
        statements.append(
            "INSERT INTO report_waits (day, kind, bucket, tickets) "
            f"SELECT {day}, '{kind}', {_bucket(postgres, 't', end)}, count(*) "
            f"FROM tickets t WHERE {counted} AND t.{end} IS NOT NULL GROUP BY 1, 2, 3"
        )
    return statements


def _count_columns(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
        *_count_columns(*DAY_COUNTS),
        sa.PrimaryKeyConstraint("day", "category_id", name=op.f("pk_report_days")),
    )
    op.create_table(
        "report_area_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        *_count_columns("received", "resolved"),
        sa.PrimaryKeyConstraint("day", "area_id", name=op.f("pk_report_area_days")),
    )
    op.create_table(
        "report_waits",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        *_count_columns("tickets"),
        sa.PrimaryKeyConstraint("day", "kind", "bucket", name=op.f("pk_report_waits")),
    )
    for statement in filling(postgres):
        op.execute(statement)
    if postgres:  # the planner's figures now, not at autovacuum's next visit
        op.execute("ANALYZE report_days, report_area_days, report_waits")
    columns = ", ".join(COUNTED)
    if postgres:
        old = "; ".join(counting(True, "OLD", -1))
        new = "; ".join(counting(True, "NEW", 1))
        op.execute(
            "CREATE FUNCTION report_days_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {old}; END IF; "
            f"IF TG_OP <> 'DELETE' THEN {new}; END IF; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER report_days_count AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            "ON tickets FOR EACH ROW EXECUTE FUNCTION report_days_count()"
        )
        return
    for name, event, rows in (
        ("report_days_insert", "INSERT", (("NEW", 1),)),
        ("report_days_delete", "DELETE", (("OLD", -1),)),
        ("report_days_update", f"UPDATE OF {columns}", (("OLD", -1), ("NEW", 1))),
    ):
        body = "".join(f"{s}; " for r, sign in rows for s in counting(False, r, sign))
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON tickets BEGIN {body}END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_days_count ON tickets")
        op.execute("DROP FUNCTION report_days_count()")
    else:
        for name in ("report_days_insert", "report_days_delete", "report_days_update"):
            op.execute(f"DROP TRIGGER {name}")
    for table in ("report_waits", "report_area_days", "report_days"):
        op.drop_table(table)
