"""Videos, their views per UTC day, pinned videos and follows.

Two view figures: plays (every `recordView`) and authentic views (what eligibility, Creator
Rewards and analytics count): not the owner's, and one per viewer, video and UTC day, which
`VideoViewMark` enforces with its primary key.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import FollowStatus, Visibility, enum_column_type


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = (
        sa.Index("ix_videos_owner_published", "owner_id", "published_at", "id"),
        sa.CheckConstraint("duration_seconds > 0", name="duration_positive"),
        sa.CheckConstraint("view_count >= 0", name="view_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    duration_seconds: Mapped[int]
    visibility: Mapped[Visibility] = mapped_column(enum_column_type(Visibility, "visibility"))
    is_original: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Deleted videos are kept (later issues attach money to videos) but shown nowhere.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    view_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # authentic, lifetime
    # Every play, lifetime. (A server default: the column was added to a table with rows.)
    play_count: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # The owner's published Series this video links to (`Video.series`); it never grants
    # access. Archiving the Series clears it.
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"), index=True)


class VideoDailyViews(Base):
    """Authentic views and plays of one video on one UTC day: the rolling 30-day figures are
    sums of `views`."""

    __tablename__ = "video_daily_views"
    __table_args__ = (sa.CheckConstraint("views >= 0", name="views_not_negative"),)

    video_id: Mapped[int] = mapped_column(
        sa.ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True, index=True)
    views: Mapped[int] = mapped_column(sa.BigInteger)
    plays: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class VideoViewMark(Base):
    """One viewer counted for one video on one UTC day: a second insert of the same key is
    ignored, so concurrent views of one viewer count once.

    `viewer_key`: "account:<id>" for a logged-in viewer, "client:<id>" for an anonymous one
    holding a viewer token (see `viewer_tokens`). Rows of past days are never read again.
    """

    __tablename__ = "video_view_marks"

    video_id: Mapped[int] = mapped_column(
        sa.ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True, index=True)
    viewer_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class PinnedVideo(Base):
    """A pin survives a switch to PERSONAL (hidden there) so switching back restores it."""

    __tablename__ = "pinned_videos"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "position", name="uq_pinned_videos_position"),
        sa.CheckConstraint("position >= 1", name="position_positive"),
    )

    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    video_id: Mapped[int] = mapped_column(
        sa.ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int]


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (
        sa.UniqueConstraint("follower_id", "followee_id", name="uq_follows_pair"),
        sa.CheckConstraint("follower_id <> followee_id", name="no_self_follow"),
        sa.Index("ix_follows_followee_status", "followee_id", "status", "id"),
        sa.Index("ix_follows_follower_status", "follower_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    followee_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    status: Mapped[FollowStatus] = mapped_column(enum_column_type(FollowStatus, "follow_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DailyFollowerChange(Base):
    """Followers gained and lost by an account on one UTC day (for growth analytics)."""

    __tablename__ = "daily_follower_changes"
    __table_args__ = (sa.CheckConstraint("gained >= 0 AND lost >= 0", name="counts_not_negative"),)

    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    gained: Mapped[int] = mapped_column(default=0)
    lost: Mapped[int] = mapped_column(default=0)


class VideoOriginalityFlag(Base):
    """Staff found a video unoriginal (a repost, a duet of someone else's content). The flag
    stands until staff clear it (it was a mistake: a cleared flag counts for nothing). While
    it stands the video earns no Creator Rewards; for `originality_window_days` after it was
    raised the owner fails Series' ORIGINAL_CONTENT criterion, even if the video is deleted."""

    __tablename__ = "video_originality_flags"
    __table_args__ = (
        sa.Index("ix_video_originality_flags_video", "video_id", "created_at"),
        sa.CheckConstraint(
            "(cleared_at IS NULL) = (cleared_by_id IS NULL)", name="cleared_with_who"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(sa.ForeignKey("videos.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    flagged_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
