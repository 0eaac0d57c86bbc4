"""Where fans find a creator's Series: a link from one of their videos, and the creator's
profile in the order they choose. A link never grants access: buying does (`purchases`).

A video links at most one Series, of its own owner, published when linked (archiving the Series
clears its links, `service.archive_series`). The profile lists a creator's Series by
`profile_position`, highest first: a new draft and a newly published Series go on top, and
`set_profile_order` renumbers them all, the published ones first in the order given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.content import service as content
from reelpay.content.models import Video
from reelpay.errors import DomainError, ErrorCode, Problem
from reelpay.series import service
from reelpay.series.models import Series, SeriesStatus

ORDER_FIELD = ("input", "seriesIds")


async def link_video_series(
    session: AsyncSession, owner: Account, video_id: int, series_id: int, *, now: datetime
) -> Video:
    """Link one of the owner's published Series from one of their videos (replacing any
    link; linking the same Series again changes nothing)."""
    video = await content.get_own_video_or_raise(session, owner, video_id)
    # Locked as archiving locks it, so a link cannot outlive the Series' publication.
    series = await service.own_series(session, owner, series_id, lock=True)
    if series.status is not SeriesStatus.PUBLISHED:
        raise DomainError(
            f"Only a published Series can be linked from a video; this one is "
            f"{series.status.value}.",
            code=ErrorCode.SERIES_NOT_PUBLISHED,
            field=service.SERIES_FIELD,
        )
    if video.series_id != series.id:
        video.series_id = series.id
        video.updated_at = now
        await session.flush()
    return video


async def unlink_video_series(
    session: AsyncSession, owner: Account, video_id: int, *, now: datetime
) -> Video:
    """Remove the video's Series link, if it has one."""
    video = await content.get_own_video_or_raise(session, owner, video_id)
    if video.series_id is not None:
        video.series_id = None
        video.updated_at = now
        await session.flush()
    return video


def linked_series(video: Video, series: Series | None) -> Series | None:
    """What a video's link shows: its Series while that is published, else nothing."""
    if series is None or series.status is not SeriesStatus.PUBLISHED:
        return None
    return series if series.creator_id == video.owner_id else None


async def set_profile_order(
    session: AsyncSession,
    creator: Account,
    series_ids: Sequence[int],
    *,
    name: Callable[[int], str] = str,
) -> list[Series]:
    """Put the creator's published Series in the order of `series_ids`, which must name each
    of them exactly once (INVALID_INPUT naming each id at fault, `name` spelling it for the
    client). Drafts and archived Series follow them, in the order they had. Returns the
    published Series in their new order."""
    # Every Series of the creator, locked in primary-key order: a concurrent reorder waits and
    # then writes every position itself (the last one wins whole), and a Series published
    # meanwhile is seen, so a list that lacks it is refused.
    mine = list(
        await session.scalars(
            sa.select(Series)
            .where(Series.creator_id == creator.id)
            .order_by(Series.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    by_id = {s.id: s for s in mine}
    problems: list[Problem] = []
    seen: set[int] = set()
    for index, series_id in enumerate(series_ids):
        path = (*ORDER_FIELD, str(index))
        found = by_id.get(series_id)
        if series_id in seen:
            message = f"{name(series_id)} is already in the list: name each Series once."
        elif found is None:
            message = f"You have no Series {name(series_id)}."
        elif found.status is not SeriesStatus.PUBLISHED:
            message = (
                f"{name(series_id)} is {found.status.value}: the profile's order lists "
                "published Series only."
            )
        else:
            message = ""
        if message:
            problems.append(Problem(ErrorCode.INVALID_INPUT, message, path))
        seen.add(series_id)
    for series in mine:
        if series.status is SeriesStatus.PUBLISHED and series.id not in seen:
            problems.append(Problem(
                ErrorCode.INVALID_INPUT,
                f"{name(series.id)} ({series.title!r}) is missing: list every published "
                "Series exactly once.",
                ORDER_FIELD,
            ))  # fmt: skip
    if problems:
        raise DomainError.of(problems)
    published = [by_id[i] for i in series_ids]
    rest = sorted(
        (s for s in mine if s.status is not SeriesStatus.PUBLISHED),
        key=lambda s: (s.profile_position, s.id),
        reverse=True,
    )
    for rank, series in enumerate([*published, *rest]):
        series.profile_position = len(mine) - rank
    await session.flush()
    return published
