"""money notifications

Fans are told of refunds and creators of tips, gifts, Series sales and Creator Rewards. Events
that would flood are batched: one notification per recipient, kind, subject and period
(`batch_key`, unique per account), whose `count` and `total` grow with each event and whose
`updated_at` orders the list, so a batch rises to the top when it changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFICATIONS_BEFORE = (
    "APPLICATION_APPROVED", "APPLICATION_REJECTED",
    "PAYOUT_METHOD_ADDED", "PAYOUT_METHOD_REMOVED", "PAYOUT_METHOD_DEFAULT_CHANGED",
    "PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID", "PAYOUT_FAILED",
)  # fmt: skip
NOTIFICATIONS = (
    *NOTIFICATIONS_BEFORE,
    "SERIES_PURCHASE_REFUNDED", "SERIES_SOLD", "TIP_RECEIVED", "GIFTS_RECEIVED",
    "REWARDS_CREDITED",
)  # fmt: skip


def _check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_notifications_notification_kind"),
            f"kind IN ({', '.join(repr(v) for v in values)})",
        )


def upgrade() -> None:
    _check(NOTIFICATIONS)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("batch_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("count", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("total", sa.BigInteger(), server_default="0", nullable=False))
    op.execute("UPDATE notifications SET updated_at = created_at")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            "ix_notifications_recent", ["account_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index("uq_notifications_batch", ["account_id", "batch_key"], unique=True)


def downgrade() -> None:
    kinds = ", ".join(repr(v) for v in NOTIFICATIONS[len(NOTIFICATIONS_BEFORE) :])
    op.execute(f"DELETE FROM notifications WHERE kind IN ({kinds})")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("uq_notifications_batch")
        batch_op.drop_index("ix_notifications_recent")
        batch_op.drop_column("total")
        batch_op.drop_column("count")
        batch_op.drop_column("batch_key")
        batch_op.drop_column("updated_at")
    _check(NOTIFICATIONS_BEFORE)
