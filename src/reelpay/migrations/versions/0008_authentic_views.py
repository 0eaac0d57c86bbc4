"""authentic views

Views become two figures: plays (every recorded view, as before) and authentic views (not the
owner's, one per viewer, video and UTC day). History recorded before this revision cannot be
told apart: it is kept as both plays and authentic views.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy of `videos`: on SQLite, copying a table drops the
    # original, and with foreign keys on that deletes its children (daily views, pins, Series
    # episodes) through ON DELETE CASCADE.
    op.add_column(
        "videos", sa.Column("play_count", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.execute("UPDATE videos SET play_count = view_count")
    op.add_column(
        "video_daily_views",
        sa.Column("plays", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute("UPDATE video_daily_views SET plays = views")

    op.create_table(
        "video_view_marks",
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("viewer_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_video_view_marks_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("video_id", "day", "viewer_key", name=op.f("pk_video_view_marks")),
    )
    op.create_index(op.f("ix_video_view_marks_day"), "video_view_marks", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_video_view_marks_day"), table_name="video_view_marks")
    op.drop_table("video_view_marks")
    # Plays are what `views` counted before this revision: put them back there. (Plain DROP
    # COLUMN, SQLite 3.35+, for the reason given in `upgrade`.)
    op.execute("UPDATE video_daily_views SET views = plays")
    op.drop_column("video_daily_views", "plays")
    op.execute("UPDATE videos SET view_count = play_count")
    op.drop_column("videos", "play_count")
