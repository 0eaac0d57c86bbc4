"""Database engine, sessions and the column types every domain shares.

SQLite is the zero-set-up default; PostgreSQL (asyncpg) is for production. On SQLite we turn on
WAL, a busy timeout and foreign keys, and write transactions start with BEGIN IMMEDIATE so two
writers queue for the lock up front instead of failing half way (SQLAlchemy's aiosqlite recipe).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import DateTime, MetaData, event, exc
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool, QueuePool
from sqlalchemy.types import TypeDecorator

from reelpay import events

if TYPE_CHECKING:
    from reelpay.settings import Limits

log = logging.getLogger("reelpay.db")

WRITE_OPTION = "reelpay_write"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The client gives a statement this much longer than PostgreSQL's statement_timeout: normally
# the server cancels it and the connection stays usable; the client's own timeout is for a
# server that does not answer at all (stopped, or the network to it gone).
CLIENT_STATEMENT_GRACE_SECONDS = 1.0

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


def create_engine(url: str, *, limits: Limits | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine with the per-backend settings described in the module docstring.

    `limits` bounds how long the database may keep us waiting (see `limit_options`); options
    given in `kwargs` win over them.
    """
    if limits is not None:
        kwargs = _merged(limit_options(url, limits, kwargs.get("poolclass")), kwargs)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def limit_options(
    url: str | URL, limits: Limits, poolclass: type[Pool] | None = None
) -> dict[str, Any]:
    """Engine options that turn a database that does not answer into an error in bounded time.

    Waiting for a pooled connection: `db_pool_timeout_ms` (pools that queue, i.e. not SQLite's
    in-memory one), with `db_pool_size` connections. PostgreSQL (asyncpg) also gets
    `db_connect_timeout_ms` to open a connection, `statement_timeout` on the server and, a
    little longer, the client's `command_timeout` for a server that hangs. A limit of 0 leaves
    the driver's or the server's own default.
    """
    url = make_url(url)
    options: dict[str, Any] = {}
    if issubclass(poolclass or _default_pool_class(url), QueuePool):
        options["pool_size"] = limits.db_pool_size
        if limits.db_pool_timeout_ms:
            options["pool_timeout"] = limits.db_pool_timeout_ms / 1000
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        connect_args: dict[str, Any] = {}
        if limits.db_connect_timeout_ms:
            connect_args["timeout"] = limits.db_connect_timeout_ms / 1000
        if limits.db_statement_timeout_ms:
            connect_args["command_timeout"] = (
                limits.db_statement_timeout_ms / 1000 + CLIENT_STATEMENT_GRACE_SECONDS
            )
            connect_args["server_settings"] = {
                "statement_timeout": str(limits.db_statement_timeout_ms)
            }
        options["connect_args"] = connect_args
    return options


def _default_pool_class(url: URL) -> type[Pool]:
    with warnings.catch_warnings():
        # create_async_engine warns about a deprecated choice itself; once is enough.
        warnings.simplefilter("ignore")
        dialect: Any = url.get_dialect()  # a DefaultDialect: it picks the pool class
        pool_class: type[Pool] = dialect.get_pool_class(url)
    return pool_class


def _merged(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`given` over `defaults`, one level into `connect_args` and its `server_settings`."""
    merged = {**defaults, **given}
    if "connect_args" in defaults and "connect_args" in given:
        connect_args = {**defaults["connect_args"], **given["connect_args"]}
        if "server_settings" in defaults["connect_args"]:
            connect_args["server_settings"] = {
                **defaults["connect_args"]["server_settings"],
                **given["connect_args"].get("server_settings", {}),
            }
        merged["connect_args"] = connect_args
    return merged


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


# PostgreSQL SQLSTATEs that mean "not now" rather than "wrong": the connection failed or was
# closed (class 08), a statement ran past statement_timeout or was cancelled (57014), the
# server is shutting down, crashed or is starting (57P01, 57P02, 57P03), no connection slot
# is left (53300).
_UNAVAILABLE_SQLSTATES = frozenset({"57014", "57P01", "57P02", "57P03", "53300"})
# SQLite: the write lock stayed taken past the busy timeout; the file cannot be opened.
_UNAVAILABLE_SQLITE = ("SQLITE_BUSY", "SQLITE_CANTOPEN")
# OSErrors of files, not of a connection to the database.
_FILE_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)


def is_unavailable(error: BaseException) -> bool:
    """The database cannot be reached or did not answer in time: the same request may work
    again in a few seconds (unlike a bug, or a constraint the data broke).

    Checks the error, the driver's error it wraps and what it was raised from: asyncpg's
    timeouts and refused connections reach us unwrapped (TimeoutError, OSError), the rest as
    SQLAlchemy errors with the driver's SQLSTATE or SQLite error name.
    """
    for cause in _causes(error):
        if isinstance(cause, exc.TimeoutError | TimeoutError):
            return True  # no pooled connection came free; the driver timed out
        if isinstance(cause, exc.DBAPIError) and cause.connection_invalidated:
            return True  # the connection was lost
        if isinstance(cause, OSError) and not isinstance(cause, _FILE_ERRORS):
            return True  # refused, reset, unreachable, name not found
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(sqlstate, str) and (
            sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
        ):
            return True
        name = getattr(cause, "sqlite_errorname", None)
        if isinstance(name, str) and name.startswith(_UNAVAILABLE_SQLITE):
            return True
    return False


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        cause = pending.pop()
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        pending.append(cause.__cause__)
        if isinstance(cause, exc.DBAPIError) and isinstance(cause.orig, BaseException):
            pending.append(cause.orig)


async def run_write(
    session: AsyncSession, work: Callable[[], Awaitable[T]], attempts: int = RETRY_ATTEMPTS
) -> T:
    """Run `work` in a write transaction and commit; roll back on any error.

    Retries a bounded number of times when the database reports a conflict that a fresh attempt
    can resolve; `work` must therefore be safe to run again from the start. Events the work
    queued (`reelpay.events.emit`) stay on the session only when it commits.
    """
    for attempt in range(1, attempts + 1):
        if session.in_transaction():
            # Wait for our turn holding no connection: the writer whose turn it is may need
            # one from the pool (waiting writers holding theirs once exhausted it).
            await session.rollback()
        try:
            async with _writer_turn(session):
                await begin_write(session)
                events.discard(session)
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


# SQLite has one writer at a time. Left to SQLite, writers of one process wait for the lock by
# polling (the busy handler sleeps and retries), and under load some wait past busy_timeout and
# fail with "database is locked". Queued here instead, in order, they only meet SQLite's lock
# when another process (a CLI job) holds it. Keyed by engine and event loop.
_writers: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def _writer_turn(session: AsyncSession) -> AsyncIterator[None]:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        yield  # PostgreSQL: row locks and conditional updates, many writers at once
        return
    loop = asyncio.get_running_loop()
    lock = _writers.setdefault(bind, {}).setdefault(loop, asyncio.Lock())
    async with lock:
        yield


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
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(dialect: str, table: Any) -> Any:
    """`upsert` for the dialect named (e.g. for a statement built once per dialect)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
