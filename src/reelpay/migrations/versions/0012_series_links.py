"""Series links from videos and the profile's order of Series

A video may link one published Series of its owner (`videos.series_id`); each Series has a
place on its creator's profile (`series.profile_position`, highest first). Existing Series are
numbered 1..n per creator in the order they were made, so every profile keeps the order it had
(newest first) until its creator reorders it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy of `videos` or `series`: on SQLite, copying a table
    # drops the original, and with foreign keys on that deletes (or is refused by) its
    # children: views, pins, episodes, purchases.
    op.add_column(
        "series", sa.Column("profile_position", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(
        "UPDATE series SET profile_position = (SELECT count(*) FROM series AS earlier "
        "WHERE earlier.creator_id = series.creator_id AND earlier.id <= series.id)"
    )
    op.create_index(
        "ix_series_profile", "series", ["creator_id", "profile_position", "id"], unique=False
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a foreign key only inline, with the column.
        op.execute(
            "ALTER TABLE videos ADD COLUMN series_id INTEGER "
            "CONSTRAINT fk_videos_series_id_series REFERENCES series (id)"
        )
    else:
        op.add_column("videos", sa.Column("series_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_videos_series_id_series"), "videos", "series", ["series_id"], ["id"]
        )
    op.create_index(op.f("ix_videos_series_id"), "videos", ["series_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_videos_series_id"), table_name="videos")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_videos_series_id_series"), "videos", type_="foreignkey")
    # (Plain DROP COLUMN, SQLite 3.35+, for the reason given in `upgrade`; SQLite drops a
    # column whose only constraint is its own inline foreign key.)
    op.drop_column("videos", "series_id")
    op.drop_index("ix_series_profile", table_name="series")
    op.drop_column("series", "profile_position")
