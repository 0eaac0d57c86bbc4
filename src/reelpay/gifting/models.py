"""Gift catalog, LIVE streams and their viewers, gifts sent and tips."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import enum_column_type


class LiveStatus(StrEnum):
    LIVE = "LIVE"
    ENDED = "ENDED"


class TipMethod(StrEnum):
    CARD = "CARD"
    COINS = "COINS"


class Gift(Base):
    """A virtual gift in the catalog (reference data, seeded by a migration)."""

    __tablename__ = "gifts"
    __table_args__ = (sa.CheckConstraint("coin_price > 0", name="coin_price_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    coin_price: Mapped[int] = mapped_column(sa.Integer)
    image_url: Mapped[str] = mapped_column(sa.String(2048))
    is_active: Mapped[bool] = mapped_column(default=True)


class LiveStream(Base):
    __tablename__ = "live_streams"
    __table_args__ = (
        # A creator has at most one LIVE at a time.
        sa.Index(
            "uq_live_streams_one_live_per_creator",
            "creator_id",
            unique=True,
            sqlite_where=sa.text("status = 'LIVE'"),
            postgresql_where=sa.text("status = 'LIVE'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(150))
    status: Mapped[LiveStatus] = mapped_column(enum_column_type(LiveStatus, "live_status"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LiveViewer(Base):
    """Someone watching (or who watched) a LIVE; `left_at` is set when they leave."""

    __tablename__ = "live_viewers"

    live_id: Mapped[int] = mapped_column(sa.ForeignKey("live_streams.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GiftSend(Base):
    """A gift (times a quantity) sent to a creator's LIVE or video."""

    __tablename__ = "gift_sends"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("(live_id IS NULL) <> (video_id IS NULL)", name="to_a_live_or_a_video"),
        sa.Index("ix_gift_sends_creator_sender", "creator_id", "sender_id"),
        sa.Index("ix_gift_sends_live_sender", "live_id", "sender_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gifts.id"))
    quantity: Mapped[int] = mapped_column(sa.Integer)
    coins: Mapped[int] = mapped_column(sa.BigInteger)
    diamonds: Mapped[int] = mapped_column(sa.BigInteger)
    live_id: Mapped[int | None] = mapped_column(sa.ForeignKey("live_streams.id"))
    video_id: Mapped[int | None] = mapped_column(sa.ForeignKey("videos.id"), index=True)
    ledger_transaction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_transactions.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Tip(Base):
    """A tip: 100% of `amount_cents` goes to the creator."""

    __tablename__ = "tips"
    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.Index("ix_tips_tipper_created", "tipper_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tipper_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    method: Mapped[TipMethod] = mapped_column(enum_column_type(TipMethod, "tip_method"))
    coins: Mapped[int | None] = mapped_column(sa.BigInteger)  # when paid with coins
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    ledger_transaction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_transactions.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
