"""Brokers carry committed events to subscribers.

`LocalBroker` fans events out inside one process (SQLite deployments run one). `PostgresBroker`
sends every event through PostgreSQL's NOTIFY on one channel; each API worker LISTENs on its
own connection and fans out to its local subscribers, so an event published by any worker
reaches subscribers connected to every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from reelpay.events import Event
from reelpay.settings import Limits

log = logging.getLogger("reelpay.events")

PG_CHANNEL = "reelpay_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; ours carry IDs only.
PG_PAYLOAD_LIMIT = 7900
QUEUE_SIZE = 256


class EventsLost(Exception):
    """A subscriber missed events (it fell behind, or the broker lost its connection)."""


_INTERRUPT: dict[str, Any] = {"type": "__interrupted__"}


class Subscriber:
    """One subscription's bounded queue. Losing an event ends it loudly, never silently."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.lost: str | None = None

    def offer(self, payload: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.interrupt("the subscriber fell behind")

    def interrupt(self, reason: str) -> None:
        if self.lost is None:
            self.lost = reason
            log.warning("a subscription lost events: %s", reason)
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_INTERRUPT)  # wake it if it is waiting

    async def next(self, quiet_seconds: float | None = None) -> dict[str, Any] | None:
        """The next event; None after `quiet_seconds` without one; EventsLost if any was lost."""
        if self.lost is not None:
            raise EventsLost(self.lost)
        try:
            payload = await asyncio.wait_for(self._queue.get(), quiet_seconds)
        except TimeoutError:
            return None
        if self.lost is not None:
            raise EventsLost(self.lost)
        return payload


class Broker(Protocol):
    async def publish(self, events: Sequence[Event]) -> None: ...

    def subscribe(self, *channels: str) -> Any:
        """`async with broker.subscribe(channel, ...) as subscriber`: `await subscriber.next()`."""
        ...

    def subscriber_count(self, channel: str) -> int: ...

    async def close(self) -> None: ...


class LocalBroker:
    """In-process fan-out to bounded queues."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            self.deliver(event.channel, event.payload)

    def deliver(self, channel: str, payload: dict[str, Any]) -> None:
        for subscriber in list(self._subscribers.get(channel, ())):
            subscriber.offer(payload)

    def interrupt_all(self, reason: str) -> None:
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.interrupt(reason)

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Subscriber]:
        """One subscriber receiving the events of every channel named."""
        await self._listening()
        subscriber = Subscriber()
        for channel in channels:
            self._subscribers[channel].add(subscriber)
        try:
            yield subscriber
        finally:
            for channel in channels:
                self._subscribers[channel].discard(subscriber)
                if not self._subscribers[channel]:
                    del self._subscribers[channel]

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))

    async def _listening(self) -> None:
        """Local delivery needs nothing; PostgreSQL starts its LISTEN here."""

    async def close(self) -> None:
        self.interrupt_all("the server is shutting down")
        self._subscribers.clear()


class PostgresBroker(LocalBroker):
    """LISTEN/NOTIFY across API workers (one listening connection per worker)."""

    def __init__(self, database_url: str, limits: Limits | None = None) -> None:
        super().__init__()
        limits = limits or Limits()
        # A database that hangs must not hang publishing (a mutation waits for it) forever.
        self._timeouts = {
            "timeout": limits.db_connect_timeout_ms / 1000 or None,
            "command_timeout": limits.db_statement_timeout_ms / 1000 or None,
        }
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

        return await asyncpg.connect(self._dsn, **self._timeouts)

    async def _listening(self) -> None:
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            self._listener = await self._connect()
            self._listener.add_termination_listener(self._on_lost)
            await self._listener.add_listener(PG_CHANNEL, self._on_notify)

    def _on_lost(self, _connection: Any) -> None:
        # Notifications sent while we were not listening are gone: every open subscription
        # ends with an error (clients resubscribe), and the next subscribe listens again.
        self._listener = None
        self.interrupt_all("the event connection to the database was lost")

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
        if self._listener is not None:
            self._listener.remove_termination_listener(self._on_lost)
        for connection in (self._listener, self._publisher):
            if connection is not None and not connection.is_closed():
                await connection.close()
        self._listener = self._publisher = None


def create_broker(database_url: str, limits: Limits | None = None) -> LocalBroker:
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresBroker(database_url, limits)
    return LocalBroker()
