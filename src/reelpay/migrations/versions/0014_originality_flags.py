"""Staff flags of unoriginal videos (the ORIGINAL_CONTENT criterion)

Staff flag a video as unoriginal with a reason (`video_originality_flags`) and may clear a flag
raised by mistake (`cleared_at`, `cleared_by_id`, set together). The owner is told
(notification kind VIDEO_FLAGGED_UNORIGINAL).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The notification kinds of 0013 (0011's and PROGRAM_TERMS_UPDATED), then this revision's.
NOTIFICATIONS_BEFORE = (
    "APPLICATION_APPROVED", "APPLICATION_REJECTED",
    "PAYOUT_METHOD_ADDED", "PAYOUT_METHOD_REMOVED", "PAYOUT_METHOD_DEFAULT_CHANGED",
    "PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID", "PAYOUT_FAILED",
    "SERIES_PURCHASE_REFUNDED", "SERIES_SOLD", "TIP_RECEIVED", "GIFTS_RECEIVED",
    "REWARDS_CREDITED", "PROGRAM_TERMS_UPDATED",
)  # fmt: skip
NOTIFICATIONS = (*NOTIFICATIONS_BEFORE, "VIDEO_FLAGGED_UNORIGINAL")


def _check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_notifications_notification_kind"),
            f"kind IN ({', '.join(repr(v) for v in values)})",
        )


def upgrade() -> None:
    op.create_table(
        "video_originality_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("flagged_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(cleared_at IS NULL) = (cleared_by_id IS NULL)",
            name=op.f("ck_video_originality_flags_cleared_with_who"),
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_video_originality_flags_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flagged_by_id"],
            ["accounts.id"],
            name=op.f("fk_video_originality_flags_flagged_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["cleared_by_id"],
            ["accounts.id"],
            name=op.f("fk_video_originality_flags_cleared_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_originality_flags")),
    )
    op.create_index(
        "ix_video_originality_flags_video",
        "video_originality_flags",
        ["video_id", "created_at"],
        unique=False,
    )
    _check(NOTIFICATIONS)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'VIDEO_FLAGGED_UNORIGINAL'")
    _check(NOTIFICATIONS_BEFORE)
    op.drop_index("ix_video_originality_flags_video", table_name="video_originality_flags")
    op.drop_table("video_originality_flags")
