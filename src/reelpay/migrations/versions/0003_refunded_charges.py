"""refunded charges

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refunded_charges",
        sa.Column("provider_charge_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_refunded_charges_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("provider_charge_id", name=op.f("pk_refunded_charges")),
    )
    with op.batch_alter_table("refunded_charges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refunded_charges_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("refunded_charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunded_charges_account_id"))

    op.drop_table("refunded_charges")
