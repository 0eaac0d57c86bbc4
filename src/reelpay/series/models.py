"""Series, their episodes, purchases and ratings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import enum_column_type


class SeriesStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


class PurchaseStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REFUNDED = "REFUNDED"


class PaidWith(StrEnum):
    CARD = "CARD"
    COINS = "COINS"


class Series(Base):
    __tablename__ = "series"
    __table_args__ = (
        sa.CheckConstraint("price_cents > 0", name="price_positive"),
        sa.Index("ix_series_creator", "creator_id", "id"),
        sa.Index("ix_series_profile", "creator_id", "profile_position", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    title: Mapped[str] = mapped_column(sa.String(150))
    description: Mapped[str] = mapped_column(sa.String(4000), default="")
    cover_url: Mapped[str | None] = mapped_column(sa.String(2048))
    price_cents: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[SeriesStatus] = mapped_column(enum_column_type(SeriesStatus, "series_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where it stands on the creator's profile (`Account.series`): highest first, then newest
    # first. A new draft and a newly published Series take the creator's highest + 1 (the
    # top); `setProfileSeriesOrder` renumbers them all. (A server default: the column was
    # added to a table with rows.)
    profile_position: Mapped[int] = mapped_column(sa.Integer, server_default="0")


class SeriesEpisode(Base):
    """A video made for a Series (not a public post). `media_key` names its playable file."""

    __tablename__ = "series_episodes"
    __table_args__ = (
        sa.UniqueConstraint("series_id", "position"),
        sa.CheckConstraint("duration_seconds > 0", name="duration_positive"),
        # AUTOINCREMENT on SQLite: a removed episode's ID must never come back.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(150))
    duration_seconds: Mapped[int] = mapped_column(sa.Integer)
    media_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SeriesPurchase(Base):
    __tablename__ = "series_purchases"
    __table_args__ = (
        # One active purchase per buyer and Series (a refunded one may be bought again).
        sa.Index(
            "uq_series_purchases_one_active",
            "series_id",
            "buyer_id",
            unique=True,
            sqlite_where=sa.text("status = 'ACTIVE'"),
            postgresql_where=sa.text("status = 'ACTIVE'"),
        ),
        sa.Index("ix_series_purchases_buyer", "buyer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id"))
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    price_cents: Mapped[int] = mapped_column(sa.BigInteger)
    creator_share_cents: Mapped[int] = mapped_column(sa.BigInteger)
    paid_with: Mapped[PaidWith] = mapped_column(enum_column_type(PaidWith, "paid_with"))
    coins: Mapped[int | None] = mapped_column(sa.BigInteger)
    provider_charge_id: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    status: Mapped[PurchaseStatus] = mapped_column(
        enum_column_type(PurchaseStatus, "purchase_status")
    )
    ledger_transaction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_transactions.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The creator's share is pending until then; a refund is possible until then.
    refundable_until: Mapped[datetime] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    # When the creator's share moved from pending to available earnings (after the window).
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SeriesRating(Base):
    __tablename__ = "series_ratings"
    __table_args__ = (sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars_1_to_5"),)

    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id"), primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    stars: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
