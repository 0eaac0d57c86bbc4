"""Ledger tables: accounts, immutable transactions and their postings, and idempotency keys.

A user's ledger accounts cache their balance (checked never to go negative by the database);
the platform's accounts do not, so no single platform row becomes a lock every payment waits
for: their balances are the sum of their postings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import enum_column_type


class Asset(StrEnum):
    COIN = "COIN"
    DIAMOND = "DIAMOND"
    USD = "USD"  # in cents


class LedgerAccountKind(StrEnum):
    # a user's
    COINS = "COINS"
    DIAMONDS = "DIAMONDS"
    EARNINGS = "EARNINGS"  # USD the creator has earned and may withdraw
    EARNINGS_PENDING = "EARNINGS_PENDING"  # earned, held until a refund window closes
    PAYOUTS_HELD = "PAYOUTS_HELD"  # taken from earnings for a payout that is on its way
    # What a user owes after a lost chargeback (never negative; see payments/chargebacks.py):
    COIN_DEBT = "COIN_DEBT"  # coins spent from a purchase the card holder took back
    EARNINGS_DEBT = "EARNINGS_DEBT"  # a creator's share of a charged-back payment, paid out
    # the platform's
    COIN_ISSUANCE = "COIN_ISSUANCE"  # coins come into being when sold
    COINS_SPENT = "COINS_SPENT"  # coins spent on gifts and tips end here
    DIAMOND_ISSUANCE = "DIAMOND_ISSUANCE"  # diamonds created by gifts, retired on redemption
    PAYMENT_CLEARING = "PAYMENT_CLEARING"  # money the payment provider collected for us
    COIN_SALES = "COIN_SALES"  # revenue from coin packages
    CREATOR_PAYABLES = "CREATOR_PAYABLES"  # what the platform owes creators from its revenue
    SERIES_REVENUE = "SERIES_REVENUE"  # the platform's share of Series sales paid by card
    PAYOUTS_SENT = "PAYOUTS_SENT"  # money the payout provider sent to creators
    MARKETPLACE_FEES = "MARKETPLACE_FEES"  # platform fees brands paid on campaigns
    # Minus every user's COIN_DEBT / EARNINGS_DEBT: the other side of recording a debt (a
    # user's balance is never negative, so what they owe is a positive balance mirrored here).
    COIN_DEBTS_OWED = "COIN_DEBTS_OWED"
    EARNINGS_DEBTS_OWED = "EARNINGS_DEBTS_OWED"
    # Money lost to chargebacks: paid-out creator shares not yet recovered, campaign fundings.
    CHARGEBACK_LOSSES = "CHARGEBACK_LOSSES"
    # a campaign's (Creator Marketplace escrow)
    ESCROW = "ESCROW"  # funded by the brand, not reserved for anyone
    ESCROW_RESERVED = "ESCROW_RESERVED"  # set aside for accepted creators
    ESCROW_FEES = "ESCROW_FEES"  # the platform fee paid on top, settled when it ends


ASSET_OF: dict[LedgerAccountKind, Asset] = {
    LedgerAccountKind.COINS: Asset.COIN,
    LedgerAccountKind.DIAMONDS: Asset.DIAMOND,
    LedgerAccountKind.EARNINGS: Asset.USD,
    LedgerAccountKind.EARNINGS_PENDING: Asset.USD,
    LedgerAccountKind.COIN_ISSUANCE: Asset.COIN,
    LedgerAccountKind.COINS_SPENT: Asset.COIN,
    LedgerAccountKind.DIAMOND_ISSUANCE: Asset.DIAMOND,
    LedgerAccountKind.PAYMENT_CLEARING: Asset.USD,
    LedgerAccountKind.COIN_SALES: Asset.USD,
    LedgerAccountKind.CREATOR_PAYABLES: Asset.USD,
    LedgerAccountKind.SERIES_REVENUE: Asset.USD,
    LedgerAccountKind.PAYOUTS_HELD: Asset.USD,
    LedgerAccountKind.PAYOUTS_SENT: Asset.USD,
    LedgerAccountKind.MARKETPLACE_FEES: Asset.USD,
    LedgerAccountKind.ESCROW: Asset.USD,
    LedgerAccountKind.ESCROW_RESERVED: Asset.USD,
    LedgerAccountKind.ESCROW_FEES: Asset.USD,
    LedgerAccountKind.COIN_DEBT: Asset.COIN,
    LedgerAccountKind.EARNINGS_DEBT: Asset.USD,
    LedgerAccountKind.COIN_DEBTS_OWED: Asset.COIN,
    LedgerAccountKind.EARNINGS_DEBTS_OWED: Asset.USD,
    LedgerAccountKind.CHARGEBACK_LOSSES: Asset.USD,
}

USER_KINDS = frozenset(
    {
        LedgerAccountKind.COINS,
        LedgerAccountKind.DIAMONDS,
        LedgerAccountKind.EARNINGS,
        LedgerAccountKind.EARNINGS_PENDING,
        LedgerAccountKind.PAYOUTS_HELD,
        LedgerAccountKind.COIN_DEBT,
        LedgerAccountKind.EARNINGS_DEBT,
    }
)

CAMPAIGN_KINDS = frozenset(
    {LedgerAccountKind.ESCROW, LedgerAccountKind.ESCROW_RESERVED, LedgerAccountKind.ESCROW_FEES}
)


class TransactionKind(StrEnum):
    COIN_PURCHASE = "COIN_PURCHASE"
    GIFT = "GIFT"
    TIP = "TIP"
    DIAMOND_REDEMPTION = "DIAMOND_REDEMPTION"
    REWARDS_ACCRUAL = "REWARDS_ACCRUAL"
    SERIES_PURCHASE = "SERIES_PURCHASE"
    EARNINGS_RELEASE = "EARNINGS_RELEASE"  # pending earnings become available
    PAYOUT_HOLD = "PAYOUT_HOLD"  # earnings set aside for a payout
    PAYOUT_PAID = "PAYOUT_PAID"  # the provider sent the payout
    # A payout's money back to the earnings: a failed one's (from PAYOUTS_HELD) or a paid one
    # the provider gave back (from the platform's PAYOUTS_SENT; the payout is RETURNED).
    PAYOUT_RETURN = "PAYOUT_RETURN"
    REVERSAL = "REVERSAL"
    CAMPAIGN_FUNDING = "CAMPAIGN_FUNDING"  # a brand's card charge into escrow
    CAMPAIGN_RESERVE = "CAMPAIGN_RESERVE"  # escrow set aside for an accepted creator
    CAMPAIGN_RELEASE = "CAMPAIGN_RELEASE"  # a reservation no longer needed, back to escrow
    CAMPAIGN_PAYMENT = "CAMPAIGN_PAYMENT"  # reserved escrow to a creator's earnings
    CAMPAIGN_REFUND = "CAMPAIGN_REFUND"  # escrow (and its fee) back to the brand's card
    CHARGEBACK = "CHARGEBACK"  # a lost card dispute: the money went back to the card holder
    DEBT_SETTLEMENT = "DEBT_SETTLEMENT"  # a creator's debt paid from their earnings


class EarningsSource(StrEnum):
    """Where a creator's USD earnings came from (payouts report per source)."""

    REWARDS = "REWARDS"
    GIFTS = "GIFTS"
    TIPS = "TIPS"
    SERIES = "SERIES"
    MARKETPLACE = "MARKETPLACE"


class LedgerAccount(Base):
    """A user's (owner_id), a campaign's (campaign_id, its escrow) or the platform's (neither).
    User and campaign accounts cache their balance, which never goes negative."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.CheckConstraint(
            "(owner_id IS NULL AND campaign_id IS NULL AND balance IS NULL)"
            " OR (owner_id IS NOT NULL AND campaign_id IS NULL AND balance IS NOT NULL)"
            " OR (owner_id IS NULL AND campaign_id IS NOT NULL AND balance IS NOT NULL)",
            name="user_accounts_cache_balance",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "user:<id>:<KIND>", "campaign:<id>:<KIND>" or "platform:<KIND>": one row per owner and
    # kind on every backend.
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    kind: Mapped[LedgerAccountKind] = mapped_column(
        enum_column_type(LedgerAccountKind, "ledger_account_kind", length=32)
    )
    asset: Mapped[Asset] = mapped_column(enum_column_type(Asset, "asset"))
    balance: Mapped[int | None] = mapped_column(sa.BigInteger)


class LedgerTransaction(Base):
    """One movement of value; never updated. A correction is a new REVERSAL transaction."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TransactionKind] = mapped_column(
        enum_column_type(TransactionKind, "transaction_kind", length=32)
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    earnings_source: Mapped[EarningsSource | None] = mapped_column(
        enum_column_type(EarningsSource, "earnings_source")
    )
    # A transaction is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_transactions.id"), unique=True
    )
    memo: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        sa.Index("ix_ledger_postings_account_history", "ledger_account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    ledger_account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"))
    asset: Mapped[Asset] = mapped_column(enum_column_type(Asset, "asset"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    # The account's balance right after this posting (user accounts only).
    balance_after: Mapped[int | None] = mapped_column(sa.BigInteger)


class IdempotencyKey(Base):
    """A client's key for one money operation, with what the first request returned."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    key: Mapped[str] = mapped_column(sa.String(128))
    operation: Mapped[str] = mapped_column(sa.String(64))
    # SHA-256 of the operation's arguments: the same key with other arguments is refused.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EarningsHold(Base):
    """Earnings credited as pending (a configured hold) and when they become available."""

    __tablename__ = "earnings_holds"
    __table_args__ = (
        sa.Index(
            "ix_earnings_holds_due",
            "release_at",
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The transaction that credited EARNINGS_PENDING; its source is the hold's source.
    transaction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_transactions.id"), unique=True
    )
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    source: Mapped[EarningsSource] = mapped_column(
        enum_column_type(EarningsSource, "earnings_source")
    )
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    release_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
