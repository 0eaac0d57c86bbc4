"""Videos, their views per UTC day, pinned videos and follows."""

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
    view_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class VideoDailyViews(Base):
    """Views of one video on one UTC day: the rolling 30-day figures are sums of these rows."""

    __tablename__ = "video_daily_views"
    __table_args__ = (sa.CheckConstraint("views >= 0", name="views_not_negative"),)

    video_id: Mapped[int] = mapped_column(
        sa.ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True, index=True)
    views: Mapped[int] = mapped_column(sa.BigInteger)


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
