"""Live events: services queue them on their session; the commit makes them real.

A service calls `emit(session, channel, payload)`. When the session commits, the queued events
are written to the `event_outbox` table inside that same transaction (a `before_commit` hook,
see `reelpay.events.outbox`), so an event exists exactly when what it announces does, whichever
process committed it (an API worker, a job from cron) and even if that process dies right
after. Every API process reads new outbox rows and hands them to its own subscribers
(`reelpay.events.broker`). Whoever owns the transaction may then pass `take(session)` to its
broker's `publish`, which only makes the local delivery prompt. Events are notifications, not
records: the database stays the source of truth and subscribers re-read what they show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_KEY = "reelpay_events"
# Events already written to the outbox by the transaction being committed.
_STORED_KEY = "reelpay_events_stored"


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


def marketplace_channel(account_id: int) -> str:
    """Where changes to an account's campaigns and deals (as brand or creator) are announced."""
    return f"marketplace:{account_id}"


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
    session.info.pop(_STORED_KEY, None)


def take(session: AsyncSession) -> list[Event]:
    """The events of the committed transaction, once."""
    stored: list[Event] = session.info.pop(_STORED_KEY, [])
    return stored + session.info.pop(_KEY, [])


@sa_event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    """Write the queued events in the committing transaction, as its last statement."""
    queued: list[Event] | None = session.info.pop(_KEY, None)
    if not queued:
        return
    from reelpay.events import outbox  # the model imports reelpay.db, which imports us

    session.flush()  # the transaction's own rows first: the outbox INSERT ends it
    outbox.store(session, queued)
    session.info.setdefault(_STORED_KEY, []).extend(queued)
