"""Ending a campaign: closing it (COMPLETED) or cancelling it, which releases what is still
reserved, settles the platform fee and refunds what escrow no longer needs. Refunds are
recorded PENDING here; the caller sends them through the provider after its commit
(`escrow.send_refunds`), and `send_pending_refunds` (a job) retries what the provider did not
take."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode
from reelpay.marketplace import campaign_rules, escrow, notices, per_view
from reelpay.marketplace.campaigns import (
    CAMPAIGN_FIELD,
    announce_change,
    own_campaign,
    state_error,
)
from reelpay.marketplace.models import (
    Campaign,
    CampaignKind,
    CampaignRefund,
    CampaignStatus,
    Deal,
    DealStatus,
    Proposal,
    ProposalStatus,
    RefundStatus,
)
from reelpay.notifications.models import NotificationKind
from reelpay.notifications.templates import usd
from reelpay.payments.provider import PaymentProvider

REFUND_BATCH = 100
# Deals that keep a campaign from closing (still being worked on or decided).
UNSETTLED_DEALS = frozenset({DealStatus.ACTIVE, DealStatus.SUBMITTED, DealStatus.DISPUTED})
# Deals that keep a campaign from being cancelled (the creator delivered or is owed a decision).
DELIVERED_DEALS = frozenset({DealStatus.SUBMITTED, DealStatus.APPROVED, DealStatus.DISPUTED})
CANCELLABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS})


@dataclass(frozen=True)
class Ended:
    """A campaign that was closed or cancelled, and the refunds to send after the commit."""

    campaign: Campaign
    refund_ids: list[int]
    refunded_cents: int


async def close_campaign(
    session: AsyncSession, brand: Account, campaign_id: int, *, now: datetime
) -> Ended:
    """OPEN or IN_PROGRESS -> COMPLETED once no deal is ACTIVE, SUBMITTED or DISPUTED: pending
    proposals are withdrawn, every reservation left (the unused caps) is released, the fee
    settled and what is free refunded."""
    campaign = await own_campaign(session, brand, campaign_id)
    if campaign.status not in campaign_rules.RUNNING_STATUSES:
        raise state_error(campaign, "be closed")
    if campaign.kind is CampaignKind.CHALLENGE:
        raise DomainError(
            "A challenge completes when its results are paid after its window; it cannot be "
            "closed by hand.",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=CAMPAIGN_FIELD,
        )
    deals = await _deals(session, campaign.id)
    open_deals = [d for d in deals if d.status in UNSETTLED_DEALS]
    if open_deals:
        raise _open_deals_error(open_deals, "closing")
    return await _end(session, brand, campaign, deals, CampaignStatus.COMPLETED, now=now)


async def cancel_campaign(
    session: AsyncSession, brand: Account, campaign_id: int, *, now: datetime
) -> Ended:
    """DRAFT, OPEN or IN_PROGRESS -> CANCELLED while no deal was delivered (none SUBMITTED,
    APPROVED or DISPUTED): ACTIVE deals are cancelled and their reservations released,
    pending proposals withdrawn, the fee settled and what is free refunded. A challenge
    that has entries is owed its results and cannot be cancelled."""
    campaign = await own_campaign(session, brand, campaign_id)
    if campaign.status not in CANCELLABLE:
        raise state_error(campaign, "be cancelled")
    if campaign.kind is CampaignKind.CHALLENGE and campaign.status is CampaignStatus.IN_PROGRESS:
        raise DomainError(
            "Creators entered this challenge: it runs to its results.",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=CAMPAIGN_FIELD,
        )
    deals = await _deals(session, campaign.id)
    delivered = [d for d in deals if d.status in DELIVERED_DEALS]
    if delivered:
        raise _open_deals_error(delivered, "cancelling")
    return await _end(session, brand, campaign, deals, CampaignStatus.CANCELLED, now=now)


def _open_deals_error(deals: Sequence[Deal], doing: str) -> DomainError:
    counts: dict[str, int] = {}
    for deal in deals:
        counts[deal.status.value] = counts.get(deal.status.value, 0) + 1
    listed = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return DomainError(
        f"Settle the campaign's deals before {doing} it ({listed}).",
        code=ErrorCode.CAMPAIGN_HAS_OPEN_DEALS,
        field=CAMPAIGN_FIELD,
    )


async def _deals(session: AsyncSession, campaign_id: int) -> list[Deal]:
    """The campaign's deals as they are now (its lock is held: nobody changes them)."""
    rows = await session.scalars(
        sa.select(Deal)
        .where(Deal.campaign_id == campaign_id)
        .order_by(Deal.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def _end(
    session: AsyncSession,
    brand: Account,
    campaign: Campaign,
    deals: list[Deal],
    status: CampaignStatus,
    *,
    now: datetime,
) -> Ended:
    withdrawn = await _withdraw_pending(session, campaign.id, now)
    # PER_VIEW: the finished days the daily job has not paid yet are paid before it ends.
    if await per_view.accrue_ended_days(session, campaign, [d.id for d in deals], now=now):
        for deal in deals:
            await session.refresh(deal)
    cancelled: list[Deal] = []
    for deal in deals:
        if deal.status is DealStatus.ACTIVE:  # only when cancelling (closing refuses them)
            deal.status = DealStatus.CANCELLED
            deal.ended_at = now
            deal.updated_at = now
            cancelled.append(deal)
    await session.flush()
    for deal in deals:
        if deal.reserved_cents > 0:
            await escrow.release(
                session, campaign.id, deal.reserved_cents, deal_id=deal.id, now=now,
                actor_id=brand.id, memo=f"Campaign {campaign.id} ended: deal {deal.id} released",
            )  # fmt: skip
    refunds = await escrow.refund_free(
        session, campaign, now=now, actor_id=brand.id, settle_fee=True
    )
    campaign.status = status
    campaign.ended_at = now
    campaign.updated_at = now
    await session.flush()
    await session.refresh(campaign)  # the amounts escrow moved with UPDATEs
    verb = "completed" if status is CampaignStatus.COMPLETED else "cancelled"
    for deal in cancelled:
        for account_id in (deal.creator_id, campaign.brand_id):
            await notices.tell(
                session, account_id, NotificationKind.DEAL_CANCELLED, campaign,
                title="Deal cancelled",
                body=f"{notices.quoted(campaign.title)} was cancelled, and its deal with it.",
                now=now, deal_id=deal.id,
            )  # fmt: skip
        notices.announce(
            session, [campaign.brand_id, deal.creator_id], campaign_id=campaign.id,
            event="DEAL_CANCELLED", deal_id=deal.id,
        )  # fmt: skip
    refunded = sum(r.amount_cents for r in refunds)
    if refunded:
        await notices.tell(
            session, campaign.brand_id, NotificationKind.CAMPAIGN_REFUNDED, campaign,
            title="Campaign refund",
            body=f"{notices.quoted(campaign.title)} {verb}: {usd(refunded)} is being refunded "
            "to your card.",
            now=now, cents=refunded,
        )  # fmt: skip
    creators = [d.creator_id for d in deals] + withdrawn
    event = "CAMPAIGN_COMPLETED" if status is CampaignStatus.COMPLETED else "CAMPAIGN_CANCELLED"
    announce_change(session, campaign, event, creators)
    return Ended(campaign, [r.id for r in refunds], refunded)


async def _withdraw_pending(session: AsyncSession, campaign_id: int, now: datetime) -> list[int]:
    """Pending proposals of the campaign become WITHDRAWN; their creators' ids."""
    rows = await session.scalars(
        sa.update(Proposal)
        .where(Proposal.campaign_id == campaign_id, Proposal.status == ProposalStatus.PENDING)
        .values(status=ProposalStatus.WITHDRAWN, decided_at=now)
        .returning(Proposal.creator_id)
        .execution_options(synchronize_session=False)
    )
    return list(rows)


async def send_pending_refunds(
    maker: async_sessionmaker[AsyncSession], provider: PaymentProvider, *, now: datetime
) -> tuple[int, int]:
    """The job: send every PENDING campaign refund, oldest first, a batch at a time (each
    marked SENT once the provider took it). Returns (sent, still pending)."""
    sent = 0
    while True:
        batch = await escrow.send_refunds(maker, provider, now=now, limit=REFUND_BATCH)
        sent += batch
        if batch < REFUND_BATCH:  # done, or the rest is failing: the next run retries
            break
    async with maker() as session:
        pending = await session.scalar(
            sa.select(sa.func.count())
            .select_from(CampaignRefund)
            .where(CampaignRefund.status == RefundStatus.PENDING)
        )
    return sent, int(pending or 0)
