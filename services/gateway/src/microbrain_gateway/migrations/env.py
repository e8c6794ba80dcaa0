"""Alembic environment of gateway (run through microbrain_kit.db.migrate)."""

from microbrain_gateway.models import Base
from microbrain_kit.db import run_alembic_env

run_alembic_env(Base.metadata)
