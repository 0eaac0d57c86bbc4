"""Programs, their terms versions, applications to them, enrolments and the Creator Rewards
accruals."""

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


class ProgramTerms(Base):
    """One published version of a program's terms. A program's current terms are its latest
    version (the greatest id); versions are never changed or deleted."""

    __tablename__ = "program_terms"
    __table_args__ = (
        sa.UniqueConstraint("program", "version"),
        sa.Index("ix_program_terms_current", "program", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program: Mapped[Program] = mapped_column(enum_column_type(Program, "program", length=32))
    # The label creators accept, e.g. "2" or "2026-12"; unique per program.
    version: Mapped[str] = mapped_column(sa.String(32))
    url: Mapped[str] = mapped_column(sa.String(2048))  # where the terms' text is
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Null for the first versions, which the migration recorded.
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))


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
    # The terms version accepted and the age confirmed when applying (null on applications
    # from before terms were recorded).
    terms_id: Mapped[int | None] = mapped_column(sa.ForeignKey("program_terms.id"))
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    age_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Enrolment(Base):
    """An account approved into a program. Whether it is active follows the account (pure
    `enrolment.suspension_reasons`), so nothing here changes when a ban comes and goes."""

    __tablename__ = "enrolments"
    # AUTOINCREMENT on SQLite: leaving deletes the row, and its ID must never come back.
    __table_args__ = (sa.UniqueConstraint("account_id", "program"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    program: Mapped[Program] = mapped_column(enum_column_type(Program, "program", length=32))
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("program_applications.id"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set while the creator has paused this program's feature: no new money, earned money stays.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The terms version last accepted (copied from the application, then `acceptProgramTerms`),
    # when, and when the age was confirmed with it; null: none accepted yet.
    terms_id: Mapped[int | None] = mapped_column(sa.ForeignKey("program_terms.id"))
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    age_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the program's current terms are not the ones accepted (since a new version was
    # published, or the enrolment began on an older one): no new money, like a pause. Kept on
    # the row so the money paths read it with `paused_at` (programs/terms.py keeps it true).
    terms_outstanding_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


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
