"""Pruning the marks that make a view count once per viewer, video and UTC day.

`record_view` reads only today's marks, so older ones are dead weight: left alone, the table
grows by one row per viewer and video every day. `prune` deletes the marks of days before
yesterday (yesterday's are kept, so a view recorded a moment before midnight on a worker whose
clock is a little behind still finds its day), in batches, each batch its own transaction, so
PostgreSQL never holds one long delete over millions of rows.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.content.models import VideoViewMark
from reelpay.db import run_write

BATCH = 10_000


def oldest_kept(today: date) -> date:
    """Marks of this day and later are kept; older ones are pruned."""
    return today - timedelta(days=1)


async def _delete_batch(session: AsyncSession, before: date, batch: int) -> int:
    """Delete up to `batch` marks of days before `before` (any `batch` of them)."""
    columns = (VideoViewMark.video_id, VideoViewMark.day, VideoViewMark.viewer_key)
    oldest = sa.select(*columns).where(VideoViewMark.day < before).limit(batch)
    result = await session.execute(
        sa.delete(VideoViewMark)
        .where(sa.tuple_(*columns).in_(oldest))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def prune(
    sessions: async_sessionmaker[AsyncSession], *, today: date, batch: int = BATCH
) -> int:
    """Delete every mark of a day before yesterday; returns how many. Safe to run again, and
    alongside `record_view` (which only inserts today's)."""
    before, total = oldest_kept(today), 0
    while True:
        async with sessions() as session:
            deleted = await run_write(session, lambda: _delete_batch(session, before, batch))
        total += deleted
        if deleted < batch:
            return total
