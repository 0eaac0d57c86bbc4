"""series

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ACCOUNT_KINDS_BEFORE = (
    "COINS", "DIAMONDS", "EARNINGS", "COIN_ISSUANCE", "COINS_SPENT", "DIAMOND_ISSUANCE",
    "PAYMENT_CLEARING", "COIN_SALES", "CREATOR_PAYABLES",
)  # fmt: skip
ACCOUNT_KINDS = (*ACCOUNT_KINDS_BEFORE, "EARNINGS_PENDING", "SERIES_REVENUE")
KINDS_BEFORE = ("COIN_PURCHASE", "GIFT", "TIP", "DIAMOND_REDEMPTION", "REWARDS_ACCRUAL", "REVERSAL")
KINDS = (*KINDS_BEFORE, "SERIES_PURCHASE", "EARNINGS_RELEASE")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


PURPOSES_BEFORE = ("COIN_PURCHASE", "TIP")
PURPOSES = (*PURPOSES_BEFORE, "SERIES_PURCHASE")


def _checks(
    account_kinds: tuple[str, ...], kinds: tuple[str, ...], purposes: tuple[str, ...]
) -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payments_payment_purpose"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_payments_payment_purpose"), _in("purpose", purposes)
        )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_accounts_ledger_account_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_ledger_accounts_ledger_account_kind"), _in("kind", account_kinds)
        )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_transactions_transaction_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_ledger_transactions_transaction_kind"), _in("kind", kinds)
        )


def upgrade() -> None:
    _checks(ACCOUNT_KINDS, KINDS, PURPOSES)
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("cover_url", sa.String(length=2048), nullable=True),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "PUBLISHED",
                "ARCHIVED",
                name="series_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("price_cents > 0", name=op.f("ck_series_price_positive")),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_series_creator_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.create_index("ix_series_creator", ["creator_id", "id"], unique=False)

    op.create_table(
        "series_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("media_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "duration_seconds > 0", name=op.f("ck_series_episodes_duration_positive")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_series_episodes_series_id_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_episodes")),
        sa.UniqueConstraint("media_key", name=op.f("uq_series_episodes_media_key")),
        sa.UniqueConstraint("series_id", "position", name=op.f("uq_series_episodes_series_id")),
    )
    with op.batch_alter_table("series_episodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_episodes_series_id"), ["series_id"], unique=False
        )

    op.create_table(
        "series_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("creator_share_cents", sa.BigInteger(), nullable=False),
        sa.Column(
            "paid_with",
            sa.Enum(
                "CARD",
                "COINS",
                name="paid_with",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("coins", sa.BigInteger(), nullable=True),
        sa.Column("provider_charge_id", sa.String(length=128), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "REFUNDED",
                name="purchase_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refundable_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["accounts.id"], name=op.f("fk_series_purchases_buyer_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_series_purchases_ledger_transaction_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["refunded_by_id"],
            ["accounts.id"],
            name=op.f("fk_series_purchases_refunded_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_series_purchases_series_id_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_purchases")),
        sa.UniqueConstraint(
            "ledger_transaction_id", name=op.f("uq_series_purchases_ledger_transaction_id")
        ),
        sa.UniqueConstraint(
            "provider_charge_id", name=op.f("uq_series_purchases_provider_charge_id")
        ),
    )
    with op.batch_alter_table("series_purchases", schema=None) as batch_op:
        batch_op.create_index("ix_series_purchases_buyer", ["buyer_id", "id"], unique=False)
        batch_op.create_index(
            "uq_series_purchases_one_active",
            ["series_id", "buyer_id"],
            unique=True,
            sqlite_where=sa.text("status = 'ACTIVE'"),
            postgresql_where=sa.text("status = 'ACTIVE'"),
        )

    op.create_table(
        "series_ratings",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_series_ratings_stars_1_to_5")),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["accounts.id"], name=op.f("fk_series_ratings_buyer_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_series_ratings_series_id_series")
        ),
        sa.PrimaryKeyConstraint("series_id", "buyer_id", name=op.f("pk_series_ratings")),
    )


def downgrade() -> None:
    _checks(ACCOUNT_KINDS_BEFORE, KINDS_BEFORE, PURPOSES_BEFORE)
    op.drop_table("series_ratings")
    with op.batch_alter_table("series_purchases", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_series_purchases_one_active",
            sqlite_where=sa.text("status = 'ACTIVE'"),
            postgresql_where=sa.text("status = 'ACTIVE'"),
        )
        batch_op.drop_index("ix_series_purchases_buyer")

    op.drop_table("series_purchases")
    with op.batch_alter_table("series_episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_episodes_series_id"))

    op.drop_table("series_episodes")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index("ix_series_creator")

    op.drop_table("series")
