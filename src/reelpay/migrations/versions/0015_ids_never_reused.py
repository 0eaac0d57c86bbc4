"""IDs of deleted enrolments and episodes are never reused (SQLite)

Leaving a program deletes its enrolment and removing an episode deletes it; SQLite gives the
largest rowid again to the next insert unless the table is AUTOINCREMENT, so a client's cache
could show a new enrolment or episode under an ID it holds for a gone one. The tables are
rebuilt with AUTOINCREMENT (copying the rows records the largest ID in sqlite_sequence, so new
IDs start above every one still there). PostgreSQL sequences never go back: nothing changes
there. (The rebuild reflects `enrolments.terms_id`'s foreign key, added inline by 0013, without
its name: drop it by recreating the table, not by name.)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("enrolments", "series_episodes")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
