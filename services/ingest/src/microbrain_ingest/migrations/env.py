"""Alembic environment of ingest (run through microbrain_kit.db.migrate)."""

from microbrain_kit.db import run_alembic_env

from microbrain_ingest.domain.models import Base

run_alembic_env(Base.metadata)
