"""Full-text search over tickets' Chinese text, by character trigrams: SQLite's FTS5 with the
trigram tokenizer (an external-content table kept by triggers), PostgreSQL's pg_trgm with a
GIN index. These live beside the models (which cannot describe them); the migrations create
them and the schema comparisons leave them out (`is_search_object`)."""

from sqlalchemy import Connection

FTS_TABLE = "tickets_fts"
TRIGRAM_INDEX = "ix_tickets_text_trgm"

SQLITE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "text, content='tickets', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON tickets BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON tickets BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF text ON tickets BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
POSTGRES = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON tickets USING gin (text gin_trgm_ops)",
)


def create(connection: Connection) -> None:
    for statement in SQLITE if connection.dialect.name == "sqlite" else POSTGRES:
        connection.exec_driver_sql(statement)


def drop(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{trigger}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    else:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


def is_search_object(name: str | None, type_: str, parent_names: object = None) -> bool:
    return bool(name) and (name.startswith(FTS_TABLE) or name == TRIGRAM_INDEX)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's comparisons: everything but the search structures."""
    return not is_search_object(name, type_)
