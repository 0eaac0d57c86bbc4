"""Time as a dependency: the app reads `Clock.now()` so tests and jobs can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, demo data, back-fills)."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = now.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class SandboxClock:
    """The base clock moved forward by the shared sandbox offset (outside production only).

    The offset lives in the database (`reelpay.sandbox`); whoever reads it (each operation, each
    `reelpay` command) hands it to `observe`, and `now()` adds the latest reading to the base
    clock. The offset only grows, so an older reading arriving late never moves time back.
    """

    def __init__(self, base: Clock) -> None:
        self.base = base
        self._offset = timedelta(0)

    @property
    def offset(self) -> timedelta:
        """The latest offset read (zero until one is read)."""
        return self._offset

    def observe(self, offset: timedelta) -> None:
        """Take a reading of the shared offset."""
        if offset > self._offset:
            self._offset = offset

    def now(self) -> datetime:
        return self.base.now() + self._offset
