"""The Alembic migrations build exactly the tables the code declares (SQLite and PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from microbrain_ingest.domain.models import Base
from microbrain_ingest.wiring import MIGRATIONS
from microbrain_kit.db import create_engine, migrate

VERSION_TABLE = "ingest_alembic_version"


async def test_migrations_match_the_models_and_can_run_twice(database):
    engine = create_engine(database.url, schema=database.schema)
    await migrate(engine, MIGRATIONS, version_table=VERSION_TABLE)
    await migrate(engine, MIGRATIONS, version_table=VERSION_TABLE)  # a restart finds nothing to do
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
    await engine.dispose()
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)] == []
