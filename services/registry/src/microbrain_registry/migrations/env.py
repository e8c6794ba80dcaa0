"""Alembic environment of registry (run through microbrain_kit.db.migrate)."""

from microbrain_kit.db import run_alembic_env
from microbrain_registry.models import Base

run_alembic_env(Base.metadata)
