"""Program terms versions, their acceptance and the age confirmation

Each program's terms are published in versions (`program_terms`); a program's current terms
are its latest version. This migration records version "1" of every program's terms. An
application records the version accepted and the age confirmation (`terms_id`,
`terms_accepted_at`, `age_confirmed_at`); approval copies them onto the enrolment, and
`enrolments.terms_outstanding_since` is set while the enrolment has not accepted the current
version (no new money until it does). Notifications take the kind PROGRAM_TERMS_UPDATED.

Existing enrolments accepted no recorded version: they are marked as owing the current terms
from now (`terms_outstanding_since`), so each creator accepts them before new money comes in.
Existing applications keep null terms: approving one enrols the creator owing the terms.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFICATIONS_BEFORE = (
    "APPLICATION_APPROVED", "APPLICATION_REJECTED",
    "PAYOUT_METHOD_ADDED", "PAYOUT_METHOD_REMOVED", "PAYOUT_METHOD_DEFAULT_CHANGED",
    "PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID", "PAYOUT_FAILED",
    "SERIES_PURCHASE_REFUNDED", "SERIES_SOLD", "TIP_RECEIVED", "GIFTS_RECEIVED",
    "REWARDS_CREDITED",
)  # fmt: skip
NOTIFICATIONS = (*NOTIFICATIONS_BEFORE, "PROGRAM_TERMS_UPDATED")

PROGRAMS = ("CREATOR_REWARDS", "SERIES", "TIPS", "LIVE_GIFTS", "CREATOR_MARKETPLACE")
FIRST_VERSION = "1"
FIRST_PUBLISHED = datetime(2026, 1, 1, tzinfo=UTC)


def first_terms_url(program: str) -> str:
    """Where version 1 of a program's terms is published."""
    return f"https://reelpay.dev/terms/{program.lower().replace('_', '-')}/{FIRST_VERSION}"


def _notification_check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_notifications_notification_kind"),
            f"kind IN ({', '.join(repr(v) for v in values)})",
        )


def upgrade() -> None:
    _notification_check(NOTIFICATIONS)
    terms = op.create_table(
        "program_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                *PROGRAMS, name="program", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["accounts.id"],
            name=op.f("fk_program_terms_published_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_terms")),
        sa.UniqueConstraint("program", "version", name=op.f("uq_program_terms_program")),
    )
    op.create_index("ix_program_terms_current", "program_terms", ["program", "id"], unique=False)
    # Version 1 of every program, in the Program enum's order (ids 1 to 5 on a new database),
    # published at a fixed instant: what a new database holds never depends on when it was made.
    first_published = (
        FIRST_PUBLISHED.replace(tzinfo=None)  # SQLite stores naive UTC (see db.UTCDateTime)
        if op.get_bind().dialect.name == "sqlite"
        else FIRST_PUBLISHED
    )
    for program in PROGRAMS:
        op.execute(
            terms.insert().values(
                program=program,
                version=FIRST_VERSION,
                url=first_terms_url(program),
                published_at=first_published,
            )
        )

    for table in ("program_applications", "enrolments"):
        _add_terms_columns(table)
    op.add_column(
        "enrolments",
        sa.Column("terms_outstanding_since", sa.DateTime(timezone=True), nullable=True),
    )
    # No enrolment accepted a recorded version: each must accept the current terms.
    op.execute("UPDATE enrolments SET terms_outstanding_since = CURRENT_TIMESTAMP")


def _add_terms_columns(table: str) -> None:
    # Plain ADD COLUMN, never a batch copy: on SQLite, copying `program_applications` drops
    # the original, which its children (enrolments) refuse with foreign keys on.
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a foreign key only inline, with the column.
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN terms_id INTEGER "
            f"CONSTRAINT fk_{table}_terms_id_program_terms REFERENCES program_terms (id)"
        )
    else:
        op.add_column(table, sa.Column("terms_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_terms_id_program_terms"), table, "program_terms", ["terms_id"], ["id"]
        )
    op.add_column(table, sa.Column("terms_accepted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(table, sa.Column("age_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("enrolments", "terms_outstanding_since")
    for table in ("enrolments", "program_applications"):
        # (Plain DROP COLUMN, SQLite 3.35+, for the reason given in `upgrade`; SQLite drops a
        # column whose only constraint is its own inline foreign key.)
        op.drop_column(table, "age_confirmed_at")
        op.drop_column(table, "terms_accepted_at")
        if op.get_bind().dialect.name != "sqlite":
            op.drop_constraint(
                op.f(f"fk_{table}_terms_id_program_terms"), table, type_="foreignkey"
            )
        op.drop_column(table, "terms_id")
    op.drop_index("ix_program_terms_current", table_name="program_terms")
    op.drop_table("program_terms")
    op.execute("DELETE FROM notifications WHERE kind = 'PROGRAM_TERMS_UPDATED'")
    _notification_check(NOTIFICATIONS_BEFORE)
