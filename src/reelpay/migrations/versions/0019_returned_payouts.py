"""Payouts the provider paid and then took back

A PAID payout becomes RETURNED when the provider says the money came back (PayPal
RETURNED/REFUNDED/REVERSED after SUCCESS, a Stripe transfer reversed in full): its amount is
in the creator's earnings again (a PAYOUT_RETURN from the platform's PAYOUTS_SENT). New enum
values: the payout status RETURNED and the notification kind PAYOUT_RETURNED.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_BEFORE = ("REQUESTED", "PROCESSING", "PAID", "FAILED")
STATUSES = (*STATUSES_BEFORE, "RETURNED")
# The notification kinds of 0016 (none were added since), then this revision's.
NOTIFICATIONS_BEFORE = (
    "APPLICATION_APPROVED", "APPLICATION_REJECTED",
    "PAYOUT_METHOD_ADDED", "PAYOUT_METHOD_REMOVED", "PAYOUT_METHOD_DEFAULT_CHANGED",
    "PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID", "PAYOUT_FAILED",
    "SERIES_PURCHASE_REFUNDED", "SERIES_SOLD", "TIP_RECEIVED", "GIFTS_RECEIVED",
    "REWARDS_CREDITED", "PROGRAM_TERMS_UPDATED", "VIDEO_FLAGGED_UNORIGINAL",
    "CAMPAIGN_APPLICATION", "CAMPAIGN_INVITATION", "PROPOSAL_DECLINED",
    "DEAL_STARTED", "DEAL_SUBMITTED", "DEAL_CHANGES_REQUESTED", "DEAL_APPROVED",
    "DEAL_CANCELLED", "MARKETPLACE_PAYMENT", "DEAL_DISPUTED", "DISPUTE_RESOLVED",
    "CHALLENGE_RESULTS", "CAMPAIGN_REFUNDED",
)  # fmt: skip
NOTIFICATIONS = (*NOTIFICATIONS_BEFORE, "PAYOUT_RETURNED")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(statuses: tuple[str, ...], notifications: tuple[str, ...]) -> None:
    for table, name, column, values in (
        ("payouts", "payout_status", "status", statuses),
        ("notifications", "notification_kind", "kind", notifications),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), _in(column, values))


def upgrade() -> None:
    _checks(STATUSES, NOTIFICATIONS)


def downgrade() -> None:
    # A RETURNED payout has no earlier status that tells the truth (PAID would say the money
    # is gone, FAILED that it never left): refuse rather than change what the ledger means.
    returned = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM payouts WHERE status = 'RETURNED'")
    )
    if returned:
        raise RuntimeError(
            f"{returned} payouts are RETURNED: revision 0018 cannot record them; "
            "downgrade a database without returned payouts"
        )
    op.execute(
        f"DELETE FROM notifications WHERE {_in('kind', NOTIFICATIONS[len(NOTIFICATIONS_BEFORE) :])}"
    )
    _checks(STATUSES_BEFORE, NOTIFICATIONS_BEFORE)
