"""Payments taken from users through a provider."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import enum_column_type


class PaymentPurpose(StrEnum):
    COIN_PURCHASE = "COIN_PURCHASE"
    TIP = "TIP"
    SERIES_PURCHASE = "SERIES_PURCHASE"
    CAMPAIGN_FUNDING = "CAMPAIGN_FUNDING"


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("coins IS NULL OR coins > 0", name="coins_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    purpose: Mapped[PaymentPurpose] = mapped_column(
        enum_column_type(PaymentPurpose, "payment_purpose")
    )
    provider: Mapped[str] = mapped_column(sa.String(32))
    # A provider charge is credited once, whatever retries happen.
    provider_charge_id: Mapped[str] = mapped_column(sa.String(128), unique=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    coins: Mapped[int | None] = mapped_column(sa.Integer)  # for coin purchases
    ledger_transaction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_transactions.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RefundedCharge(Base):
    """A charge we refunded because recording it was refused: it may never be credited.

    A retry with the same idempotency key gets the same charge back from the provider; this
    table is what tells us not to credit it then.
    """

    __tablename__ = "refunded_charges"

    provider_charge_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(32))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CardPaymentStatus(StrEnum):
    REQUIRES_ACTION = "REQUIRES_ACTION"  # the payer must finish an action (3-D Secure)
    PROCESSING = "PROCESSING"  # the provider is still working on it
    SUCCEEDED = "SUCCEEDED"  # credited (the `result` names what it bought)
    FAILED = "FAILED"  # the provider refused it, or it was refunded because it could not be
    # credited: nothing was taken, or it was given back


class PendingPayment(Base):
    """A card payment the provider has not finished when the mutation answered (3-D Secure,
    `processing`). It remembers what the payment is for, so the provider's webhook (or the
    payer's retry with the same idempotency key) credits it exactly once when it succeeds."""

    __tablename__ = "pending_payments"
    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.Index("ix_pending_payments_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    operation: Mapped[str] = mapped_column(sa.String(32))  # purchaseCoins, sendTip, ...
    provider: Mapped[str] = mapped_column(sa.String(32))
    # The key the provider saw (`charging.provider_key`): one per request and its arguments.
    provider_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    provider_charge_id: Mapped[str] = mapped_column(sa.String(128), unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(128))  # the client's
    arguments: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # the request's, to credit it
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[CardPaymentStatus] = mapped_column(
        enum_column_type(CardPaymentStatus, "card_payment_status")
    )
    failure_code: Mapped[str | None] = mapped_column(sa.String(64))
    failure_message: Mapped[str | None] = mapped_column(sa.String(500))
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # once SUCCEEDED
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProviderEvent(Base):
    """A webhook event we received, stored once: a replay or a late duplicate is a no-op."""

    __tablename__ = "provider_events"

    provider: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DisputeStatus(StrEnum):
    OPEN = "OPEN"  # the card holder disputed the charge; the provider holds the amount
    WON = "WON"  # decided for us: nothing moves
    LOST = "LOST"  # decided for the card holder: the money went back (a CHARGEBACK transaction)
    CLOSED = "CLOSED"  # closed without a decision against us (e.g. Stripe's warning_closed)


class PaymentDispute(Base):
    """A card holder's dispute of one of our charges (a chargeback), one row per provider
    dispute; a LOST one points to the CHARGEBACK ledger transaction that gave the money back
    (see payments/chargebacks.py)."""

    __tablename__ = "payment_disputes"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_dispute_id"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(
            "(status = 'LOST') = (ledger_transaction_id IS NOT NULL)", name="lost_has_chargeback"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(32))
    provider_dispute_id: Mapped[str] = mapped_column(sa.String(255))
    provider_charge_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)  # disputed (the final amount)
    currency: Mapped[str] = mapped_column(sa.String(3))
    reason: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[DisputeStatus] = mapped_column(enum_column_type(DisputeStatus, "dispute_status"))
    provider_status: Mapped[str | None] = mapped_column(sa.String(32))  # the provider's final
    ledger_transaction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_transactions.id"), unique=True
    )
    # What a LOST dispute could not take back: coins owed by the buyer (a coin purchase) or
    # cents owed by the creator (their share was paid out), for staff to read.
    coins_owed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cents_owed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
