"""Content services: videos, views, pins and follows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from reelpay import dates
from reelpay.accounts.models import Account
from reelpay.content import audience
from reelpay.content.models import (
    DailyFollowerChange,
    Follow,
    PinnedVideo,
    Video,
    VideoDailyViews,
    VideoViewMark,
)
from reelpay.content.visibility import ContentAccess, can_see_video, content_access
from reelpay.db import upsert
from reelpay.enums import FollowStatus, Visibility
from reelpay.errors import DomainError, ErrorCode, NotFound, Problem
from reelpay.pagination import Page, PageRequest, paginate_groups
from reelpay.settings import Rules
from reelpay.text import display_text_problem

# --- videos --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoDraft:
    title: str
    duration_seconds: int
    visibility: Visibility = Visibility.PUBLIC
    description: str = ""
    is_original: bool = True


@dataclass(frozen=True)
class VideoChanges:
    """Fields to change; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    visibility: Visibility | None = None
    is_original: bool | None = None


def _check_title(title: str, rules: Rules, problems: list[Problem]) -> str:
    title = title.strip()
    if not 1 <= len(title) <= rules.video_title_max_length:
        problems.append(
            Problem(
                ErrorCode.INVALID_INPUT,
                f"A title has 1 to {rules.video_title_max_length} characters.",
                ("input", "title"),
            )
        )
    bad_text = display_text_problem(title, what="A title")
    if bad_text is not None:
        problems.append(Problem(ErrorCode.INVALID_INPUT, bad_text, ("input", "title")))
    return title


def _check_description(description: str, rules: Rules, problems: list[Problem]) -> str:
    description = description.strip()
    if len(description) > rules.video_description_max_length:
        problems.append(
            Problem(
                ErrorCode.INVALID_INPUT,
                f"A description has at most {rules.video_description_max_length} characters.",
                ("input", "description"),
            )
        )
    bad_text = display_text_problem(description, what="A description", multiline=True)
    if bad_text is not None:
        problems.append(Problem(ErrorCode.INVALID_INPUT, bad_text, ("input", "description")))
    return description


async def publish_video(
    session: AsyncSession, owner: Account, draft: VideoDraft, *, now: datetime, rules: Rules
) -> Video:
    problems: list[Problem] = []
    title = _check_title(draft.title, rules, problems)
    description = _check_description(draft.description, rules, problems)
    low, high = rules.video_min_duration_seconds, rules.video_max_duration_seconds
    if not low <= draft.duration_seconds <= high:
        problems.append(
            Problem(
                ErrorCode.VIDEO_DURATION_OUT_OF_RANGE,
                f"A video lasts {low} to {high} seconds.",
                ("input", "durationSeconds"),
            )
        )
    if problems:
        raise DomainError.of(problems)
    video = Video(
        owner_id=owner.id,
        title=title,
        description=description,
        duration_seconds=draft.duration_seconds,
        visibility=draft.visibility,
        is_original=draft.is_original,
        published_at=now,
        updated_at=now,
        view_count=0,
    )
    session.add(video)
    await session.flush()
    return video


async def get_own_video_or_raise(session: AsyncSession, owner: Account, video_id: int) -> Video:
    """The owner's live video; anyone else's is reported as missing (nothing leaks)."""
    video = await session.get(Video, video_id)
    if video is None or video.deleted_at is not None or video.owner_id != owner.id:
        raise NotFound("You have no video with this ID.", field=("input", "videoId"))
    return video


async def update_video(
    session: AsyncSession,
    owner: Account,
    video_id: int,
    changes: VideoChanges,
    *,
    now: datetime,
    rules: Rules,
) -> Video:
    video = await get_own_video_or_raise(session, owner, video_id)
    problems: list[Problem] = []
    title = None if changes.title is None else _check_title(changes.title, rules, problems)
    description = (
        None
        if changes.description is None
        else _check_description(changes.description, rules, problems)
    )
    if problems:
        raise DomainError.of(problems)
    from reelpay.marketplace import deals as marketplace_deals  # it imports this module

    await marketplace_deals.check_video_change(
        session, video, visibility=changes.visibility, title=title, description=description
    )
    if title is not None:
        video.title = title
    if description is not None:
        video.description = description
    if changes.is_original is not None:
        video.is_original = changes.is_original
    if changes.visibility is not None:
        video.visibility = changes.visibility
        if changes.visibility is not Visibility.PUBLIC:
            await _unpin(session, video.id)
    video.updated_at = now
    await session.flush()
    return video


async def delete_video(
    session: AsyncSession, owner: Account, video_id: int, *, now: datetime
) -> Video:
    """Hide the video everywhere; the row stays for the records that may point at it.
    VIDEO_IN_CAMPAIGN while it is a deliverable or challenge entry of a running campaign."""
    from reelpay.marketplace import deals as marketplace_deals  # it imports this module

    video = await get_own_video_or_raise(session, owner, video_id)
    await marketplace_deals.check_video_deletable(session, video.id)
    video.deleted_at = now
    video.updated_at = now
    await _unpin(session, video.id)
    await session.flush()
    return video


async def videos_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Video]:
    rows = await session.scalars(sa.select(Video).where(Video.id.in_(set(ids))))
    return {video.id: video for video in rows}


def _visible_videos(access_by_owner: Mapping[int, ContentAccess]) -> sa.Select[Any]:
    everything = [o for o, a in access_by_owner.items() if a is ContentAccess.ALL]
    public_only = [o for o, a in access_by_owner.items() if a is ContentAccess.PUBLIC]
    # Only the conditions that can match: an empty IN costs the planner a subquery.
    visible: list[sa.ColumnElement[bool]] = []
    if everything:
        visible.append(Video.owner_id.in_(everything))
    if public_only:
        visible.append(
            sa.and_(Video.owner_id.in_(public_only), Video.visibility == Visibility.PUBLIC)
        )
    return sa.select(Video).where(Video.deleted_at.is_(None), sa.or_(sa.false(), *visible))


async def video_pages(
    session: AsyncSession, access_by_owner: Mapping[int, ContentAccess], request: PageRequest
) -> dict[int, Page[Video]]:
    """Each owner's videos that the viewer may see, newest first, in one query."""
    return await paginate_groups(
        session,
        _visible_videos(access_by_owner),
        Video,
        Video.owner_id,
        list(access_by_owner),
        (Video.published_at, Video.id),
        request,
        descending=True,
    )


async def video_counts(
    session: AsyncSession, access_by_owner: Mapping[int, ContentAccess]
) -> dict[int, int]:
    visible = _visible_videos(access_by_owner).subquery()
    rows = await session.execute(
        sa.select(visible.c.owner_id, sa.func.count()).group_by(visible.c.owner_id)
    )
    counts = dict.fromkeys(access_by_owner, 0)
    counts.update({owner: n for owner, n in rows})
    return counts


# --- pins ----------------------------------------------------------------------------------


async def set_pinned_videos(
    session: AsyncSession, account: Account, video_ids: Sequence[int], *, rules: Rules
) -> list[int]:
    """Replace the account's pins with `video_ids`, in that order."""
    if not account.is_business:
        raise DomainError(
            "Only pro (BUSINESS) accounts pin videos.",
            code=ErrorCode.BUSINESS_ACCOUNT_REQUIRED,
        )
    if len(video_ids) > rules.max_pinned_videos:
        raise DomainError(
            f"Pin at most {rules.max_pinned_videos} videos.",
            code=ErrorCode.TOO_MANY_PINNED_VIDEOS,
            field=("input", "videoIds"),
        )
    problems: list[Problem] = []
    videos = await videos_by_ids(session, video_ids)
    seen: set[int] = set()
    for index, video_id in enumerate(video_ids):
        path = ("input", "videoIds", str(index))
        video = videos.get(video_id)
        if video_id in seen:
            problems.append(
                Problem(
                    ErrorCode.DUPLICATE_PINNED_VIDEO, "This video is already in the list.", path
                )
            )
        elif (
            video is None
            or video.owner_id != account.id
            or video.deleted_at is not None
            or video.visibility is not Visibility.PUBLIC
        ):
            problems.append(
                Problem(
                    ErrorCode.VIDEO_NOT_PINNABLE, "Only your own public videos can be pinned.", path
                )
            )
        seen.add(video_id)
    if problems:
        raise DomainError.of(problems)
    await session.execute(sa.delete(PinnedVideo).where(PinnedVideo.account_id == account.id))
    session.add_all(
        PinnedVideo(account_id=account.id, video_id=video_id, position=position)
        for position, video_id in enumerate(video_ids, start=1)
    )
    await session.flush()
    return list(video_ids)


async def pinned_video_ids(session: AsyncSession, account_id: int) -> list[int]:
    rows = await session.scalars(
        sa.select(PinnedVideo.video_id)
        .where(PinnedVideo.account_id == account_id)
        .order_by(PinnedVideo.position)
    )
    return list(rows)


async def pinned_videos_by_account(
    session: AsyncSession, account_ids: Sequence[int]
) -> dict[int, list[Video]]:
    """Each account's pinned videos in the owner's order, in one query."""
    rows = await session.execute(
        sa.select(PinnedVideo.account_id, Video)
        .join(Video, Video.id == PinnedVideo.video_id)
        .where(PinnedVideo.account_id.in_(set(account_ids)))
        .order_by(PinnedVideo.account_id, PinnedVideo.position)
    )
    pins: dict[int, list[Video]] = {account_id: [] for account_id in account_ids}
    for account_id, video in rows:
        pins[account_id].append(video)
    return pins


async def _unpin(session: AsyncSession, video_id: int) -> None:
    await session.execute(sa.delete(PinnedVideo).where(PinnedVideo.video_id == video_id))


# --- views ---------------------------------------------------------------------------------


def viewer_key(viewer: Account | None, owner_id: int, client_id: str | None) -> str | None:
    """Who a view is from, for "once per viewer, video and UTC day"; None when it cannot be an
    authentic view (the owner's own, or an anonymous play without a valid viewer token)."""
    if viewer is not None:
        return None if viewer.id == owner_id else f"account:{viewer.id}"
    return f"client:{client_id}" if client_id else None


async def record_view(
    session: AsyncSession,
    viewer: Account | None,
    video_id: int,
    *,
    now: datetime,
    client_id: str | None = None,
) -> Video:
    """Record one play of a video the viewer may see on today's UTC day, and count it as an
    authentic view when it is the viewer's first of the video that day and not the owner's.

    `client_id` names an anonymous viewer (from their viewer token). The mark's primary key
    decides: of two concurrent views by one viewer, one inserts it and the other counts as a
    play only.
    """
    video, _ = await get_visible_video_or_raise(session, viewer, video_id)
    day = now.date()
    authentic = 0
    key = viewer_key(viewer, video.owner_id, client_id)
    if key is not None:
        mark = upsert(session, VideoViewMark).values(video_id=video.id, day=day, viewer_key=key)
        inserted = await session.scalar(
            mark.on_conflict_do_nothing(
                index_elements=[VideoViewMark.video_id, VideoViewMark.day, VideoViewMark.viewer_key]
            ).returning(VideoViewMark.video_id)
        )
        authentic = 1 if inserted is not None else 0
    await _add_daily(session, video.id, {day: (authentic, 1)})
    counts = (
        await session.execute(
            sa.update(Video)
            .where(Video.id == video.id)
            .values(view_count=Video.view_count + authentic, play_count=Video.play_count + 1)
            .returning(Video.view_count, Video.play_count)
        )
    ).one()
    set_committed_value(video, "view_count", counts.view_count)
    set_committed_value(video, "play_count", counts.play_count)
    return video


async def access_to(session: AsyncSession, viewer: Account | None, owner: Account) -> ContentAccess:
    """How much of `owner`'s content `viewer` may see."""
    status = (
        (await follow_statuses(session, viewer.id, [owner.id])).get(owner.id) if viewer else None
    )
    return content_access(viewer, owner, status)


async def get_visible_video_or_raise(
    session: AsyncSession,
    viewer: Account | None,
    video_id: int,
    field: Sequence[str] = ("input", "videoId"),
) -> tuple[Video, Account]:
    """The video and its owner, or NOT_FOUND when it is missing or hidden from the viewer."""
    video = await session.get(Video, video_id)
    owner = await session.get(Account, video.owner_id) if video else None
    if video is None or owner is None:
        raise NotFound("No such video.", field=field)
    if not can_see_video(await access_to(session, viewer, owner), video):
        raise NotFound("No such video.", field=field)
    return video, owner


async def add_views(session: AsyncSession, video_id: int, views_by_day: Mapping[date, int]) -> None:
    """Add authentic views per UTC day, each also a play (history loaded by demo data and
    tests; live views go through `record_view`)."""
    positive = {day: (n, n) for day, n in views_by_day.items() if n > 0}
    if not positive:
        return
    added = sum(n for n, _ in positive.values())
    await _add_daily(session, video_id, positive)
    await session.execute(
        sa.update(Video)
        .where(Video.id == video_id)
        .values(view_count=Video.view_count + added, play_count=Video.play_count + added)
    )


async def _add_daily(
    session: AsyncSession, video_id: int, by_day: Mapping[date, tuple[int, int]]
) -> None:
    """Add (authentic views, plays) to each UTC day's row of the video."""
    rows = [
        {"video_id": video_id, "day": day, "views": views, "plays": plays}
        for day, (views, plays) in by_day.items()
    ]
    insert = upsert(session, VideoDailyViews).values(rows)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[VideoDailyViews.video_id, VideoDailyViews.day],
            set_={
                "views": VideoDailyViews.views + insert.excluded.views,
                "plays": VideoDailyViews.plays + insert.excluded.plays,
            },
        )
    )


async def views_in_window(
    session: AsyncSession, account_ids: Sequence[int], *, today: date, rules: Rules
) -> dict[int, int]:
    """Authentic views of each account's live videos over the rolling window (see `audience`)."""
    start, end = audience.views_window(today, rules.views_window_days)
    rows = await session.execute(
        sa.select(Video.owner_id, sa.func.coalesce(sa.func.sum(VideoDailyViews.views), 0))
        .join(VideoDailyViews, VideoDailyViews.video_id == Video.id)
        .where(Video.owner_id.in_(set(account_ids)), Video.deleted_at.is_(None))
        .where(VideoDailyViews.day >= start, VideoDailyViews.day <= end)
        .group_by(Video.owner_id)
    )
    totals = dict.fromkeys(account_ids, 0)
    totals.update({owner: int(n) for owner, n in rows})
    return totals


async def public_posts_in_window(
    session: AsyncSession, account_ids: Sequence[int], *, now: datetime, rules: Rules
) -> dict[int, int]:
    """Public, live videos each account published in the rolling window ending now."""
    start = audience.posts_window_start(now, rules.posts_window_days)
    rows = await session.execute(
        sa.select(Video.owner_id, sa.func.count())
        .where(Video.owner_id.in_(set(account_ids)), Video.deleted_at.is_(None))
        .where(Video.visibility == Visibility.PUBLIC)
        .where(Video.published_at > start, Video.published_at <= now)
        .group_by(Video.owner_id)
    )
    counts = dict.fromkeys(account_ids, 0)
    counts.update({owner: n for owner, n in rows})
    return counts


async def daily_views(
    session: AsyncSession, account_id: int, *, start: date, end: date
) -> dict[date, int]:
    """Authentic views per UTC day of an account's live videos, from `start` to `end`
    inclusive (what eligibility counts)."""
    rows = await session.execute(
        sa.select(VideoDailyViews.day, sa.func.sum(VideoDailyViews.views))
        .join(Video, Video.id == VideoDailyViews.video_id)
        .where(Video.owner_id == account_id, Video.deleted_at.is_(None))
        .where(VideoDailyViews.day >= start, VideoDailyViews.day <= end)
        .group_by(VideoDailyViews.day)
    )
    return {day: int(n) for day, n in rows}


async def public_post_times(
    session: AsyncSession, account_id: int, *, now: datetime, rules: Rules
) -> list[datetime]:
    """When each public, live video published in the posts window went up."""
    start = audience.posts_window_start(now, rules.posts_window_days)
    rows = await session.scalars(
        sa.select(Video.published_at).where(
            Video.owner_id == account_id,
            Video.deleted_at.is_(None),
            Video.visibility == Visibility.PUBLIC,
            Video.published_at > start,
            Video.published_at <= now,
        )
    )
    return list(rows)


# --- follows -------------------------------------------------------------------------------


async def follow(
    session: AsyncSession, follower: Account, followee_id: int, *, now: datetime
) -> Follow:
    """Follow a public account at once, or ask a private one (a PENDING request)."""
    followee = await session.get(Account, followee_id)
    if followee is None:
        raise NotFound("No such account.", field=("input", "accountId"))
    if followee.id == follower.id:
        raise DomainError(
            "You cannot follow yourself.",
            code=ErrorCode.CANNOT_FOLLOW_SELF,
            field=("input", "accountId"),
        )
    existing = await _follow_row(session, follower.id, followee.id)
    if existing is not None:
        message = (
            "You already follow this account."
            if existing.status is FollowStatus.ACCEPTED
            else "Your follow request is waiting for approval."
        )
        raise DomainError(message, code=ErrorCode.ALREADY_FOLLOWING, field=("input", "accountId"))
    private = followee.visibility is Visibility.PRIVATE
    row = Follow(
        follower_id=follower.id,
        followee_id=followee.id,
        status=FollowStatus.PENDING if private else FollowStatus.ACCEPTED,
        created_at=now,
        accepted_at=None if private else now,
    )
    session.add(row)
    await session.flush()
    if not private:
        await _count_follower_change(session, followee.id, now.date(), gained=1)
    return row


async def unfollow(
    session: AsyncSession, follower: Account, followee_id: int, *, now: datetime
) -> Account:
    """Stop following, or withdraw a pending request."""
    # One conditional DELETE: of two concurrent unfollows only one removes the row and counts.
    removed = await session.scalar(
        sa.delete(Follow)
        .where(Follow.follower_id == follower.id, Follow.followee_id == followee_id)
        .returning(Follow.status)
    )
    followee = await session.get(Account, followee_id) if removed is not None else None
    if followee is None:
        raise DomainError(
            "You do not follow this account.",
            code=ErrorCode.NOT_FOLLOWING,
            field=("input", "accountId"),
        )
    if removed is FollowStatus.ACCEPTED:
        await _count_follower_change(session, followee_id, now.date(), lost=1)
    return followee


async def approve_follow_request(
    session: AsyncSession, account: Account, follower_id: int, *, now: datetime
) -> None:
    # Conditional on PENDING, so concurrent approvals accept (and count) the follower once.
    approved = await session.scalar(
        sa.update(Follow)
        .where(*_pending(account, follower_id))
        .values(status=FollowStatus.ACCEPTED, accepted_at=now)
        .returning(Follow.id)
        .execution_options(synchronize_session=False)
    )
    if approved is None:
        raise _no_follow_request()
    await _count_follower_change(session, account.id, now.date(), gained=1)


async def decline_follow_request(session: AsyncSession, account: Account, follower_id: int) -> None:
    declined = await session.scalar(
        sa.delete(Follow).where(*_pending(account, follower_id)).returning(Follow.id)
    )
    if declined is None:
        raise _no_follow_request()


def _pending(account: Account, follower_id: int) -> list[sa.ColumnElement[bool]]:
    return [
        Follow.follower_id == follower_id,
        Follow.followee_id == account.id,
        Follow.status == FollowStatus.PENDING,
    ]


def _no_follow_request() -> DomainError:
    return DomainError(
        "This account has not asked to follow you.",
        code=ErrorCode.NO_FOLLOW_REQUEST,
        field=("input", "accountId"),
    )


async def accept_all_follow_requests(
    session: AsyncSession, account: Account, *, now: datetime
) -> int:
    """A private account that goes public accepts everyone who asked."""
    result = await session.execute(
        sa.update(Follow)
        .where(Follow.followee_id == account.id, Follow.status == FollowStatus.PENDING)
        .values(status=FollowStatus.ACCEPTED, accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    accepted = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if accepted:
        await _count_follower_change(session, account.id, now.date(), gained=accepted)
    return accepted


async def follow_statuses(
    session: AsyncSession, follower_id: int, followee_ids: Sequence[int]
) -> dict[int, FollowStatus]:
    rows = await session.execute(
        sa.select(Follow.followee_id, Follow.status).where(
            Follow.follower_id == follower_id, Follow.followee_id.in_(set(followee_ids))
        )
    )
    return dict(rows.all())


async def follower_counts(session: AsyncSession, account_ids: Sequence[int]) -> dict[int, int]:
    return await _count_follows(session, Follow.followee_id, account_ids)


async def following_counts(session: AsyncSession, account_ids: Sequence[int]) -> dict[int, int]:
    return await _count_follows(session, Follow.follower_id, account_ids)


class FollowCounts(NamedTuple):
    followers: int
    following: int


def followers_of(account_id: int) -> sa.ScalarSelect[int]:
    """The account's approved followers (as `follow_counts` counts them) as a scalar
    subquery, for a statement that reads other things too."""
    return (
        sa.select(sa.func.count())
        .where(Follow.followee_id == account_id, Follow.status == FollowStatus.ACCEPTED)
        .scalar_subquery()
    )


async def follow_counts(
    session: AsyncSession, account_ids: Sequence[int]
) -> dict[int, FollowCounts]:
    """Approved followers and followings of each account, both in one query."""

    def accepted(column: Any) -> sa.ScalarSelect[int]:
        return (
            sa.select(sa.func.count())
            .where(column == Account.id, Follow.status == FollowStatus.ACCEPTED)
            .scalar_subquery()
        )

    rows = await session.execute(
        sa.select(Account.id, accepted(Follow.followee_id), accepted(Follow.follower_id)).where(
            Account.id.in_(set(account_ids))
        )
    )
    counts = dict.fromkeys(account_ids, FollowCounts(0, 0))
    counts.update({account_id: FollowCounts(a, b) for account_id, a, b in rows})
    return counts


async def follow_request_counts(
    session: AsyncSession, account_ids: Sequence[int]
) -> dict[int, int]:
    return await _count_follows(session, Follow.followee_id, account_ids, FollowStatus.PENDING)


async def follow_pages(
    session: AsyncSession,
    *,
    of: str,
    account_ids: Sequence[int],
    request: PageRequest,
    status: FollowStatus = FollowStatus.ACCEPTED,
) -> dict[int, Page[Follow]]:
    """Followers (`of="followee"`) or followings (`of="follower"`) of many accounts, newest
    first, in one query."""
    group = Follow.followee_id if of == "followee" else Follow.follower_id
    return await paginate_groups(
        session,
        sa.select(Follow).where(Follow.status == status),
        Follow,
        group,
        account_ids,
        (Follow.id,),
        request,
        descending=True,
    )


async def _count_follows(
    session: AsyncSession,
    column: Any,
    account_ids: Sequence[int],
    status: FollowStatus = FollowStatus.ACCEPTED,
) -> dict[int, int]:
    rows = await session.execute(
        sa.select(column, sa.func.count())
        .where(column.in_(set(account_ids)), Follow.status == status)
        .group_by(column)
    )
    counts = dict.fromkeys(account_ids, 0)
    counts.update({account_id: n for account_id, n in rows})
    return counts


async def _follow_row(session: AsyncSession, follower_id: int, followee_id: int) -> Follow | None:
    return await session.scalar(
        sa.select(Follow).where(
            Follow.follower_id == follower_id, Follow.followee_id == followee_id
        )
    )


async def _count_follower_change(
    session: AsyncSession, account_id: int, day: date, *, gained: int = 0, lost: int = 0
) -> None:
    insert = upsert(session, DailyFollowerChange).values(
        account_id=account_id, day=day, gained=gained, lost=lost
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[DailyFollowerChange.account_id, DailyFollowerChange.day],
            set_={
                "gained": DailyFollowerChange.gained + insert.excluded.gained,
                "lost": DailyFollowerChange.lost + insert.excluded.lost,
            },
        )
    )


# --- analytics -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayFigures:
    day: date
    views: int  # authentic
    plays: int
    followers_gained: int
    followers_lost: int
    followers_total: int


@dataclass(frozen=True)
class VideoViewsSeries:
    video_id: int
    total_views: int
    views_by_day: tuple[tuple[date, int], ...]


@dataclass(frozen=True)
class Analytics:
    start: date
    end: date
    days: tuple[DayFigures, ...]
    videos: tuple[VideoViewsSeries, ...]


async def analytics(
    session: AsyncSession,
    account: Account,
    *,
    start: date | None,
    end: date | None,
    today: date,
    rules: Rules,
) -> Analytics:
    """Views per day per video and follower growth from `start` to `end` (what is left out
    filled in by `dates.report_range`); advanced analytics are a pro feature."""
    if not account.is_business:
        raise DomainError(
            "Advanced analytics are for pro (BUSINESS) accounts.",
            code=ErrorCode.BUSINESS_ACCOUNT_REQUIRED,
        )
    start, end = dates.report_range(start, end, today=today, rules=rules)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    view_rows = (
        await session.execute(
            sa.select(
                VideoDailyViews.video_id,
                VideoDailyViews.day,
                VideoDailyViews.views,
                VideoDailyViews.plays,
            )
            .join(Video, Video.id == VideoDailyViews.video_id)
            .where(Video.owner_id == account.id, Video.deleted_at.is_(None))
            .where(VideoDailyViews.day >= start, VideoDailyViews.day <= end)
            .order_by(VideoDailyViews.video_id, VideoDailyViews.day)
        )
    ).all()
    change_rows = {
        day: (gained, lost)
        for day, gained, lost in (
            await session.execute(
                sa.select(
                    DailyFollowerChange.day, DailyFollowerChange.gained, DailyFollowerChange.lost
                )
                .where(DailyFollowerChange.account_id == account.id)
                .where(DailyFollowerChange.day >= start, DailyFollowerChange.day <= end)
            )
        )
    }
    net_after_end = int(
        await session.scalar(
            sa.select(
                sa.func.coalesce(
                    sa.func.sum(DailyFollowerChange.gained - DailyFollowerChange.lost), 0
                )
            ).where(DailyFollowerChange.account_id == account.id, DailyFollowerChange.day > end)
        )
        or 0
    )
    current = (await follower_counts(session, [account.id]))[account.id]

    views_per_day: dict[date, int] = dict.fromkeys(days, 0)
    plays_per_day: dict[date, int] = dict.fromkeys(days, 0)
    per_video: dict[int, dict[date, int]] = {}
    for video_id, day, views, plays in view_rows:
        views_per_day[day] += views
        plays_per_day[day] += plays
        per_video.setdefault(video_id, {})[day] = views

    figures: list[DayFigures] = []
    total = current - net_after_end
    for day in reversed(days):
        gained, lost = change_rows.get(day, (0, 0))
        figures.append(DayFigures(day, views_per_day[day], plays_per_day[day], gained, lost, total))
        total -= gained - lost
    figures.reverse()
    series = tuple(
        VideoViewsSeries(
            video_id,
            sum(by_day.values()),
            tuple((day, by_day.get(day, 0)) for day in days),
        )
        for video_id, by_day in per_video.items()
        if any(by_day.values())  # plays only (none authentic): not listed
    )
    return Analytics(start, end, tuple(figures), series)
