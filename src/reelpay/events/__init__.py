"""Live events: services queue them on their session; they are published after the commit.

A service calls `emit(session, channel, payload)`; nothing leaves the process until the
transaction commits (`db.run_write` drops the events of an attempt that rolled back), and then
whoever owns the transaction hands `take(session)` to the broker. Events are notifications,
not records: the database stays the source of truth and subscribers re-read what they show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "reelpay_events"


@dataclass(frozen=True)
class Event:
    channel: str
    payload: dict[str, Any]


def live_channel(live_id: int) -> str:
    return f"live:{live_id}"


def wallet_channel(account_id: int) -> str:
    return f"wallet:{account_id}"


def payouts_channel(account_id: int) -> str:
    return f"payouts:{account_id}"


def sessions_channel(account_id: int) -> str:
    """Where an account's sessions being revoked is announced (open subscriptions recheck)."""
    return f"sessions:{account_id}"


SESSIONS_REVOKED: dict[str, Any] = {"sessions": "revoked"}


def emit(session: AsyncSession, channel: str, payload: dict[str, Any]) -> None:
    """Queue an event to publish if the session's transaction commits."""
    session.info.setdefault(_KEY, []).append(Event(channel, payload))


def discard(session: AsyncSession) -> None:
    """Forget queued events (their transaction rolled back)."""
    session.info.pop(_KEY, None)


def take(session: AsyncSession) -> list[Event]:
    """The events of the committed transaction, once."""
    queued: list[Event] = session.info.pop(_KEY, [])
    return queued
