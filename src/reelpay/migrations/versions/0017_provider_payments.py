"""Real payment and payout providers: pending card payments, webhook events, Connect accounts

`pending_payments` remembers a card payment the provider has not finished (3-D Secure,
processing) and what it pays for, so it is credited once when it succeeds. `provider_events`
stores each webhook event id once. `provider_accounts` holds a creator"s Stripe Connect account.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_events",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name=op.f("pk_provider_events")),
    )
    op.create_table(
        "pending_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_key", sa.String(length=128), nullable=False),
        sa.Column("provider_charge_id", sa.String(length=128), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "REQUIRES_ACTION",
                "PROCESSING",
                "SUCCEEDED",
                "FAILED",
                name="card_payment_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_pending_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_pending_payments_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_payments")),
        sa.UniqueConstraint(
            "provider_charge_id", name=op.f("uq_pending_payments_provider_charge_id")
        ),
        sa.UniqueConstraint("provider_key", name=op.f("uq_pending_payments_provider_key")),
    )
    with op.batch_alter_table("pending_payments", schema=None) as batch_op:
        batch_op.create_index("ix_pending_payments_account", ["account_id", "id"], unique=False)

    op.create_table(
        "provider_accounts",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("requirements_due", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_provider_accounts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "provider", name=op.f("pk_provider_accounts")),
        sa.UniqueConstraint("provider", "external_id", name=op.f("uq_provider_accounts_provider")),
    )


def downgrade() -> None:
    op.drop_table("provider_accounts")
    with op.batch_alter_table("pending_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_payments_account")

    op.drop_table("pending_payments")
    op.drop_table("provider_events")
