"""payouts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_KINDS_BEFORE = (
    "COINS", "DIAMONDS", "EARNINGS", "COIN_ISSUANCE", "COINS_SPENT", "DIAMOND_ISSUANCE",
    "PAYMENT_CLEARING", "COIN_SALES", "CREATOR_PAYABLES", "EARNINGS_PENDING", "SERIES_REVENUE",
)  # fmt: skip
ACCOUNT_KINDS = (*ACCOUNT_KINDS_BEFORE, "PAYOUTS_HELD", "PAYOUTS_SENT")
KINDS_BEFORE = (
    "COIN_PURCHASE", "GIFT", "TIP", "DIAMOND_REDEMPTION", "REWARDS_ACCRUAL", "REVERSAL",
    "SERIES_PURCHASE", "EARNINGS_RELEASE",
)  # fmt: skip
KINDS = (*KINDS_BEFORE, "PAYOUT_HOLD", "PAYOUT_PAID", "PAYOUT_RETURN")
NOTIFICATIONS_BEFORE = ("APPLICATION_APPROVED", "APPLICATION_REJECTED")
NOTIFICATIONS = (
    *NOTIFICATIONS_BEFORE,
    "PAYOUT_METHOD_ADDED", "PAYOUT_METHOD_REMOVED", "PAYOUT_METHOD_DEFAULT_CHANGED",
    "PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID", "PAYOUT_FAILED",
)  # fmt: skip


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(
    account_kinds: tuple[str, ...], kinds: tuple[str, ...], notifications: tuple[str, ...]
) -> None:
    for table, name, column, values in (
        ("ledger_accounts", "ledger_account_kind", "kind", account_kinds),
        ("ledger_transactions", "transaction_kind", "kind", kinds),
        ("notifications", "notification_kind", "kind", notifications),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), _in(column, values))


def upgrade() -> None:
    _checks(ACCOUNT_KINDS, KINDS, NOTIFICATIONS)
    op.create_table(
        "payout_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PAYPAL",
                "BANK_ACCOUNT",
                name="payout_method_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("holder_name", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("masked", sa.String(length=255), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=True),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payout_methods_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_methods")),
    )
    with op.batch_alter_table("payout_methods", schema=None) as batch_op:
        batch_op.create_index("ix_payout_methods_account", ["account_id", "id"], unique=False)
        batch_op.create_index(
            "uq_payout_methods_no_duplicate",
            ["account_id", "fingerprint"],
            unique=True,
            sqlite_where=sa.text("removed_at IS NULL"),
            postgresql_where=sa.text("removed_at IS NULL"),
        )
        batch_op.create_index(
            "uq_payout_methods_one_default",
            ["account_id"],
            unique=True,
            sqlite_where=sa.text("is_default AND removed_at IS NULL"),
            postgresql_where=sa.text("is_default AND removed_at IS NULL"),
        )

    op.create_table(
        "payout_schedules",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "frequency",
            sa.Enum(
                "WEEKLY",
                "MONTHLY",
                "MANUAL",
                name="payout_frequency",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("day_of_month", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_through", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "day_of_month BETWEEN 1 AND 31", name=op.f("ck_payout_schedules_day_of_month_range")
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 1 AND 7", name=op.f("ck_payout_schedules_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payout_schedules_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_payout_schedules")),
    )
    op.create_table(
        "earnings_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "REWARDS",
                "GIFTS",
                "TIPS",
                "SERIES",
                "MARKETPLACE",
                name="earnings_source",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("release_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["accounts.id"], name=op.f("fk_earnings_holds_owner_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_earnings_holds_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_earnings_holds")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_earnings_holds_transaction_id")),
    )
    with op.batch_alter_table("earnings_holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_earnings_holds_due",
            ["release_at"],
            unique=False,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )

    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("method_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "REQUESTED",
                "PROCESSING",
                "PAID",
                "FAILED",
                name="payout_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "trigger",
            sa.Enum(
                "REQUESTED",
                "SCHEDULED",
                name="payout_trigger",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_payout_id", sa.String(length=128), nullable=True),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payouts_amount_positive")),
        sa.CheckConstraint(
            "attempts >= 0 AND round >= 1", name=op.f("ck_payouts_attempts_and_round")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_payouts_creator_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["method_id"], ["payout_methods.id"], name=op.f("fk_payouts_method_id_payout_methods")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("creator_id", "scheduled_for", name=op.f("uq_payouts_creator_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_payouts_reference")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index("ix_payouts_creator", ["creator_id", "id"], unique=False)
        batch_op.create_index(
            "ix_payouts_creator_day", ["creator_id", "requested_on"], unique=False
        )
        batch_op.create_index("ix_payouts_status", ["status", "id"], unique=False)
        batch_op.create_index("ix_payouts_method", ["method_id"], unique=False)


def downgrade() -> None:
    held = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM ledger_accounts WHERE kind IN ('PAYOUTS_HELD', 'PAYOUTS_SENT')"
        )
    )
    if held:
        # Dropping the payout tables would strand held money and erase what was paid.
        raise RuntimeError(
            "0006 cannot be downgraded: payouts have moved money (restore a backup instead)"
        )
    _checks(ACCOUNT_KINDS_BEFORE, KINDS_BEFORE, NOTIFICATIONS_BEFORE)
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_payouts_method")
        batch_op.drop_index("ix_payouts_status")
        batch_op.drop_index("ix_payouts_creator_day")
        batch_op.drop_index("ix_payouts_creator")

    op.drop_table("payouts")
    with op.batch_alter_table("earnings_holds", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_earnings_holds_due",
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )

    op.drop_table("earnings_holds")
    op.drop_table("payout_schedules")
    with op.batch_alter_table("payout_methods", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payout_methods_one_default",
            sqlite_where=sa.text("is_default AND removed_at IS NULL"),
            postgresql_where=sa.text("is_default AND removed_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_payout_methods_no_duplicate",
            sqlite_where=sa.text("removed_at IS NULL"),
            postgresql_where=sa.text("removed_at IS NULL"),
        )
        batch_op.drop_index("ix_payout_methods_account")

    op.drop_table("payout_methods")
