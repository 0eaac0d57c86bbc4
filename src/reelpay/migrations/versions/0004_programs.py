"""programs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


KINDS_BEFORE = ("COIN_PURCHASE", "GIFT", "TIP", "DIAMOND_REDEMPTION", "REVERSAL")
KINDS = ("COIN_PURCHASE", "GIFT", "TIP", "DIAMOND_REDEMPTION", "REWARDS_ACCRUAL", "REVERSAL")
SOURCES_BEFORE = ("GIFTS", "TIPS")
# Every source the payouts report by, added at once so later features need no CHECK change.
SOURCES = ("REWARDS", "GIFTS", "TIPS", "SERIES", "MARKETPLACE")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ledger_checks(kinds: tuple[str, ...], sources: tuple[str, ...]) -> None:
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_transactions_transaction_kind"), type_="check")
        batch_op.drop_constraint(op.f("ck_ledger_transactions_earnings_source"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_ledger_transactions_transaction_kind"), _in("kind", kinds)
        )
        batch_op.create_check_constraint(
            op.f("ck_ledger_transactions_earnings_source"), _in("earnings_source", sources)
        )


def upgrade() -> None:
    _ledger_checks(KINDS, SOURCES)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "APPLICATION_APPROVED",
                "APPLICATION_REJECTED",
                name="notification_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_notifications_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_account", ["account_id", "id"], unique=False)
        batch_op.create_index(
            "ix_notifications_unread",
            ["account_id"],
            unique=False,
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        )

    op.create_table(
        "program_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                "CREATOR_REWARDS",
                "SERIES",
                "TIPS",
                "LIVE_GIFTS",
                "CREATOR_MARKETPLACE",
                name="program",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "APPROVED",
                "REJECTED",
                name="application_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("premium_content_url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("rejection_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_program_applications_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["accounts.id"],
            name=op.f("fk_program_applications_decided_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_applications")),
    )
    with op.batch_alter_table("program_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_program_applications_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_program_applications_queue", ["status", "program", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_program_applications_one_pending",
            ["account_id", "program"],
            unique=True,
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        )

    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                "CREATOR_REWARDS",
                "SERIES",
                "TIPS",
                "LIVE_GIFTS",
                "CREATOR_MARKETPLACE",
                name="program",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_enrolments_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["program_applications.id"],
            name=op.f("fk_enrolments_application_id_program_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint("account_id", "program", name=op.f("uq_enrolments_account_id")),
    )
    op.create_table(
        "rewards_accruals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("qualified_views", sa.BigInteger(), nullable=False),
        sa.Column("cents", sa.BigInteger(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "qualified_views >= 0 AND cents >= 0", name=op.f("ck_rewards_accruals_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_rewards_accruals_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_rewards_accruals_ledger_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards_accruals")),
        sa.UniqueConstraint("account_id", "day", name=op.f("uq_rewards_accruals_account_id")),
        sa.UniqueConstraint(
            "ledger_transaction_id", name=op.f("uq_rewards_accruals_ledger_transaction_id")
        ),
    )
    with op.batch_alter_table("rewards_accruals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rewards_accruals_day"), ["day"], unique=False)


def downgrade() -> None:
    _ledger_checks(KINDS_BEFORE, SOURCES_BEFORE)
    with op.batch_alter_table("rewards_accruals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rewards_accruals_day"))

    op.drop_table("rewards_accruals")
    op.drop_table("enrolments")
    with op.batch_alter_table("program_applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_program_applications_one_pending",
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        )
        batch_op.drop_index("ix_program_applications_queue")
        batch_op.drop_index(batch_op.f("ix_program_applications_account_id"))

    op.drop_table("program_applications")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notifications_unread",
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        )
        batch_op.drop_index("ix_notifications_account")

    op.drop_table("notifications")
