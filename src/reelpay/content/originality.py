"""Staff flags of videos as unoriginal: raising and clearing them, and what the rules read.

An owner declares a video original or not when publishing it (`Video.is_original`: reposts and
duets of other people's content are not); a flag is staff's finding, whatever was declared.
A flag stands until staff clear it, and a cleared flag (a mistake) counts for nothing. While a
flag stands, the video earns no Creator Rewards (`unflagged`); for `originality_window_days`
after it was raised, its owner fails Series' ORIGINAL_CONTENT criterion (`standing_flags`),
even once the video is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts import validation
from reelpay.accounts.models import Account
from reelpay.content.models import Video, VideoOriginalityFlag
from reelpay.errors import NotFound
from reelpay.notifications import service as notifications
from reelpay.notifications.models import NotificationKind
from reelpay.settings import Rules

VIDEO_FIELD = ("input", "videoId")
REASON_FIELD = ("input", "reason")
FLAG_FIELD = ("input", "flagId")
REASON_MAX_LENGTH = 500


def window_start(now: datetime, rules: Rules) -> datetime:
    """Flags raised after this instant (and not cleared) fail ORIGINAL_CONTENT at `now`."""
    return now - timedelta(days=rules.originality_window_days)


async def flag_video(
    session: AsyncSession,
    staff: Account,
    video_id: int,
    *,
    reason: str,
    now: datetime,
    rules: Rules,
) -> VideoOriginalityFlag:
    """Flag a live video as unoriginal and tell its owner.

    Idempotent inside the window: while a flag of the video raised in the last
    `originality_window_days` stands, flagging it again returns that flag unchanged (no second
    notification; the window does not restart). An older standing flag no longer counts for
    the criterion, so flagging again then raises a new one.
    """
    accounts.require_staff(staff)
    reason = validation.text(
        reason,
        min_length=1,
        max_length=REASON_MAX_LENGTH,
        what="A reason",
        field=REASON_FIELD,
        multiline=True,
    )
    # Locked, so two staff flagging one video at once raise one flag (SQLite: BEGIN IMMEDIATE).
    video = await session.scalar(
        sa.select(Video)
        .where(Video.id == video_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if video is None or video.deleted_at is not None:
        raise NotFound("No such video.", field=VIDEO_FIELD)
    standing = await session.scalar(
        sa.select(VideoOriginalityFlag)
        .where(
            VideoOriginalityFlag.video_id == video.id,
            VideoOriginalityFlag.cleared_at.is_(None),
            VideoOriginalityFlag.created_at > window_start(now, rules),
        )
        .order_by(VideoOriginalityFlag.created_at.desc(), VideoOriginalityFlag.id.desc())
        .limit(1)
    )
    if standing is not None:
        return standing
    flag = VideoOriginalityFlag(
        video_id=video.id, reason=reason, flagged_by_id=staff.id, created_at=now
    )
    session.add(flag)
    await session.flush()
    until = (now + timedelta(days=rules.originality_window_days)).date()
    await notifications.notify(
        session,
        video.owner_id,
        NotificationKind.VIDEO_FLAGGED_UNORIGINAL,
        title="Your video was flagged as unoriginal",
        body=f'Staff flagged your video "{video.title}" as unoriginal. While the flag stands the '
        f"video earns no Creator Rewards, and until {until.isoformat()} your account does not "
        f"meet Series' original content criterion. Reason: {reason}",
        data={"videoId": video.id, "flagId": flag.id},
        now=now,
    )
    return flag


async def clear_flag(
    session: AsyncSession, staff: Account, flag_id: int, *, now: datetime
) -> VideoOriginalityFlag:
    """Clear a flag raised by mistake: it counts for nothing from now on. Clearing a cleared
    flag returns it as it is (the first clearing is kept)."""
    accounts.require_staff(staff)
    flag = await session.scalar(
        sa.select(VideoOriginalityFlag)
        .where(VideoOriginalityFlag.id == flag_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if flag is None:
        raise NotFound("No such flag.", field=FLAG_FIELD)
    if flag.cleared_at is None:
        flag.cleared_at = now
        flag.cleared_by_id = staff.id
        await session.flush()
    return flag


async def flags_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, VideoOriginalityFlag]:
    rows = await session.scalars(
        sa.select(VideoOriginalityFlag).where(VideoOriginalityFlag.id.in_(set(ids)))
    )
    return {flag.id: flag for flag in rows}


async def flags_by_video(
    session: AsyncSession, video_ids: Sequence[int]
) -> dict[int, list[VideoOriginalityFlag]]:
    """Each video's flags, cleared ones included, newest first, in one query."""
    rows = await session.scalars(
        sa.select(VideoOriginalityFlag)
        .where(VideoOriginalityFlag.video_id.in_(set(video_ids)))
        .order_by(VideoOriginalityFlag.created_at.desc(), VideoOriginalityFlag.id.desc())
    )
    found: dict[int, list[VideoOriginalityFlag]] = {video_id: [] for video_id in video_ids}
    for flag in rows:
        found[flag.video_id].append(flag)
    return found


async def standing_flags(
    session: AsyncSession, account_id: int, *, now: datetime, rules: Rules
) -> list[tuple[str, datetime, str]]:
    """(video title, raised at, reason) of each flag of the account's videos, deleted ones
    included, raised in the window ending now and not cleared: one query."""
    rows = await session.execute(
        sa.select(Video.title, VideoOriginalityFlag.created_at, VideoOriginalityFlag.reason)
        .join(Video, Video.id == VideoOriginalityFlag.video_id)
        .where(
            Video.owner_id == account_id,
            VideoOriginalityFlag.cleared_at.is_(None),
            VideoOriginalityFlag.created_at > window_start(now, rules),
            VideoOriginalityFlag.created_at <= now,
        )
    )
    return [(title, at, reason) for title, at, reason in rows]


def unflagged() -> sa.ColumnElement[bool]:
    """No flag of the video stands: a condition on `Video` rows, added to a query over them."""
    return ~sa.exists().where(
        VideoOriginalityFlag.video_id == Video.id, VideoOriginalityFlag.cleared_at.is_(None)
    )
