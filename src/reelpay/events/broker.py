"""Brokers carry committed events to subscribers.

`LocalBroker` fans events out inside one process (SQLite deployments run one). `PostgresBroker`
sends every event through PostgreSQL's NOTIFY on one channel; each API worker LISTENs on its
own connection and fans out to its local subscribers, so an event published by any worker
reaches subscribers connected to every worker.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from reelpay.events import Event

log = logging.getLogger("reelpay.events")

PG_CHANNEL = "reelpay_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; ours carry IDs only.
PG_PAYLOAD_LIMIT = 7900
QUEUE_SIZE = 256


class Broker(Protocol):
    async def publish(self, events: Sequence[Event]) -> None: ...

    def subscribe(self, channel: str) -> Any:
        """`async with broker.subscribe(channel) as queue`: events arrive on `queue.get()`."""
        ...

    async def close(self) -> None: ...


class LocalBroker:
    """In-process fan-out to bounded queues; a subscriber too slow to keep up loses events."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            self.deliver(event.channel, event.payload)

    def deliver(self, channel: str, payload: dict[str, Any]) -> None:
        for queue in list(self._queues.get(channel, ())):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:
                log.warning("subscriber on %s is not keeping up; an event was dropped", channel)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        await self._listening()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues[channel].add(queue)
        try:
            yield queue
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                del self._queues[channel]

    def subscriber_count(self, channel: str) -> int:
        return len(self._queues.get(channel, ()))

    async def _listening(self) -> None:
        """Local delivery needs nothing; PostgreSQL starts its LISTEN here."""

    async def close(self) -> None:
        self._queues.clear()


class PostgresBroker(LocalBroker):
    """LISTEN/NOTIFY across API workers (one listening connection per worker)."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self._dsn = (
            make_url(database_url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )
        self._listener: Any = None
        self._publisher: Any = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> Any:
        import asyncpg

        return await asyncpg.connect(self._dsn)

    async def _listening(self) -> None:
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            self._listener = await self._connect()
            await self._listener.add_listener(PG_CHANNEL, self._on_notify)

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            self.deliver(message["channel"], message["payload"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event notification")

    async def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        messages = [
            json.dumps({"channel": e.channel, "payload": e.payload}, separators=(",", ":"))
            for e in events
        ]
        for message in messages:
            if len(message.encode()) > PG_PAYLOAD_LIMIT:
                raise ValueError("event payload too large for NOTIFY; send IDs, not objects")
        try:
            async with self._lock:
                if self._publisher is None or self._publisher.is_closed():
                    self._publisher = await self._connect()
                await self._publisher.executemany(
                    "SELECT pg_notify($1, $2)", [(PG_CHANNEL, m) for m in messages]
                )
        except Exception:
            # The transaction is committed; a lost notification must not fail the request.
            log.exception("could not publish %d event(s)", len(messages))

    async def close(self) -> None:
        await super().close()
        for connection in (self._listener, self._publisher):
            if connection is not None and not connection.is_closed():
                await connection.close()
        self._listener = self._publisher = None


def create_broker(database_url: str) -> LocalBroker:
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresBroker(database_url)
    return LocalBroker()
