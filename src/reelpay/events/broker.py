"""Brokers carry committed events to subscribers.

`LocalBroker` fans events out to the subscribers of one process. `OutboxBroker`, what the app
uses on both databases, feeds it from the `event_outbox` table (`reelpay.events.outbox`): once
the process has a subscriber it reads new rows by id, every `poll_seconds` and at once when
woken (by `publish` after a local commit; on PostgreSQL also by a NOTIFY that each committing
transaction sends), so an event committed by any process (another API worker, a job from cron,
one that died right after its commit) reaches the subscribers of every process. A NOTIFY that
is missed only costs latency: the next poll reads the same rows. Any process also prunes rows
older than `retention_seconds`, in bounded batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.events import Event, outbox
from reelpay.settings import Limits

log = logging.getLogger("reelpay.events")

QUEUE_SIZE = 256
# How often an idle process looks for events from other processes. On PostgreSQL a NOTIFY
# wakes it at once and the poll only covers a missed one (and holes, see `outbox.Cursor`).
SQLITE_POLL_SECONDS = 0.2
POSTGRES_POLL_SECONDS = 1.0
RETENTION_SECONDS = 600.0
PRUNE_EVERY_SECONDS = 60.0


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


class OutboxBroker(LocalBroker):
    """Delivers the outbox's new rows to this process's subscribers (see the module docstring).

    Reading starts, from the newest row then, when the first subscriber arrives; nothing is
    read in a process nobody subscribes to (a job's). Reads go through a small engine of its
    own, so they never wait for (or hold) a connection of the app's pool.
    """

    def __init__(
        self,
        database_url: str,
        limits: Limits | None = None,
        *,
        poll_seconds: float | None = None,
        retention_seconds: float = RETENTION_SECONDS,
        prune_every_seconds: float = PRUNE_EVERY_SECONDS,
    ) -> None:
        super().__init__()
        self._url = database_url
        self._limits = limits or Limits()
        self._postgres = make_url(database_url).get_backend_name() == "postgresql"
        self.poll_seconds = poll_seconds or (
            POSTGRES_POLL_SECONDS if self._postgres else SQLITE_POLL_SECONDS
        )
        self.retention_seconds = retention_seconds
        self.prune_every_seconds = prune_every_seconds
        self._engine: AsyncEngine | None = None
        self._cursor: outbox.Cursor | None = None
        self._reader: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._start_lock = asyncio.Lock()
        self._listener: Any = None  # PostgreSQL: the LISTEN connection (wake-ups only)
        # (monotonic time, last id read then): rows up to an id read long enough ago are old.
        self._marks: deque[tuple[float, int]] = deque()
        self._next_prune = 0.0
        self._failing_since: float | None = None
        self.reads = 0  # for tests and measurements

    async def publish(self, events: Sequence[Event]) -> None:
        """The events are in the outbox already (committed): read them now, not at the next
        poll. No I/O here, so a hung database cannot hang the request that published."""
        if events and self._reader is not None:
            self._wake.set()

    async def _listening(self) -> None:
        async with self._start_lock:
            if self._reader is not None and not self._reader.done():
                return
            if self._engine is None:
                self._engine = _reader_engine(self._url, self._limits)
            async with self._engine.connect() as connection:
                self._cursor = outbox.Cursor(await outbox.last_id(connection))
            if self._postgres:
                await self._listen()
            self._next_prune = time.monotonic() + self.prune_every_seconds
            self._reader = asyncio.create_task(self._read_forever(), name="reelpay-outbox")

    async def _read_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            try:
                await self.poll()
                if self._postgres and self._listener is None:
                    await self._listen()
                await self._maybe_prune()
            except Exception as error:
                self._failed(error)
            else:
                self._failing_since = None

    async def poll(self) -> int:
        """Deliver every event committed since the last read; how many were read."""
        cursor, engine = self._cursor, self._engine
        if cursor is None or engine is None:
            return 0
        total = 0
        while True:
            async with engine.connect() as connection:
                if self._cursor is None:  # reset after an outage: start from the newest
                    self._cursor = cursor = outbox.Cursor(await outbox.last_id(connection))
                rows = await outbox.read(connection, cursor.last, sorted(cursor.gaps))
            self.reads += 1
            cursor.seen([row.id for row in rows], time.monotonic())
            for row in rows:
                self.deliver(row.channel, row.payload)
            total += len(rows)
            if len(rows) < outbox.READ_BATCH:
                return total

    def _failed(self, error: Exception) -> None:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
            log.warning("could not read the event outbox (%s); retrying", type(error).__name__)
        # Rows are kept for `retention_seconds`; past half of it, some may be gone before we
        # read them again. End every subscription loudly and start afresh once reads work.
        if now - self._failing_since > self.retention_seconds / 2:
            self.interrupt_all("the event outbox could not be read for too long")
            self._cursor = None
            self._failing_since = now

    async def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now < self._next_prune or self._cursor is None or self._engine is None:
            return
        self._next_prune = now + self.prune_every_seconds
        self._marks.append((now, self._cursor.last))
        old = 0
        while self._marks and now - self._marks[0][0] >= self.retention_seconds:
            old = self._marks.popleft()[1]
        if old:
            from reelpay.db import WRITE_OPTION

            async with self._engine.connect() as connection:
                writing = await connection.execution_options(**{WRITE_OPTION: True})
                async with writing.begin():
                    await outbox.prune(writing, old)

    async def _listen(self) -> None:
        """PostgreSQL: LISTEN for wake-ups on a connection of our own."""
        import asyncpg

        dsn = make_url(self._url).set(drivername="postgresql").render_as_string(False)
        limits = self._limits
        connection = await asyncpg.connect(dsn, timeout=limits.db_connect_timeout_ms / 1000 or None)
        connection.add_termination_listener(self._on_lost)
        await connection.add_listener(outbox.PG_WAKE_CHANNEL, self._on_notify)
        self._listener = connection

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    def _on_lost(self, _connection: Any) -> None:
        # Nothing is lost with it (the polls go on); the next poll listens again.
        self._listener = None

    async def close(self) -> None:
        await super().close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.remove_termination_listener(self._on_lost)
            if not listener.is_closed():
                await listener.close()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _reader_engine(database_url: str, limits: Limits) -> AsyncEngine:
    from reelpay.db import create_engine

    # One connection reads; a second may prune meanwhile.
    return create_engine(database_url, limits=limits, pool_size=1, max_overflow=1)


def create_broker(database_url: str, limits: Limits | None = None) -> OutboxBroker:
    return OutboxBroker(database_url, limits)
