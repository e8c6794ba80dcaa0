"""The Alembic migrations build exactly the tables the code declares (SQLite and PostgreSQL), and run twice."""

from microbrain_cases.domain.models import Base
from microbrain_cases.wiring import MIGRATIONS
from microbrain_kit.testing import migration_drift


async def test_migrations_match_the_models_and_can_run_twice(database):
    assert await migration_drift(database, Base.metadata, MIGRATIONS, "cases_alembic_version") == []
