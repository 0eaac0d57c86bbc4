"""Creator Marketplace and sponsored challenges

Brands (`brand_profiles`) fund campaigns into escrow: ledger accounts that belong to a campaign
(`ledger_accounts.campaign_id`, caching their balance like a user's). Creators apply or are
invited (`campaign_proposals`); an accepted pair is a deal (`campaign_deals`) with its
deliverables, paid-partnership labels, disputes, commission reports and per-view accruals.
Challenges have prize tiers and entries. Funding charges and their partial refunds are
`campaign_fundings` and `campaign_refunds`. New enum values: ledger account and transaction
kinds, the CAMPAIGN_FUNDING payment purpose and the marketplace notification kinds.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ACCOUNT_KINDS_BEFORE = (
    "COINS", "DIAMONDS", "EARNINGS", "EARNINGS_PENDING", "PAYOUTS_HELD", "COIN_ISSUANCE",
    "COINS_SPENT", "DIAMOND_ISSUANCE", "PAYMENT_CLEARING", "COIN_SALES", "CREATOR_PAYABLES",
    "SERIES_REVENUE", "PAYOUTS_SENT",
)  # fmt: skip
ACCOUNT_KINDS = (
    *ACCOUNT_KINDS_BEFORE,
    "MARKETPLACE_FEES",
    "ESCROW",
    "ESCROW_RESERVED",
    "ESCROW_FEES",
)
TRANSACTION_KINDS_BEFORE = (
    "COIN_PURCHASE", "GIFT", "TIP", "DIAMOND_REDEMPTION", "REWARDS_ACCRUAL", "SERIES_PURCHASE",
    "EARNINGS_RELEASE", "PAYOUT_HOLD", "PAYOUT_PAID", "PAYOUT_RETURN", "REVERSAL",
)  # fmt: skip
TRANSACTION_KINDS = (
    *TRANSACTION_KINDS_BEFORE, "CAMPAIGN_FUNDING", "CAMPAIGN_RESERVE", "CAMPAIGN_RELEASE",
    "CAMPAIGN_PAYMENT", "CAMPAIGN_REFUND",
)  # fmt: skip
PURPOSES_BEFORE = ("COIN_PURCHASE", "TIP", "SERIES_PURCHASE")
PURPOSES = (*PURPOSES_BEFORE, "CAMPAIGN_FUNDING")
NOTIFICATIONS_BEFORE = (
    "APPLICATION_APPROVED", "APPLICATION_REJECTED",
    "PAYOUT_METHOD_ADDED", "PAYOUT_METHOD_REMOVED", "PAYOUT_METHOD_DEFAULT_CHANGED",
    "PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID", "PAYOUT_FAILED",
    "SERIES_PURCHASE_REFUNDED", "SERIES_SOLD", "TIP_RECEIVED", "GIFTS_RECEIVED",
    "REWARDS_CREDITED", "PROGRAM_TERMS_UPDATED", "VIDEO_FLAGGED_UNORIGINAL",
)  # fmt: skip
NOTIFICATIONS = (
    *NOTIFICATIONS_BEFORE, "CAMPAIGN_APPLICATION", "CAMPAIGN_INVITATION", "PROPOSAL_DECLINED",
    "DEAL_STARTED", "DEAL_SUBMITTED", "DEAL_CHANGES_REQUESTED", "DEAL_APPROVED",
    "DEAL_CANCELLED", "MARKETPLACE_PAYMENT", "DEAL_DISPUTED", "DISPUTE_RESOLVED",
    "CHALLENGE_RESULTS", "CAMPAIGN_REFUNDED",
)  # fmt: skip
CACHE_BALANCE_BEFORE = (
    "(owner_id IS NULL AND balance IS NULL) OR (owner_id IS NOT NULL AND balance IS NOT NULL)"
)
CACHE_BALANCE = (
    "(owner_id IS NULL AND campaign_id IS NULL AND balance IS NULL)"
    " OR (owner_id IS NOT NULL AND campaign_id IS NULL AND balance IS NOT NULL)"
    " OR (owner_id IS NULL AND campaign_id IS NOT NULL AND balance IS NOT NULL)"
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(
    account_kinds: tuple[str, ...],
    transaction_kinds: tuple[str, ...],
    purposes: tuple[str, ...],
    notifications: tuple[str, ...],
) -> None:
    for table, name, column, values in (
        ("ledger_transactions", "transaction_kind", "kind", transaction_kinds),
        ("payments", "payment_purpose", "purpose", purposes),
        ("notifications", "notification_kind", "kind", notifications),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), _in(column, values))


def upgrade() -> None:
    op.create_table(
        "brand_profiles",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("website", sa.String(length=2048), nullable=True),
        sa.Column(
            "category",
            sa.Enum(
                "BEAUTY",
                "FASHION",
                "FOOD",
                "GAMING",
                "TECH",
                "TRAVEL",
                "FITNESS",
                "MUSIC",
                "EDUCATION",
                "ENTERTAINMENT",
                "LIFESTYLE",
                "OTHER",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_brand_profiles_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_brand_profiles")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "DEAL",
                "CHALLENGE",
                name="campaign_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "OPEN",
                "IN_PROGRESS",
                "COMPLETED",
                "CANCELLED",
                name="campaign_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("applications_paused", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("brief", sa.String(length=4000), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "BEAUTY",
                "FASHION",
                "FOOD",
                "GAMING",
                "TECH",
                "TRAVEL",
                "FITNESS",
                "MUSIC",
                "EDUCATION",
                "ENTERTAINMENT",
                "LIFESTYLE",
                "OTHER",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("videos_required", sa.Integer(), nullable=False),
        sa.Column("hashtag", sa.String(length=100), nullable=True),
        sa.Column("mention", sa.String(length=32), nullable=True),
        sa.Column("posting_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posting_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_followers", sa.BigInteger(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("application_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("creator_slots", sa.Integer(), nullable=False),
        sa.Column(
            "terms_kind",
            sa.Enum(
                "FLAT_FEE",
                "COMMISSION",
                "PER_VIEW",
                name="terms_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("flat_fee_cents", sa.BigInteger(), nullable=True),
        sa.Column("commission_basis_points", sa.Integer(), nullable=True),
        sa.Column("cents_per_1000_views", sa.BigInteger(), nullable=True),
        sa.Column("cap_per_creator_cents", sa.BigInteger(), nullable=True),
        sa.Column("allows_offers", sa.Boolean(), nullable=False),
        sa.Column(
            "ranking",
            sa.Enum(
                "AUTHENTIC_VIEWS",
                "BRAND_CHOICE",
                name="challenge_ranking",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("budget_cents", sa.BigInteger(), nullable=False),
        sa.Column("funded_cents", sa.BigInteger(), nullable=False),
        sa.Column("reserved_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.Column("fee_basis_points", sa.Integer(), nullable=False),
        sa.Column("fee_cents", sa.BigInteger(), nullable=False),
        sa.Column("fee_kept_cents", sa.BigInteger(), nullable=False),
        sa.Column("fee_refunded_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("budget_cents > 0", name=op.f("ck_campaigns_budget_positive")),
        sa.CheckConstraint("creator_slots > 0", name=op.f("ck_campaigns_slots_positive")),
        sa.CheckConstraint(
            "funded_cents >= 0 AND reserved_cents >= 0 AND paid_cents >= 0 AND refunded_cents >= 0 AND fee_cents >= 0 AND fee_kept_cents >= 0 AND fee_refunded_cents >= 0",
            name=op.f("ck_campaigns_amounts_not_negative"),
        ),
        sa.CheckConstraint(
            "reserved_cents + paid_cents + refunded_cents <= funded_cents",
            name=op.f("ck_campaigns_never_more_than_funded"),
        ),
        sa.CheckConstraint("videos_required > 0", name=op.f("ck_campaigns_videos_positive")),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["accounts.id"], name=op.f("fk_campaigns_brand_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index("ix_campaigns_brand", ["brand_id", "id"], unique=False)
        batch_op.create_index("ix_campaigns_status", ["status", "id"], unique=False)
        batch_op.create_index(
            "ix_campaigns_browse",
            ["opened_at", "id"],
            unique=False,
            sqlite_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
            postgresql_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
        )

    op.create_table(
        "creator_categories",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "BEAUTY",
                "FASHION",
                "FOOD",
                "GAMING",
                "TECH",
                "TRAVEL",
                "FITNESS",
                "MUSIC",
                "EDUCATION",
                "ENTERTAINMENT",
                "LIFESTYLE",
                "OTHER",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_creator_categories_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "category", name=op.f("pk_creator_categories")),
    )
    with op.batch_alter_table("creator_categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_creator_categories_category"), ["category"], unique=False
        )

    op.create_table(
        "campaign_prize_tiers",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("rank_from", sa.Integer(), nullable=False),
        sa.Column("rank_to", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount_cents > 0", name=op.f("ck_campaign_prize_tiers_amount_positive")
        ),
        sa.CheckConstraint(
            "rank_from >= 1 AND rank_to >= rank_from",
            name=op.f("ck_campaign_prize_tiers_ranks_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_prize_tiers_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("campaign_id", "rank_from", name=op.f("pk_campaign_prize_tiers")),
    )
    op.create_table(
        "campaign_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column(
            "origin",
            sa.Enum(
                "APPLICATION",
                "INVITATION",
                name="proposal_origin",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "ACCEPTED",
                "DECLINED",
                "WITHDRAWN",
                name="proposal_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.Column("proposed_fee_cents", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "proposed_fee_cents IS NULL OR proposed_fee_cents > 0",
            name=op.f("ck_campaign_proposals_fee_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_proposals_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_campaign_proposals_creator_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_proposals")),
        sa.UniqueConstraint(
            "campaign_id", "creator_id", name=op.f("uq_campaign_proposals_campaign_id")
        ),
    )
    with op.batch_alter_table("campaign_proposals", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_proposals_creator", ["creator_id", "id"], unique=False)

    op.create_table(
        "campaign_deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "SUBMITTED",
                "APPROVED",
                "CANCELLED",
                "DISPUTED",
                name="deal_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("fee_cents", sa.BigInteger(), nullable=False),
        sa.Column("reserved_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("tracking_code", sa.String(length=32), nullable=False),
        sa.Column("change_rounds", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auto_approved", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "fee_cents >= 0 AND reserved_cents >= 0 AND paid_cents >= 0",
            name=op.f("ck_campaign_deals_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_deals_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_campaign_deals_creator_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["campaign_proposals.id"],
            name=op.f("fk_campaign_deals_proposal_id_campaign_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_deals")),
        sa.UniqueConstraint(
            "campaign_id", "creator_id", name=op.f("uq_campaign_deals_campaign_id")
        ),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_campaign_deals_proposal_id")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_campaign_deals_tracking_code")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("campaign_deals", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_deals_creator", ["creator_id", "id"], unique=False)
        batch_op.create_index(
            "ix_campaign_deals_review_due",
            ["review_due_at"],
            unique=False,
            sqlite_where=sa.text("status = 'SUBMITTED'"),
            postgresql_where=sa.text("status = 'SUBMITTED'"),
        )

    op.create_table(
        "campaign_fundings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("fee_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_campaign_fundings_amount_positive")),
        sa.CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents + fee_cents",
            name=op.f("ck_campaign_fundings_refund_within_charge"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_fundings_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_campaign_fundings_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_fundings")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_campaign_fundings_payment_id")),
    )
    with op.batch_alter_table("campaign_fundings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_fundings_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "challenge_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("brand_rank", sa.Integer(), nullable=True),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("prize_cents", sa.BigInteger(), nullable=False),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "prize_cents >= 0", name=op.f("ck_challenge_entries_prize_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_challenge_entries_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_challenge_entries_creator_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_challenge_entries_ledger_transaction_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_challenge_entries_video_id_videos")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_entries")),
        sa.UniqueConstraint(
            "creator_id", "campaign_id", name=op.f("uq_challenge_entries_creator_id")
        ),
        sa.UniqueConstraint("video_id", "campaign_id", name=op.f("uq_challenge_entries_video_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("challenge_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_challenge_entries_campaign", ["campaign_id", "entered_at", "id"], unique=False
        )

    op.create_table(
        "paid_partnerships",
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["accounts.id"], name=op.f("fk_paid_partnerships_brand_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_paid_partnerships_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_paid_partnerships_video_id_videos")
        ),
        sa.PrimaryKeyConstraint("video_id", name=op.f("pk_paid_partnerships")),
    )
    with op.batch_alter_table("paid_partnerships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_paid_partnerships_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "campaign_commission_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=128), nullable=False),
        sa.Column("sales_cents", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("commission_cents", sa.BigInteger(), nullable=False),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "commission_cents >= 0",
            name=op.f("ck_campaign_commission_reports_commission_not_negative"),
        ),
        sa.CheckConstraint(
            "sales_cents > 0", name=op.f("ck_campaign_commission_reports_sales_positive")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_commission_reports_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["campaign_deals.id"],
            name=op.f("fk_campaign_commission_reports_deal_id_campaign_deals"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_campaign_commission_reports_ledger_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_commission_reports")),
        sa.UniqueConstraint(
            "campaign_id", "report_id", name=op.f("uq_campaign_commission_reports_campaign_id")
        ),
    )
    with op.batch_alter_table("campaign_commission_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_commission_reports_deal_id"), ["deal_id"], unique=False
        )

    op.create_table(
        "campaign_deliverables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["campaign_deals.id"],
            name=op.f("fk_campaign_deliverables_deal_id_campaign_deals"),
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_campaign_deliverables_video_id_videos")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_deliverables")),
        sa.UniqueConstraint("deal_id", "video_id", name=op.f("uq_campaign_deliverables_deal_id")),
        sa.UniqueConstraint("video_id", name=op.f("uq_campaign_deliverables_video_id")),
    )
    with op.batch_alter_table("campaign_deliverables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_deliverables_deal_id"), ["deal_id"], unique=False
        )

    op.create_table(
        "campaign_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column(
            "deal_status_before",
            sa.Enum(
                "ACTIVE",
                "SUBMITTED",
                "APPROVED",
                "CANCELLED",
                "DISPUTED",
                name="deal_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "resolution",
            sa.Enum(
                "PAY_CREATOR",
                "REFUND_BRAND",
                "SPLIT",
                name="dispute_resolution",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("creator_cents", sa.BigInteger(), nullable=False),
        sa.Column("brand_cents", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "creator_cents >= 0 AND brand_cents >= 0",
            name=op.f("ck_campaign_disputes_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["campaign_deals.id"],
            name=op.f("fk_campaign_disputes_deal_id_campaign_deals"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["accounts.id"],
            name=op.f("fk_campaign_disputes_opened_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["accounts.id"],
            name=op.f("fk_campaign_disputes_resolved_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_disputes")),
    )
    with op.batch_alter_table("campaign_disputes", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_disputes_deal", ["deal_id", "id"], unique=False)

    op.create_table(
        "campaign_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("funding_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "SENT",
                name="refund_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_campaign_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_refunds_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["funding_id"],
            ["campaign_fundings.id"],
            name=op.f("fk_campaign_refunds_funding_id_campaign_fundings"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_campaign_refunds_ledger_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_refunds")),
    )
    with op.batch_alter_table("campaign_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_refunds_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            "ix_campaign_refunds_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        )

    op.create_table(
        "campaign_view_accruals",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("cents", sa.BigInteger(), nullable=False),
        sa.Column("ledger_transaction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "views >= 0 AND cents >= 0", name=op.f("ck_campaign_view_accruals_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["campaign_deals.id"],
            name=op.f("fk_campaign_view_accruals_deal_id_campaign_deals"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_campaign_view_accruals_ledger_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("deal_id", "day", name=op.f("pk_campaign_view_accruals")),
    )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_ledger_accounts_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ledger_accounts_campaign_id_campaigns"),
            "campaigns",
            ["campaign_id"],
            ["id"],
        )
        batch_op.drop_constraint(
            op.f("ck_ledger_accounts_user_accounts_cache_balance"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_ledger_accounts_user_accounts_cache_balance"), CACHE_BALANCE
        )
        batch_op.drop_constraint(op.f("ck_ledger_accounts_ledger_account_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_ledger_accounts_ledger_account_kind"), _in("kind", ACCOUNT_KINDS)
        )
    _checks(ACCOUNT_KINDS, TRANSACTION_KINDS, PURPOSES, NOTIFICATIONS)


def downgrade() -> None:
    # Everything the marketplace wrote goes with it (a downgrade is for development only).
    for table in ("notifications",):
        op.execute(
            f"DELETE FROM {table} WHERE {_in('kind', NOTIFICATIONS[len(NOTIFICATIONS_BEFORE) :])}"
        )
    _checks(ACCOUNT_KINDS_BEFORE, TRANSACTION_KINDS_BEFORE, PURPOSES_BEFORE, NOTIFICATIONS_BEFORE)
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_accounts_ledger_account_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_ledger_accounts_ledger_account_kind"), _in("kind", ACCOUNT_KINDS_BEFORE)
        )
        batch_op.drop_constraint(
            op.f("ck_ledger_accounts_user_accounts_cache_balance"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_ledger_accounts_user_accounts_cache_balance"), CACHE_BALANCE_BEFORE
        )
        batch_op.drop_constraint(
            batch_op.f("fk_ledger_accounts_campaign_id_campaigns"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_ledger_accounts_campaign_id"))
        batch_op.drop_column("campaign_id")

    op.drop_table("campaign_view_accruals")
    with op.batch_alter_table("campaign_refunds", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_campaign_refunds_pending",
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        )
        batch_op.drop_index(batch_op.f("ix_campaign_refunds_campaign_id"))

    op.drop_table("campaign_refunds")
    with op.batch_alter_table("campaign_disputes", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_disputes_deal")

    op.drop_table("campaign_disputes")
    with op.batch_alter_table("campaign_deliverables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_deliverables_deal_id"))

    op.drop_table("campaign_deliverables")
    with op.batch_alter_table("campaign_commission_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_commission_reports_deal_id"))

    op.drop_table("campaign_commission_reports")
    with op.batch_alter_table("paid_partnerships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paid_partnerships_campaign_id"))

    op.drop_table("paid_partnerships")
    with op.batch_alter_table("challenge_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_challenge_entries_campaign")

    op.drop_table("challenge_entries")
    with op.batch_alter_table("campaign_fundings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_fundings_campaign_id"))

    op.drop_table("campaign_fundings")
    with op.batch_alter_table("campaign_deals", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_campaign_deals_review_due",
            sqlite_where=sa.text("status = 'SUBMITTED'"),
            postgresql_where=sa.text("status = 'SUBMITTED'"),
        )
        batch_op.drop_index("ix_campaign_deals_creator")

    op.drop_table("campaign_deals")
    with op.batch_alter_table("campaign_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_proposals_creator")

    op.drop_table("campaign_proposals")
    op.drop_table("campaign_prize_tiers")
    with op.batch_alter_table("creator_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_creator_categories_category"))

    op.drop_table("creator_categories")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_campaigns_browse",
            sqlite_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
            postgresql_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
        )
        batch_op.drop_index("ix_campaigns_status")
        batch_op.drop_index("ix_campaigns_brand")

    op.drop_table("campaigns")
    op.drop_table("brand_profiles")
