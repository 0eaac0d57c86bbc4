"""ledger, payments, gifts, live streams, tips

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The gift catalog is reference data every deployment starts with (prices in coins).
GIFTS = [
    ("Rose", 1),
    ("Heart Me", 1),
    ("Finger Heart", 5),
    ("Rosa", 10),
    ("Perfume", 20),
    ("Doughnut", 30),
    ("Hand Hearts", 100),
    ("Confetti", 100),
    ("Corgi", 299),
    ("Money Gun", 500),
    ("Galaxy", 1000),
    ("Fireworks", 1088),
    ("Sports Car", 7000),
    ("Interstellar", 10000),
    ("Lion", 29999),
    ("Universe", 44999),
]


def upgrade() -> None:
    op.create_table(
        "gifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("coin_price", sa.Integer(), nullable=False),
        sa.Column("image_url", sa.String(length=2048), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("coin_price > 0", name=op.f("ck_gifts_coin_price_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gifts")),
        sa.UniqueConstraint("name", name=op.f("uq_gifts_name")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_idempotency_keys_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("account_id", "key", name=op.f("uq_idempotency_keys_account_id")),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "COINS",
                "DIAMONDS",
                "EARNINGS",
                "COIN_ISSUANCE",
                "COINS_SPENT",
                "DIAMOND_ISSUANCE",
                "PAYMENT_CLEARING",
                "COIN_SALES",
                "CREATOR_PAYABLES",
                name="ledger_account_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "asset",
            sa.Enum(
                "COIN",
                "DIAMOND",
                "USD",
                name="asset",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("balance", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(owner_id IS NULL AND balance IS NULL) OR (owner_id IS NOT NULL AND balance IS NOT NULL)",
            name=op.f("ck_ledger_accounts_user_accounts_cache_balance"),
        ),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_ledger_accounts_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["accounts.id"], name=op.f("fk_ledger_accounts_owner_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_accounts_key")),
    )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_accounts_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "COIN_PURCHASE",
                "GIFT",
                "TIP",
                "DIAMOND_REDEMPTION",
                "REVERSAL",
                name="transaction_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "earnings_source",
            sa.Enum(
                "GIFTS",
                "TIPS",
                name="earnings_source",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["accounts.id"], name=op.f("fk_ledger_transactions_actor_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_transactions_reverses_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_transactions_reverses_id")),
    )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_transactions_actor_id"), ["actor_id"], unique=False
        )

    op.create_table(
        "live_streams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "LIVE",
                "ENDED",
                name="live_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_live_streams_creator_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_streams")),
    )
    with op.batch_alter_table("live_streams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_streams_creator_id"), ["creator_id"], unique=False
        )
        batch_op.create_index(
            "uq_live_streams_one_live_per_creator",
            ["creator_id"],
            unique=True,
            sqlite_where=sa.text("status = 'LIVE'"),
            postgresql_where=sa.text("status = 'LIVE'"),
        )

    op.create_table(
        "gift_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("gift_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("coins", sa.BigInteger(), nullable=False),
        sa.Column("diamonds", sa.BigInteger(), nullable=False),
        sa.Column("live_id", sa.Integer(), nullable=True),
        sa.Column("video_id", sa.Integer(), nullable=True),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(live_id IS NULL) <> (video_id IS NULL)",
            name=op.f("ck_gift_sends_to_a_live_or_a_video"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_gift_sends_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_gift_sends_creator_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["gift_id"], ["gifts.id"], name=op.f("fk_gift_sends_gift_id_gifts")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_gift_sends_ledger_transaction_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["live_id"], ["live_streams.id"], name=op.f("fk_gift_sends_live_id_live_streams")
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["accounts.id"], name=op.f("fk_gift_sends_sender_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_gift_sends_video_id_videos")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_sends")),
        sa.UniqueConstraint(
            "ledger_transaction_id", name=op.f("uq_gift_sends_ledger_transaction_id")
        ),
    )
    with op.batch_alter_table("gift_sends", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gift_sends_creator_sender", ["creator_id", "sender_id"], unique=False
        )
        batch_op.create_index("ix_gift_sends_live_sender", ["live_id", "sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gift_sends_sender_id"), ["sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gift_sends_video_id"), ["video_id"], unique=False)

    op.create_table(
        "ledger_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("ledger_account_id", sa.Integer(), nullable=False),
        sa.Column(
            "asset",
            sa.Enum(
                "COIN",
                "DIAMOND",
                "USD",
                name="asset",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_postings_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["ledger_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_postings_ledger_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_postings_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_postings_account_history", ["ledger_account_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_postings_transaction_id"), ["transaction_id"], unique=False
        )

    op.create_table(
        "live_viewers",
        sa.Column("live_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_live_viewers_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["live_id"], ["live_streams.id"], name=op.f("fk_live_viewers_live_id_live_streams")
        ),
        sa.PrimaryKeyConstraint("live_id", "account_id", name=op.f("pk_live_viewers")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "COIN_PURCHASE",
                "TIP",
                name="payment_purpose",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_charge_id", sa.String(length=128), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("coins", sa.Integer(), nullable=True),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint("coins IS NULL OR coins > 0", name=op.f("ck_payments_coins_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payments_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_payments_ledger_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "ledger_transaction_id", name=op.f("uq_payments_ledger_transaction_id")
        ),
        sa.UniqueConstraint("provider_charge_id", name=op.f("uq_payments_provider_charge_id")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_account_id"), ["account_id"], unique=False)

    op.create_table(
        "tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tipper_id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "CARD",
                "COINS",
                name="tip_method",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("coins", sa.BigInteger(), nullable=True),
        sa.Column("is_anonymous", sa.Boolean(), nullable=False),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_tips_amount_positive")),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_tips_creator_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_tips_ledger_transaction_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["tipper_id"], ["accounts.id"], name=op.f("fk_tips_tipper_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
        sa.UniqueConstraint("ledger_transaction_id", name=op.f("uq_tips_ledger_transaction_id")),
    )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tips_creator_id"), ["creator_id"], unique=False)
        batch_op.create_index("ix_tips_tipper_created", ["tipper_id", "created_at"], unique=False)

    gifts = sa.table(
        "gifts",
        sa.column("name", sa.String),
        sa.column("coin_price", sa.Integer),
        sa.column("image_url", sa.String),
        sa.column("is_active", sa.Boolean),
    )
    op.bulk_insert(
        gifts,
        [
            {
                "name": name,
                "coin_price": price,
                "image_url": "https://cdn.reelpay.dev/gifts/"
                + name.lower().replace(" ", "-")
                + ".png",
                "is_active": True,
            }
            for name, price in GIFTS
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_index("ix_tips_tipper_created")
        batch_op.drop_index(batch_op.f("ix_tips_creator_id"))

    op.drop_table("tips")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_account_id"))

    op.drop_table("payments")
    op.drop_table("live_viewers")
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_postings_transaction_id"))
        batch_op.drop_index("ix_ledger_postings_account_history")

    op.drop_table("ledger_postings")
    with op.batch_alter_table("gift_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gift_sends_video_id"))
        batch_op.drop_index(batch_op.f("ix_gift_sends_sender_id"))
        batch_op.drop_index("ix_gift_sends_live_sender")
        batch_op.drop_index("ix_gift_sends_creator_sender")

    op.drop_table("gift_sends")
    with op.batch_alter_table("live_streams", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_live_streams_one_live_per_creator",
            sqlite_where=sa.text("status = 'LIVE'"),
            postgresql_where=sa.text("status = 'LIVE'"),
        )
        batch_op.drop_index(batch_op.f("ix_live_streams_creator_id"))

    op.drop_table("live_streams")
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_actor_id"))

    op.drop_table("ledger_transactions")
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_accounts_owner_id"))

    op.drop_table("ledger_accounts")
    op.drop_table("idempotency_keys")
    op.drop_table("gifts")
