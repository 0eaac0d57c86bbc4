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


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_account", "account_id", "id"),
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
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
