"""Database engine, sessions and the column types every domain shares.

SQLite is the zero-set-up default; PostgreSQL (asyncpg) is for production. On SQLite we turn on
WAL, a busy timeout and foreign keys, and write transactions start with BEGIN IMMEDIATE so two
writers queue for the lock up front instead of failing half way (SQLAlchemy's aiosqlite recipe).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, event, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from reelpay import events

log = logging.getLogger("reelpay.db")

WRITE_OPTION = "reelpay_write"
SQLITE_BUSY_TIMEOUT_MS = 10_000

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine with the per-backend settings described in the module docstring."""
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def begin_write(session: AsyncSession) -> None:
    """Start the session's write transaction (BEGIN IMMEDIATE on SQLite)."""
    if session.in_transaction():
        await session.rollback()
    await session.connection(execution_options={WRITE_OPTION: True})


T = TypeVar("T")

RETRY_ATTEMPTS = 4


def is_retryable(error: BaseException) -> bool:
    """Serialization failures, deadlocks, a busy SQLite, or a lost race on a unique key.

    A lost unique race is retried because the second attempt's own checks then see the winner
    and report a clean user error.
    """
    if not isinstance(error, exc.DBAPIError):
        return False
    if isinstance(error, exc.IntegrityError):
        return True
    text = str(error.orig).lower()
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return (
        sqlstate in {"40001", "40P01"}
        or "database is locked" in text
        or ("deadlock detected" in text or "could not serialize" in text)
    )


async def run_write(
    session: AsyncSession, work: Callable[[], Awaitable[T]], attempts: int = RETRY_ATTEMPTS
) -> T:
    """Run `work` in a write transaction and commit; roll back on any error.

    Retries a bounded number of times when the database reports a conflict that a fresh attempt
    can resolve; `work` must therefore be safe to run again from the start. Events the work
    queued (`reelpay.events.emit`) stay on the session only when it commits.
    """
    for attempt in range(1, attempts + 1):
        await begin_write(session)
        events.discard(session)
        try:
            result = await work()
            await session.commit()
            return result
        except BaseException as error:
            await session.rollback()
            events.discard(session)
            if attempt < attempts and is_retryable(error):
                await asyncio.sleep(0.01 * attempt)
                continue
            raise
    raise AssertionError("unreachable")


Publish = Callable[[list[events.Event]], Awaitable[None]]


async def write_once(
    maker: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    publish: Publish | None = None,
) -> T:
    """`work` in its own session and write transaction (see `run_write`); its events are
    published after the commit. Publishing is best effort: the database has the truth."""
    async with maker() as session:
        result = await run_write(session, lambda: work(session))
        if publish is not None:
            try:
                await publish(events.take(session))
            except Exception:
                log.warning("events were not published", exc_info=True)
        return result


@asynccontextmanager
async def session_scope(
    maker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session that is always closed (for the CLI, jobs and tests)."""
    session = maker()
    try:
        yield session
    finally:
        await session.close()


def upsert(session: AsyncSession, table: Any) -> Any:
    """The backend's INSERT that supports ON CONFLICT (SQLite and PostgreSQL share the API)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
