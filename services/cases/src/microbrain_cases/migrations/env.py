"""Alembic environment of cases (run through microbrain_kit.db.migrate)."""

from microbrain_cases.domain.models import Base
from microbrain_kit.db import run_alembic_env

run_alembic_env(Base.metadata)
