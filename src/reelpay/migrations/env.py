"""Alembic environment: runs migrations through our async engine (same pragmas as the app)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from reelpay import models
from reelpay.db import create_engine

config = context.config
target_metadata = models.Base.metadata


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration copies a table, drops the original and renames the copy; with
        # foreign keys on, dropping a table other rows reference fails (and deferring the check
        # does not help: the drop's violations are counted and never uncounted). SQLite's own
        # procedure: switch them off outside the transaction, then check every reference
        # before committing.
        _foreign_keys(connection, on=False)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:10]}")


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    """Set SQLite's foreign_keys on the raw connection (a no-op inside a transaction)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


async def _run_async() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
            if connection.dialect.name == "sqlite":
                await connection.run_sync(_foreign_keys, on=True)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
