"""Notifications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import enum_column_type


class NotificationKind(StrEnum):
    APPLICATION_APPROVED = "APPLICATION_APPROVED"
    APPLICATION_REJECTED = "APPLICATION_REJECTED"
    PAYOUT_METHOD_ADDED = "PAYOUT_METHOD_ADDED"
    PAYOUT_METHOD_REMOVED = "PAYOUT_METHOD_REMOVED"
    PAYOUT_METHOD_DEFAULT_CHANGED = "PAYOUT_METHOD_DEFAULT_CHANGED"
    PAYOUT_REQUESTED = "PAYOUT_REQUESTED"
    PAYOUT_PROCESSING = "PAYOUT_PROCESSING"
    PAYOUT_PAID = "PAYOUT_PAID"
    PAYOUT_FAILED = "PAYOUT_FAILED"
    PAYOUT_RETURNED = "PAYOUT_RETURNED"  # a paid payout's money came back to the earnings
    SERIES_PURCHASE_REFUNDED = "SERIES_PURCHASE_REFUNDED"
    SERIES_SOLD = "SERIES_SOLD"
    TIP_RECEIVED = "TIP_RECEIVED"
    GIFTS_RECEIVED = "GIFTS_RECEIVED"
    REWARDS_CREDITED = "REWARDS_CREDITED"
    PROGRAM_TERMS_UPDATED = "PROGRAM_TERMS_UPDATED"
    VIDEO_FLAGGED_UNORIGINAL = "VIDEO_FLAGGED_UNORIGINAL"
    # Creator Marketplace and sponsored challenges
    CAMPAIGN_APPLICATION = "CAMPAIGN_APPLICATION"  # to the brand: a creator applied
    CAMPAIGN_INVITATION = "CAMPAIGN_INVITATION"  # to the creator: a brand invited them
    PROPOSAL_DECLINED = "PROPOSAL_DECLINED"  # to the sender of an application or invitation
    DEAL_STARTED = "DEAL_STARTED"  # to both: an application or invitation was accepted
    DEAL_SUBMITTED = "DEAL_SUBMITTED"  # to the brand: videos to review
    DEAL_CHANGES_REQUESTED = "DEAL_CHANGES_REQUESTED"  # to the creator
    DEAL_APPROVED = "DEAL_APPROVED"  # to both (by the brand or automatically)
    DEAL_CANCELLED = "DEAL_CANCELLED"  # to both
    MARKETPLACE_PAYMENT = "MARKETPLACE_PAYMENT"  # to the creator: money from a campaign
    DEAL_DISPUTED = "DEAL_DISPUTED"  # to the other side
    DISPUTE_RESOLVED = "DISPUTE_RESOLVED"  # to both
    CHALLENGE_RESULTS = "CHALLENGE_RESULTS"  # to every entrant and the brand
    CAMPAIGN_REFUNDED = "CAMPAIGN_REFUNDED"  # to the brand: unused escrow on its way back


class Notification(Base):
    """One thing a user is told. A batched one (`batch_key` set) tells of many events of one
    kind about one subject in one period (gifts on a video in a UTC day): each event adds to
    `count` and `total`, rewrites the body, marks it unread and moves `updated_at`."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_account", "account_id", "id"),
        sa.Index("ix_notifications_recent", "account_id", "updated_at", "id"),
        # One row per batch, so concurrent events add to it instead of starting a second.
        sa.Index("uq_notifications_batch", "account_id", "batch_key", unique=True),
        sa.Index(
            "ix_notifications_unread",
            "account_id",
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column_type(NotificationKind, "notification_kind", length=32)
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(1000))
    # What it is about, e.g. {"applicationId": 7}.
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it last changed: the list is newest first by this (a batch rises with each event).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None for a notification of one event; else e.g. "GIFTS_RECEIVED:video:7:2026-12-05".
    batch_key: Mapped[str | None] = mapped_column(sa.String(100))
    # How many things it tells of (gifts, tips, sales; 1 unless batched) and their sum in the
    # kind's unit (diamonds for gifts, US cents otherwise; 0 when it has none).
    count: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    total: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
