"""Creator Marketplace tables: brands, campaigns and their escrow, applications, deals,
deliverables, disputes, commission reports, per-view accruals, and sponsored challenges.

Money of a campaign lives in the ledger (`wallet/ledger.py`), in three accounts of the
campaign that cache their balance and can never go negative: ESCROW (funded, not reserved),
ESCROW_RESERVED (set aside for accepted creators) and ESCROW_FEES (the platform fee the brand
paid on top, settled when the campaign ends). The amounts on `campaigns` and `deals` say the
same for display and are reconciled against the ledger by `reelpay ledger verify`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import enum_column_type


class Category(StrEnum):
    """What a brand sells and what a creator makes (a closed set clients can filter on)."""

    BEAUTY = "BEAUTY"
    FASHION = "FASHION"
    FOOD = "FOOD"
    GAMING = "GAMING"
    TECH = "TECH"
    TRAVEL = "TRAVEL"
    FITNESS = "FITNESS"
    MUSIC = "MUSIC"
    EDUCATION = "EDUCATION"
    ENTERTAINMENT = "ENTERTAINMENT"
    LIFESTYLE = "LIFESTYLE"
    OTHER = "OTHER"


class CampaignKind(StrEnum):
    DEAL = "DEAL"  # creators apply or are invited, deliver videos and are paid by the terms
    CHALLENGE = "CHALLENGE"  # anyone enrolled enters; prize tiers go to the best entries


class TermsKind(StrEnum):
    FLAT_FEE = "FLAT_FEE"  # a fixed fee per creator per accepted deliverable set
    COMMISSION = "COMMISSION"  # a rate on reported sales (plus an optional flat fee)
    PER_VIEW = "PER_VIEW"  # an amount per 1,000 authentic views, up to a cap per creator


class CampaignStatus(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"  # funded: creators apply, the brand invites (challenges: entries)
    IN_PROGRESS = "IN_PROGRESS"  # a first deal (or challenge entry) exists
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class ChallengeRanking(StrEnum):
    AUTHENTIC_VIEWS = "AUTHENTIC_VIEWS"  # most authentic views in the submission window
    BRAND_CHOICE = "BRAND_CHOICE"  # the brand orders the entries it picks


class ProposalOrigin(StrEnum):
    APPLICATION = "APPLICATION"  # the creator applied
    INVITATION = "INVITATION"  # the brand invited


class ProposalStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"  # a deal was made
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"  # its sender took it back (or the campaign closed meanwhile)


class DealStatus(StrEnum):
    ACTIVE = "ACTIVE"  # the creator is making the videos
    SUBMITTED = "SUBMITTED"  # waiting for the brand's review (auto-approved when overdue)
    APPROVED = "APPROVED"  # the fee was paid
    CANCELLED = "CANCELLED"
    DISPUTED = "DISPUTED"  # staff decide


class DisputeResolution(StrEnum):
    PAY_CREATOR = "PAY_CREATOR"
    REFUND_BRAND = "REFUND_BRAND"
    SPLIT = "SPLIT"


class RefundStatus(StrEnum):
    PENDING = "PENDING"  # recorded; the provider has not confirmed it yet
    SENT = "SENT"


class BrandProfile(Base):
    """What makes a BUSINESS account a brand that can run campaigns."""

    __tablename__ = "brand_profiles"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    website: Mapped[str | None] = mapped_column(sa.String(2048))
    category: Mapped[Category] = mapped_column(enum_column_type(Category, "category"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CreatorCategory(Base):
    """A category a creator says they make videos in (brands search and campaigns filter)."""

    __tablename__ = "creator_categories"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    category: Mapped[Category] = mapped_column(
        enum_column_type(Category, "category"), primary_key=True, index=True
    )


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.Index("ix_campaigns_brand", "brand_id", "id"),
        sa.Index("ix_campaigns_status", "status", "id"),
        # The creators' browse: running campaigns, most recently opened first.
        sa.Index(
            "ix_campaigns_browse",
            "opened_at",
            "id",
            sqlite_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
            postgresql_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
        ),
        sa.CheckConstraint("budget_cents > 0", name="budget_positive"),
        sa.CheckConstraint("creator_slots > 0", name="slots_positive"),
        sa.CheckConstraint("videos_required > 0", name="videos_positive"),
        sa.CheckConstraint(
            "funded_cents >= 0 AND reserved_cents >= 0 AND paid_cents >= 0"
            " AND refunded_cents >= 0 AND fee_cents >= 0 AND fee_kept_cents >= 0"
            " AND fee_refunded_cents >= 0",
            name="amounts_not_negative",
        ),
        sa.CheckConstraint(
            "reserved_cents + paid_cents + refunded_cents <= funded_cents",
            name="never_more_than_funded",
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    kind: Mapped[CampaignKind] = mapped_column(enum_column_type(CampaignKind, "campaign_kind"))
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column_type(CampaignStatus, "campaign_status")
    )
    applications_paused: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(sa.String(100))
    brief: Mapped[str] = mapped_column(sa.String(4000))
    category: Mapped[Category] = mapped_column(enum_column_type(Category, "category"))
    # Deliverables: how many videos, what each must carry, when they are posted. For a
    # challenge the posting window is the submission window and `hashtag` is required.
    videos_required: Mapped[int] = mapped_column(sa.Integer, default=1)
    hashtag: Mapped[str | None] = mapped_column(sa.String(100))
    mention: Mapped[str | None] = mapped_column(sa.String(32))  # a handle, without "@"
    posting_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posting_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Creator requirements (empty lists: anyone).
    min_followers: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    countries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    application_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    creator_slots: Mapped[int] = mapped_column(sa.Integer, default=1)
    # Terms (DEAL campaigns; NULL for challenges).
    terms_kind: Mapped[TermsKind | None] = mapped_column(enum_column_type(TermsKind, "terms_kind"))
    flat_fee_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    commission_basis_points: Mapped[int | None] = mapped_column(sa.Integer)  # 1,000 = 10%
    cents_per_1000_views: Mapped[int | None] = mapped_column(sa.BigInteger)
    # COMMISSION and PER_VIEW: the most one creator can earn beyond the flat fee.
    cap_per_creator_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    allows_offers: Mapped[bool] = mapped_column(default=False)  # creators propose a flat fee
    # Challenges.
    ranking: Mapped[ChallengeRanking | None] = mapped_column(
        enum_column_type(ChallengeRanking, "challenge_ranking")
    )
    # Money, in USD cents: what the brand set out to fund, and where it stands. The ledger is
    # the truth; these are reconciled against it (`marketplace.escrow.verify`).
    budget_cents: Mapped[int] = mapped_column(sa.BigInteger)
    funded_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reserved_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunded_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The platform fee rate when the campaign was created (the setting may change later).
    fee_basis_points: Mapped[int] = mapped_column(sa.Integer, default=0)
    fee_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # charged on top
    fee_kept_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    fee_refunded_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # COMPLETED or CANCELLED


class PrizeTier(Base):
    """A challenge pays `amount_cents` to each entry ranked rank_from..rank_to."""

    __tablename__ = "campaign_prize_tiers"
    __table_args__ = (
        sa.CheckConstraint("rank_from >= 1 AND rank_to >= rank_from", name="ranks_ordered"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    rank_from: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    rank_to: Mapped[int] = mapped_column(sa.Integer)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)


class CampaignFunding(Base):
    """One card charge that funded a campaign (its `payments` row), and what of it came back."""

    __tablename__ = "campaign_fundings"
    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents + fee_cents",
            name="refund_within_charge",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), unique=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)  # into escrow
    fee_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # the platform fee on top
    refunded_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # budget and fee
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignRefund(Base):
    """A (partial) refund of one funding charge, recorded with its ledger transaction before
    the provider is asked; `reelpay jobs send-campaign-refunds` retries the PENDING ones."""

    __tablename__ = "campaign_refunds"
    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.Index(
            "ix_campaign_refunds_pending",
            "id",
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    funding_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_fundings.id"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    ledger_transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
    status: Mapped[RefundStatus] = mapped_column(enum_column_type(RefundStatus, "refund_status"))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Proposal(Base):
    """An application (creator to brand) or an invitation (brand to creator) to a campaign.

    One per creator and campaign: accepted, it makes the deal; declined, it stays declined.
    """

    __tablename__ = "campaign_proposals"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "creator_id"),
        sa.Index("ix_campaign_proposals_creator", "creator_id", "id"),
        sa.CheckConstraint(
            "proposed_fee_cents IS NULL OR proposed_fee_cents > 0", name="fee_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    origin: Mapped[ProposalOrigin] = mapped_column(
        enum_column_type(ProposalOrigin, "proposal_origin")
    )
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column_type(ProposalStatus, "proposal_status")
    )
    message: Mapped[str] = mapped_column(sa.String(2000), default="")  # the pitch or invite
    proposed_fee_cents: Mapped[int | None] = mapped_column(sa.BigInteger)  # an offer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Deal(Base):
    """A creator and a campaign agreed: what the creator may earn is reserved in escrow."""

    __tablename__ = "campaign_deals"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "creator_id"),
        sa.Index("ix_campaign_deals_creator", "creator_id", "id"),
        sa.Index(
            "ix_campaign_deals_review_due",
            "review_due_at",
            sqlite_where=sa.text("status = 'SUBMITTED'"),
            postgresql_where=sa.text("status = 'SUBMITTED'"),
        ),
        sa.CheckConstraint(
            "fee_cents >= 0 AND reserved_cents >= 0 AND paid_cents >= 0",
            name="amounts_not_negative",
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_proposals.id"), unique=True)
    status: Mapped[DealStatus] = mapped_column(enum_column_type(DealStatus, "deal_status"))
    # The flat fee agreed (the campaign's, or the creator's accepted offer); 0 for pure
    # COMMISSION or PER_VIEW terms.
    fee_cents: Mapped[int] = mapped_column(sa.BigInteger)
    reserved_cents: Mapped[int] = mapped_column(sa.BigInteger)  # still held for this creator
    paid_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # COMMISSION: the code the brand reports sales against.
    tracking_code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    change_rounds: Mapped[int] = mapped_column(sa.Integer, default=0)
    comment: Mapped[str] = mapped_column(sa.String(2000), default="")  # the last review's
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auto_approved: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # approved or cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Deliverable(Base):
    """A video a creator submitted for a deal. While its campaign runs, the video carries the
    paid-partnership label, which cannot be removed, and the video cannot be deleted."""

    __tablename__ = "campaign_deliverables"
    __table_args__ = (sa.UniqueConstraint("deal_id", "video_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_deals.id"), index=True)
    video_id: Mapped[int] = mapped_column(sa.ForeignKey("videos.id"), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaidPartnership(Base):
    """The public disclosure label on a video: a paid partnership with `brand_id`."""

    __tablename__ = "paid_partnerships"

    video_id: Mapped[int] = mapped_column(sa.ForeignKey("videos.id"), primary_key=True)
    brand_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    labelled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Dispute(Base):
    __tablename__ = "campaign_disputes"
    __table_args__ = (
        sa.Index("ix_campaign_disputes_deal", "deal_id", "id"),
        sa.CheckConstraint("creator_cents >= 0 AND brand_cents >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_deals.id"))
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(sa.String(2000))
    # The deal's status when it was opened (where a dismissed dispute would return it).
    deal_status_before: Mapped[DealStatus] = mapped_column(
        enum_column_type(DealStatus, "deal_status")
    )
    resolution: Mapped[DisputeResolution | None] = mapped_column(
        enum_column_type(DisputeResolution, "dispute_resolution")
    )
    creator_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    brand_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    note: Mapped[str] = mapped_column(sa.String(2000), default="")
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CommissionReport(Base):
    """Sales a brand reported against a creator's tracking code; a report id counts once."""

    __tablename__ = "campaign_commission_reports"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "report_id"),
        sa.CheckConstraint("sales_cents > 0", name="sales_positive"),
        sa.CheckConstraint("commission_cents >= 0", name="commission_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_deals.id"), index=True)
    report_id: Mapped[str] = mapped_column(sa.String(128))
    sales_cents: Mapped[int] = mapped_column(sa.BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the brand says they sold
    # What it paid (after the creator's cap); 0 once the cap is reached.
    commission_cents: Mapped[int] = mapped_column(sa.BigInteger)
    ledger_transaction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_transactions.id")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ViewAccrual(Base):
    """PER_VIEW: one deal's authentic views of one UTC day and what they paid (once)."""

    __tablename__ = "campaign_view_accruals"
    __table_args__ = (sa.CheckConstraint("views >= 0 AND cents >= 0", name="not_negative"),)

    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_deals.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    views: Mapped[int] = mapped_column(sa.BigInteger)
    cents: Mapped[int] = mapped_column(sa.BigInteger)
    ledger_transaction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_transactions.id")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChallengeEntry(Base):
    """A creator's video entered in a challenge (one entry per creator)."""

    __tablename__ = "challenge_entries"
    __table_args__ = (
        # Named by their first column: creator_id, video_id.
        sa.UniqueConstraint("creator_id", "campaign_id"),
        sa.UniqueConstraint("video_id", "campaign_id"),
        # A challenge's entries in entry order (its ranked order reads the same rows).
        sa.Index("ix_challenge_entries_campaign", "campaign_id", "entered_at", "id"),
        sa.CheckConstraint("prize_cents >= 0", name="prize_not_negative"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    video_id: Mapped[int] = mapped_column(sa.ForeignKey("videos.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # BRAND_CHOICE: the brand's pick (1 = best); NULL if not picked.
    brand_rank: Mapped[int | None] = mapped_column(sa.Integer)
    # Set by the results job: authentic views in the window, the final rank and the prize.
    views: Mapped[int | None] = mapped_column(sa.BigInteger)
    rank: Mapped[int | None] = mapped_column(sa.Integer)
    prize_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    ledger_transaction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_transactions.id")
    )
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the video was deleted
