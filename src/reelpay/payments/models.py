"""Payments taken from users through a provider."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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
