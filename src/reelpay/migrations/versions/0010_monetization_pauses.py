"""monetization pauses

An enrolled creator can pause a program's feature (tips, gifts, Series sales, Creator Rewards)
without leaving the program: `enrolments.paused_at` is set while it is paused. A pending
application can be withdrawn: `program_applications.status` takes WITHDRAWN.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


STATUSES_BEFORE = ("PENDING", "APPROVED", "REJECTED")
STATUSES = ("PENDING", "APPROVED", "REJECTED", "WITHDRAWN")


def _status_check(statuses: tuple[str, ...]) -> None:
    values = ", ".join(repr(s) for s in statuses)
    with op.batch_alter_table("program_applications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_program_applications_application_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_program_applications_application_status"), f"status IN ({values})"
        )


def upgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
    _status_check(STATUSES)


def downgrade() -> None:
    op.execute("DELETE FROM program_applications WHERE status = 'WITHDRAWN'")
    _status_check(STATUSES_BEFORE)
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("paused_at")
