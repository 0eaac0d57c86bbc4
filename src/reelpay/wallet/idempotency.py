"""Idempotency keys for money operations.

`claim` runs first in the operation's transaction and inserts the key. A concurrent request
with the same key blocks on that insert (PostgreSQL) or on the write lock (SQLite) until the
first commits, then sees its row and replays its result, so money moves once. A request that
fails with a user error rolls its claim back: the key stays free for a corrected retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.db import upsert
from reelpay.errors import DomainError, ErrorCode
from reelpay.wallet.models import IdempotencyKey

KEY_FIELD = ("input", "idempotencyKey")


class IdempotencyKeyReused(DomainError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


def check_key(key: str, max_length: int, field: Sequence[str] = KEY_FIELD) -> str:
    """A key is 1 to `max_length` printable characters without surrounding spaces."""
    if not (1 <= len(key) <= max_length) or not key.isprintable() or key != key.strip():
        raise DomainError(
            f"`idempotencyKey` must be 1 to {max_length} printable characters "
            "(a UUID is a good choice).",
            code=ErrorCode.INVALID_IDEMPOTENCY_KEY,
            field=field,
        )
    return key


def fingerprint(operation: str, arguments: dict[str, Any]) -> str:
    canonical = json.dumps({"operation": operation, "arguments": arguments}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession,
    *,
    account_id: int,
    key: str,
    operation: str,
    arguments: dict[str, Any],
    now: datetime,
) -> dict[str, Any] | None:
    """None if this request is the key's first (the key is now held); else the first result."""
    digest = fingerprint(operation, arguments)
    inserted = await session.execute(
        upsert(session, IdempotencyKey)
        .values(
            account_id=account_id,
            key=key,
            operation=operation,
            fingerprint=digest,
            result=None,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "key"])
        .returning(IdempotencyKey.id)
    )
    if inserted.scalar_one_or_none() is not None:
        return None
    return await replay(
        session, account_id=account_id, key=key, operation=operation, arguments=arguments
    )


async def replay(
    session: AsyncSession,
    *,
    account_id: int,
    key: str,
    operation: str,
    arguments: dict[str, Any],
) -> dict[str, Any] | None:
    """The stored result of a finished request with this key; None if there is none yet."""
    row = (
        await session.execute(
            sa.select(IdempotencyKey).where(
                IdempotencyKey.account_id == account_id, IdempotencyKey.key == key
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.operation != operation or row.fingerprint != fingerprint(operation, arguments):
        raise IdempotencyKeyReused(
            "This idempotency key was already used for a different request; "
            "use a new key for a new operation.",
            field=KEY_FIELD,
        )
    if row.result is None:
        raise AssertionError("a committed idempotency key always has its result")
    return dict(row.result)


async def finish(
    session: AsyncSession, *, account_id: int, key: str, result: dict[str, Any]
) -> None:
    """Store the result that replays of the key return."""
    await session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
        .values(result=result)
        .execution_options(synchronize_session=False)
    )
