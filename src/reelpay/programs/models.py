"""Programs, applications to them, enrolments and the Creator Rewards accruals."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import enum_column_type


class Program(StrEnum):
    CREATOR_REWARDS = "CREATOR_REWARDS"
    SERIES = "SERIES"
    TIPS = "TIPS"
    LIVE_GIFTS = "LIVE_GIFTS"
    CREATOR_MARKETPLACE = "CREATOR_MARKETPLACE"


class ApplicationStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"  # by the applicant, while it was PENDING


class ProgramApplication(Base):
    __tablename__ = "program_applications"
    __table_args__ = (
        # One open application per account and program.
        sa.Index(
            "uq_program_applications_one_pending",
            "account_id",
            "program",
            unique=True,
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        ),
        sa.Index("ix_program_applications_queue", "status", "program", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    program: Mapped[Program] = mapped_column(enum_column_type(Program, "program", length=32))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column_type(ApplicationStatus, "application_status")
    )
    # Series only: a link to premium content sold elsewhere (the under-10,000-followers path).
    premium_content_url: Mapped[str | None] = mapped_column(sa.String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(500))


class Enrolment(Base):
    """An account approved into a program. Whether it is active follows the account (pure
    `enrolment.suspension_reasons`), so nothing here changes when a ban comes and goes."""

    __tablename__ = "enrolments"
    __table_args__ = (sa.UniqueConstraint("account_id", "program"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    program: Mapped[Program] = mapped_column(enum_column_type(Program, "program", length=32))
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("program_applications.id"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set while the creator has paused this program's feature: no new money, earned money stays.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RewardsAccrual(Base):
    """What one creator earned from Creator Rewards for one UTC day (credited once)."""

    __tablename__ = "rewards_accruals"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "day"),
        sa.CheckConstraint("qualified_views >= 0 AND cents >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    qualified_views: Mapped[int] = mapped_column(sa.BigInteger)
    cents: Mapped[int] = mapped_column(sa.BigInteger)
    # The creator was suspended when the day was settled: it earned nothing, and never will.
    suspended: Mapped[bool] = mapped_column(default=False)
    # Null when nothing was earned (no ledger transaction moves zero).
    ledger_transaction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_transactions.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
