"""accounts, sessions, videos, views, pins, follows

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("handle", sa.String(length=32), nullable=False),
        sa.Column("handle_key", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("bio", sa.String(length=500), nullable=False),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "PUBLIC",
                "PRIVATE",
                name="visibility",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "account_type",
            sa.Enum(
                "PERSONAL",
                "BUSINESS",
                name="account_type",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "role",
            sa.Enum(
                "USER", "STAFF", name="role", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "standing",
            sa.Enum(
                "GOOD",
                "WARNED",
                "RESTRICTED",
                "BANNED",
                name="standing",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("is_political", sa.Boolean(), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("website_url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
        sa.UniqueConstraint("handle_key", name=op.f("uq_accounts_handle_key")),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_auth_sessions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "daily_follower_changes",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("gained", sa.Integer(), nullable=False),
        sa.Column("lost", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "gained >= 0 AND lost >= 0", name=op.f("ck_daily_follower_changes_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_daily_follower_changes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_daily_follower_changes")),
    )
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("followee_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "ACCEPTED",
                name="follow_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("follower_id <> followee_id", name=op.f("ck_follows_no_self_follow")),
        sa.ForeignKeyConstraint(
            ["followee_id"],
            ["accounts.id"],
            name=op.f("fk_follows_followee_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["accounts.id"],
            name=op.f("fk_follows_follower_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("follower_id", "followee_id", name="uq_follows_pair"),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follows_followee_status", ["followee_id", "status", "id"], unique=False
        )
        batch_op.create_index(
            "ix_follows_follower_status", ["follower_id", "status", "id"], unique=False
        )

    op.create_table(
        "videos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "PUBLIC",
                "PRIVATE",
                name="visibility",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("is_original", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("duration_seconds > 0", name=op.f("ck_videos_duration_positive")),
        sa.CheckConstraint("view_count >= 0", name=op.f("ck_videos_view_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["accounts.id"],
            name=op.f("fk_videos_owner_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
    )
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_videos_owner_published", ["owner_id", "published_at", "id"], unique=False
        )

    op.create_table(
        "pinned_videos",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("position >= 1", name=op.f("ck_pinned_videos_position_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_pinned_videos_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_pinned_videos_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "video_id", name=op.f("pk_pinned_videos")),
        sa.UniqueConstraint("account_id", "position", name="uq_pinned_videos_position"),
    )
    op.create_table(
        "video_daily_views",
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("views >= 0", name=op.f("ck_video_daily_views_views_not_negative")),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_video_daily_views_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("video_id", "day", name=op.f("pk_video_daily_views")),
    )
    with op.batch_alter_table("video_daily_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_video_daily_views_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("video_daily_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_video_daily_views_day"))

    op.drop_table("video_daily_views")
    op.drop_table("pinned_videos")
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_index("ix_videos_owner_published")

    op.drop_table("videos")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_follower_status")
        batch_op.drop_index("ix_follows_followee_status")

    op.drop_table("follows")
    op.drop_table("daily_follower_changes")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_account_id"))

    op.drop_table("auth_sessions")
    op.drop_table("accounts")
