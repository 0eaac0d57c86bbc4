"""The sandbox clock's one row: how far the platform's time is ahead of the base clock."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime

# The table holds this one row at most (created by the first advance if missing).
CLOCK_ROW_ID = 1


class SandboxClockOffset(Base):
    """Seconds added to the base clock outside production; it only ever grows."""

    __tablename__ = "sandbox_clock"
    __table_args__ = (
        sa.CheckConstraint(f"id = {CLOCK_ROW_ID}", name="one_row"),
        sa.CheckConstraint("offset_seconds >= 0", name="forward_only"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    offset_seconds: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # When (by the base clock) it last moved, and by whom (for the record).
    advanced_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    advanced_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
