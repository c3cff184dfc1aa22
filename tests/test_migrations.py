"""Migrations build the whole schema from empty on both databases, matching the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import create_engine
from storage.models import Base

TABLES = {
    "areas",
    "stations",
    "deputy_groups",
    "deputy_group_areas",
    "deputy_group_members",
    "deputies",
    "categories",
    "residents",
    "tickets",
    "ticket_events",
    "ticket_counters",
    "outbox",
    "contacts",
    "processed_updates",
    "alembic_version",
}


async def test_migrations_from_empty_build_the_schema_the_models_describe(database_url: str):
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    await engine.dispose()
    assert tables == TABLES
    assert differences == []
