"""Every table, imported in one place for Alembic and the tests."""

from reelpay.accounts.models import Account, AuthSession
from reelpay.content.models import (
    DailyFollowerChange,
    Follow,
    PinnedVideo,
    Video,
    VideoDailyViews,
    VideoViewMark,
)
from reelpay.db import Base
from reelpay.events.models import OutboxEvent
from reelpay.gifting.models import Gift, GiftSend, LiveStream, LiveViewer, Tip
from reelpay.marketplace.models import (
    BrandProfile,
    Campaign,
    CampaignFunding,
    CampaignRefund,
    ChallengeEntry,
    CommissionReport,
    CreatorCategory,
    Deal,
    Deliverable,
    Dispute,
    PaidPartnership,
    PrizeTier,
    Proposal,
    ViewAccrual,
)
from reelpay.notifications.models import Notification
from reelpay.payments.models import Payment, RefundedCharge
from reelpay.payouts.models import Payout, PayoutMethod, PayoutSchedule
from reelpay.programs.models import Enrolment, ProgramApplication, ProgramTerms, RewardsAccrual
from reelpay.sandbox.models import SandboxClockOffset
from reelpay.series.models import Series, SeriesEpisode, SeriesPurchase, SeriesRating
from reelpay.wallet.models import (
    EarningsHold,
    IdempotencyKey,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
)

__all__ = [
    "Account",
    "AuthSession",
    "Base",
    "BrandProfile",
    "Campaign",
    "CampaignFunding",
    "CampaignRefund",
    "ChallengeEntry",
    "CommissionReport",
    "CreatorCategory",
    "DailyFollowerChange",
    "Deal",
    "Deliverable",
    "Dispute",
    "EarningsHold",
    "Enrolment",
    "Follow",
    "Gift",
    "GiftSend",
    "IdempotencyKey",
    "LedgerAccount",
    "LedgerPosting",
    "LedgerTransaction",
    "LiveStream",
    "LiveViewer",
    "Notification",
    "OutboxEvent",
    "PaidPartnership",
    "Payment",
    "Payout",
    "PayoutMethod",
    "PayoutSchedule",
    "PinnedVideo",
    "PrizeTier",
    "ProgramApplication",
    "ProgramTerms",
    "Proposal",
    "RefundedCharge",
    "RewardsAccrual",
    "SandboxClockOffset",
    "Series",
    "SeriesEpisode",
    "SeriesPurchase",
    "SeriesRating",
    "Tip",
    "Video",
    "VideoDailyViews",
    "VideoViewMark",
    "ViewAccrual",
]
