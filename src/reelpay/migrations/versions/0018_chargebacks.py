"""Chargebacks: card disputes and the debts a lost one leaves

`payment_disputes` records each provider dispute of one of our charges once; a LOST one points
to its CHARGEBACK ledger transaction. New enum values: the users' debt accounts (COIN_DEBT,
EARNINGS_DEBT), the platform's mirror of them (COIN_DEBTS_OWED, EARNINGS_DEBTS_OWED) and
CHARGEBACK_LOSSES; the CHARGEBACK and DEBT_SETTLEMENT transaction kinds.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_KINDS_BEFORE = (
    "COINS", "DIAMONDS", "EARNINGS", "EARNINGS_PENDING", "PAYOUTS_HELD", "COIN_ISSUANCE",
    "COINS_SPENT", "DIAMOND_ISSUANCE", "PAYMENT_CLEARING", "COIN_SALES", "CREATOR_PAYABLES",
    "SERIES_REVENUE", "PAYOUTS_SENT", "MARKETPLACE_FEES", "ESCROW", "ESCROW_RESERVED",
    "ESCROW_FEES",
)  # fmt: skip
ACCOUNT_KINDS = (
    *ACCOUNT_KINDS_BEFORE, "COIN_DEBT", "EARNINGS_DEBT", "COIN_DEBTS_OWED",
    "EARNINGS_DEBTS_OWED", "CHARGEBACK_LOSSES",
)  # fmt: skip
TRANSACTION_KINDS_BEFORE = (
    "COIN_PURCHASE", "GIFT", "TIP", "DIAMOND_REDEMPTION", "REWARDS_ACCRUAL", "SERIES_PURCHASE",
    "EARNINGS_RELEASE", "PAYOUT_HOLD", "PAYOUT_PAID", "PAYOUT_RETURN", "REVERSAL",
    "CAMPAIGN_FUNDING", "CAMPAIGN_RESERVE", "CAMPAIGN_RELEASE", "CAMPAIGN_PAYMENT",
    "CAMPAIGN_REFUND",
)  # fmt: skip
TRANSACTION_KINDS = (*TRANSACTION_KINDS_BEFORE, "CHARGEBACK", "DEBT_SETTLEMENT")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(account_kinds: tuple[str, ...], transaction_kinds: tuple[str, ...]) -> None:
    for table, name, values in (
        ("ledger_accounts", "ledger_account_kind", account_kinds),
        ("ledger_transactions", "transaction_kind", transaction_kinds),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), _in("kind", values))


def upgrade() -> None:
    op.create_table(
        "payment_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_dispute_id", sa.String(length=255), nullable=False),
        sa.Column("provider_charge_id", sa.String(length=128), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN",
                "WON",
                "LOST",
                "CLOSED",
                name="dispute_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("provider_status", sa.String(length=32), nullable=True),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=True),
        sa.Column("coins_owed", sa.BigInteger(), nullable=False),
        sa.Column("cents_owed", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payment_disputes_amount_positive")),
        sa.CheckConstraint(
            "(status = 'LOST') = (ledger_transaction_id IS NOT NULL)",
            name=op.f("ck_payment_disputes_lost_has_chargeback"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_payment_disputes_ledger_transaction_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_disputes_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_disputes")),
        sa.UniqueConstraint(
            "ledger_transaction_id", name=op.f("uq_payment_disputes_ledger_transaction_id")
        ),
        sa.UniqueConstraint(
            "provider", "provider_dispute_id", name=op.f("uq_payment_disputes_provider")
        ),
    )
    with op.batch_alter_table("payment_disputes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_disputes_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_disputes_provider_charge_id"),
            ["provider_charge_id"],
            unique=False,
        )
    _checks(ACCOUNT_KINDS, TRANSACTION_KINDS)


def downgrade() -> None:
    # Everything chargebacks wrote goes with it (a downgrade is for development only).
    op.execute(
        "DELETE FROM ledger_postings WHERE transaction_id IN (SELECT id FROM ledger_transactions"
        f" WHERE {_in('kind', TRANSACTION_KINDS[len(TRANSACTION_KINDS_BEFORE) :])})"
    )
    with op.batch_alter_table("payment_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_disputes_provider_charge_id"))
        batch_op.drop_index(batch_op.f("ix_payment_disputes_payment_id"))

    op.drop_table("payment_disputes")
    op.execute(
        "DELETE FROM ledger_transactions"
        f" WHERE {_in('kind', TRANSACTION_KINDS[len(TRANSACTION_KINDS_BEFORE) :])}"
    )
    op.execute(
        "DELETE FROM ledger_postings WHERE ledger_account_id IN (SELECT id FROM ledger_accounts"
        f" WHERE {_in('kind', ACCOUNT_KINDS[len(ACCOUNT_KINDS_BEFORE) :])})"
    )
    op.execute(
        f"DELETE FROM ledger_accounts WHERE {_in('kind', ACCOUNT_KINDS[len(ACCOUNT_KINDS_BEFORE) :])}"
    )
    _checks(ACCOUNT_KINDS_BEFORE, TRANSACTION_KINDS_BEFORE)
