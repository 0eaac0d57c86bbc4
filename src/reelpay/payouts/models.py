"""Payout methods, schedules and payouts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import enum_column_type


class PayoutMethodKind(StrEnum):
    PAYPAL = "PAYPAL"
    BANK_ACCOUNT = "BANK_ACCOUNT"


class PayoutFrequency(StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    MANUAL = "MANUAL"


class PayoutStatus(StrEnum):
    REQUESTED = "REQUESTED"
    PROCESSING = "PROCESSING"
    PAID = "PAID"
    FAILED = "FAILED"
    # Paid, then the provider gave the money back (PayPal RETURNED/REFUNDED/REVERSED, a Stripe
    # transfer reversed in full): it is in the creator's earnings again.
    RETURNED = "RETURNED"


class PayoutTrigger(StrEnum):
    REQUESTED = "REQUESTED"  # the creator asked for it
    SCHEDULED = "SCHEDULED"  # the creator's weekly or monthly schedule


_ACTIVE = "removed_at IS NULL"


class PayoutMethod(Base):
    """Where a creator's payouts go. The destination is stored encrypted; the API reads only
    the masked form. A removed method is kept (payouts name it) but hidden."""

    __tablename__ = "payout_methods"
    __table_args__ = (
        sa.Index("ix_payout_methods_account", "account_id", "id"),
        sa.Index(
            "uq_payout_methods_one_default",
            "account_id",
            unique=True,
            sqlite_where=sa.text(f"is_default AND {_ACTIVE}"),
            postgresql_where=sa.text(f"is_default AND {_ACTIVE}"),
        ),
        sa.Index(
            "uq_payout_methods_no_duplicate",
            "account_id",
            "fingerprint",
            unique=True,
            sqlite_where=sa.text(_ACTIVE),
            postgresql_where=sa.text(_ACTIVE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    kind: Mapped[PayoutMethodKind] = mapped_column(
        enum_column_type(PayoutMethodKind, "payout_method_kind")
    )
    holder_name: Mapped[str | None] = mapped_column(sa.String(100))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    # "j•••@example.com" or "••••1234": all the API ever shows of the destination.
    masked: Mapped[str] = mapped_column(sa.String(255))  # an email is at most 254
    last4: Mapped[str | None] = mapped_column(sa.String(4))  # of the account number or IBAN
    # Fernet token of the destination's JSON (see `payouts.secrets`).
    destination: Mapped[str] = mapped_column(sa.Text)
    # HMAC of the normalised destination: the same account twice is refused.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayoutSchedule(Base):
    """A creator's payout schedule; no row means MANUAL."""

    __tablename__ = "payout_schedules"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_range"),
        sa.CheckConstraint("day_of_month BETWEEN 1 AND 31", name="day_of_month_range"),
    )

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    frequency: Mapped[PayoutFrequency] = mapped_column(
        enum_column_type(PayoutFrequency, "payout_frequency")
    )
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)  # ISO: 1 Monday .. 7 Sunday
    day_of_month: Mapped[int] = mapped_column(sa.SmallInteger)  # 1..31, clamped to month end
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The latest schedule date the job has decided (paid, or skipped because something
    # blocked it): a date the job never saw (it was not running) is still owed.
    settled_through: Mapped[date | None] = mapped_column(sa.Date)


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("attempts >= 0 AND round >= 1", name="attempts_and_round"),
        sa.Index("ix_payouts_method", "method_id"),
        sa.Index("ix_payouts_creator", "creator_id", "id"),
        sa.Index("ix_payouts_creator_day", "creator_id", "requested_on"),
        sa.Index("ix_payouts_status", "status", "id"),
        # One scheduled payout per creator and schedule date, whoever runs the job.
        sa.UniqueConstraint("creator_id", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    method_id: Mapped[int] = mapped_column(sa.ForeignKey("payout_methods.id"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    status: Mapped[PayoutStatus] = mapped_column(enum_column_type(PayoutStatus, "payout_status"))
    trigger: Mapped[PayoutTrigger] = mapped_column(
        enum_column_type(PayoutTrigger, "payout_trigger")
    )
    scheduled_for: Mapped[date | None] = mapped_column(sa.Date)
    # The UTC day the money left the available balance: what the daily cap counts.
    requested_on: Mapped[date] = mapped_column(sa.Date)
    # Provider attempts in the current round; `round` grows when staff retry a failed payout,
    # and names a new provider reference (the old one has a final answer).
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    round: Mapped[int] = mapped_column(sa.Integer, default=1)
    # The provider's idempotency key for this round: sending it again never pays twice.
    # Random, so a restored database or a staging copy never reuses a live reference.
    reference: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # When the job may (re)send it: after a backoff, or once a sender's lease ran out.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider: Mapped[str | None] = mapped_column(sa.String(32))
    provider_payout_id: Mapped[str | None] = mapped_column(sa.String(128))
    failure_code: Mapped[str | None] = mapped_column(sa.String(64))
    failure_message: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProviderAccount(Base):
    """A creator's own account at a payout provider (a Stripe Connect account): bank payouts
    go there once the provider says it can receive them."""

    __tablename__ = "provider_accounts"
    __table_args__ = (sa.UniqueConstraint("provider", "external_id"),)

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(255))  # acct_…
    # What the provider last told us (the `account.updated` webhook, or a check).
    payouts_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    details_submitted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # What the provider still needs from the creator, e.g. ["external_account"] (JSON list).
    requirements_due: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
