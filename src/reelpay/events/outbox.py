"""Writing committed events to `event_outbox` and reading them back, in id order.

The writer (`store`) runs inside the committing transaction, just before COMMIT, so an event
exists exactly when its transaction does: a process that dies after the commit cannot lose it.
Readers (`reelpay.events.broker.OutboxBroker`, one per API process) poll `WHERE id > :last`.

On PostgreSQL ids are taken from a sequence before the commit, so two transactions can commit
out of id order: a reader may see id 8 before id 7 exists. `Cursor` remembers such holes and
asks for them again for `GAP_WAIT_SECONDS` (a hole that stays is a rolled-back transaction).
The INSERT is the last statement before COMMIT, so a real hole fills within milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from reelpay.events.models import OutboxEvent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from reelpay.events import Event

PG_WAKE_CHANNEL = "reelpay_events"
GAP_WAIT_SECONDS = 10.0
MAX_GAPS = 1_000
READ_BATCH = 500
PRUNE_BATCH = 1_000

_table: sa.Table = OutboxEvent.__table__  # type: ignore[assignment]


def store(session: Session, queued: Sequence[Event]) -> None:
    """Insert the transaction's events in one statement (on PostgreSQL it also wakes the
    listening API processes: a NOTIFY sent at COMMIT, and only if the transaction commits)."""
    rows = [
        {"channel": e.channel, "payload": json.dumps(e.payload, separators=(",", ":"))}
        for e in queued
    ]
    insert = sa.insert(_table).values(rows)
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL folds identical notifications of one transaction into one.
        session.execute(insert.returning(sa.func.pg_notify(PG_WAKE_CHANNEL, ""))).all()
    else:
        session.execute(insert)


@dataclass(frozen=True)
class StoredEvent:
    id: int
    channel: str
    payload: dict[str, Any]


async def last_id(connection: AsyncConnection) -> int:
    """The newest event's id (0 for an empty table): a reader starts after it."""
    return int((await connection.execute(sa.select(sa.func.max(_table.c.id)))).scalar() or 0)


async def read(
    connection: AsyncConnection, after: int, gaps: Sequence[int] = (), limit: int = READ_BATCH
) -> list[StoredEvent]:
    """Events with an id above `after`, or one of `gaps`, oldest first."""
    wanted = _table.c.id > after
    if gaps:
        wanted = sa.or_(wanted, _table.c.id.in_(list(gaps)))
    rows = await connection.execute(
        sa.select(_table.c.id, _table.c.channel, _table.c.payload)
        .where(wanted)
        .order_by(_table.c.id)
        .limit(limit)
    )
    return [StoredEvent(id, channel, json.loads(payload)) for id, channel, payload in rows]


async def prune(connection: AsyncConnection, up_to: int, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` of the oldest events with an id of at most `up_to`."""
    oldest = sa.select(_table.c.id).where(_table.c.id <= up_to).order_by(_table.c.id).limit(limit)
    result = await connection.execute(sa.delete(_table).where(_table.c.id.in_(oldest)))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class Cursor:
    """How far a reader got: the highest id seen and the holes below it still awaited."""

    last: int
    gaps: dict[int, float] = field(default_factory=dict)  # id -> when to stop waiting for it

    def seen(self, ids: Sequence[int], now: float) -> None:
        """Record the ids of one read (ascending); `now` is a monotonic reading."""
        for id in ids:
            if self.gaps.pop(id, None) is not None:
                continue
            for missing in range(max(self.last + 1, id - MAX_GAPS), id):
                self.gaps[missing] = now + GAP_WAIT_SECONDS
            self.last = max(self.last, id)
        for id, until in list(self.gaps.items()):
            if until <= now:
                del self.gaps[id]
        while len(self.gaps) > MAX_GAPS:
            del self.gaps[min(self.gaps)]
