"""SQLAlchemy 2 async engine and sessions (PostgreSQL or SQLite by URL), Alembic migrations per service,
and the transactional outbox that publishes events committed with the data they describe."""

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from google.protobuf.message import Message
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from microbrain_kit import telemetry
from microbrain_kit.bus import Bus
from microbrain_kit.times import utcnow

log = logging.getLogger(__name__)


# Alembic keeps its context in module globals: migrations in one process must not overlap.
_MIGRATING = asyncio.Lock()


def create_engine(url: str, *, schema: str | None = None, pool_size: int = 20) -> AsyncEngine:
    """An async engine for postgresql+asyncpg:// or sqlite+aiosqlite:// URLs.

    schema (PostgreSQL only) sets the search_path, so tests and co-located services stay apart; pool_size
    should cover the work a service does at once (handlers, relay, timers), or connections churn.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers run beside the one writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    connect_args = {"server_settings": {"search_path": schema}} if schema else {}
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, connect_args=connect_args)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def migrate(engine: AsyncEngine, migrations_dir: Path, *, version_table: str) -> None:
    """Upgrades the database to the newest revision in migrations_dir (Alembic, connection shared)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["version_table"] = version_table

    def upgrade(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    async with _MIGRATING, engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # replicas starting together: one migrates, the others wait
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": version_table})
        await conn.run_sync(upgrade)


def run_alembic_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py: online migrations on the shared connection."""
    from alembic import context

    cfg = context.config
    conn = cfg.attributes.get("connection")
    if conn is None:
        raise RuntimeError("run migrations through microbrain_kit.db.migrate(), which supplies the connection")
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        version_table=cfg.attributes["version_table"],
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def outbox_table(metadata: MetaData, prefix: str) -> Table:
    """The outbox of one service: events written in the same transaction as the change they report."""
    return Table(
        f"{prefix}_outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("subject", String(255), nullable=False),
        Column("msg_id", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


async def add_to_outbox(session: AsyncSession, table: Table, subject: str, message: Message, msg_id: str) -> None:
    """Queues an event in the caller's transaction; the relay publishes it once the transaction commits."""
    await session.execute(
        insert(table).values(
            subject=subject,
            msg_id=msg_id,
            payload=message.SerializeToString(),
            headers=telemetry.inject({"Nats-Msg-Id": msg_id}),
            created_at=utcnow(),
        )
    )


class OutboxRelay:
    """Publishes outbox rows in order and deletes each once JetStream has it. A crash between the two
    republishes the row, and Nats-Msg-Id makes JetStream drop the duplicate."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], table: Table, bus: Bus, batch: int = 200) -> None:
        self.sessions, self.table, self.bus, self.batch = sessions, table, bus, batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def notify(self) -> None:
        """Asks the relay to look now (call after committing outbox rows)."""
        self._wake.set()

    def start(self) -> None:
        """Starts the relay loop."""
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.table.name}")

    async def flush(self) -> int:
        """Publishes everything queued now; returns how many rows went out."""
        sent = 0
        while True:
            async with self.sessions() as session:
                rows = (await session.execute(select(self.table).order_by(self.table.c.id).limit(self.batch))).all()
                if not rows:
                    return sent
                futures = [
                    await self.bus.js.publish_async(row.subject, row.payload, headers=dict(row.headers)) for row in rows
                ]
                await asyncio.gather(*futures)
                await session.execute(delete(self.table).where(self.table.c.id.in_([r.id for r in rows])))
                await session.commit()
                sent += len(rows)

    async def _run(self) -> None:
        while True:
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS or database down: keep the rows, try again
                log.warning("outbox %s: publish failed, will retry: %s", self.table.name, exc)
                await asyncio.sleep(1)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            except TimeoutError:
                pass

    async def stop(self) -> None:
        """Publishes what is left (best effort) and stops."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await asyncio.wait_for(self.flush(), timeout=5)
        except Exception as exc:
            log.warning("outbox %s: rows left for the next start: %s", self.table.name, exc)
