"""The Alembic migrations build exactly the tables the code declares (SQLite and PostgreSQL), and run twice."""

from microbrain_dispatch.app import MIGRATIONS
from microbrain_dispatch.models import Base
from microbrain_kit.testing import migration_drift


async def test_migrations_match_the_models_and_can_run_twice(database):
    assert await migration_drift(database, Base.metadata, MIGRATIONS, "dispatch_alembic_version") == []
