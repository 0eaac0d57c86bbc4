"""PER_VIEW terms: the daily job pays each deal for a UTC day's authentic views of its
delivered videos, at `cents_per_1000_views` per 1,000 (rounded down), from the creator's
reservation and never past the cap (`commission.cap_left`).

Which deals: those of an OPEN or IN_PROGRESS PER_VIEW campaign that are SUBMITTED or APPROVED
(their videos are delivered, public and labelled as a paid partnership). An ACTIVE deal has
nothing delivered (or was sent back for changes); a DISPUTED one is skipped while staff decide
what its reservation pays (nothing is recorded, so running the job again for that day once the
dispute is resolved APPROVED pays it). Which views: the authentic views, on that UTC day, of
the deal's delivered videos that are PUBLIC and not deleted, for a day inside the posting
window as challenges count it (`challenges.counted_days`: from the window's first UTC day up
to, not including, the UTC day it ends on).

One ViewAccrual row per deal and day, written with the payment, so running the job twice (or
two at once) pays a day once; one transaction per deal, so a failure in one leaves the others
done and is retried by the next run. A day is accrued once it is over (DAY_NOT_OVER before),
like Creator Rewards.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.content.models import Video, VideoDailyViews
from reelpay.db import write_once
from reelpay.enums import Visibility
from reelpay.errors import DomainError, ErrorCode
from reelpay.events import Event
from reelpay.marketplace import challenges, commission, escrow, notices
from reelpay.marketplace.challenges import in_window
from reelpay.marketplace.models import (
    Campaign,
    CampaignStatus,
    Deal,
    DealStatus,
    Deliverable,
    TermsKind,
    ViewAccrual,
)

log = logging.getLogger("reelpay.marketplace")

RUNNING = (CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS)
ACCRUING = (DealStatus.SUBMITTED, DealStatus.APPROVED)
DAY_FIELD = ("day",)


def check_day(day: date, now: datetime) -> None:
    if day >= now.date():
        raise DomainError(
            "Views are accrued for days that are over (UTC); pick an earlier date.",
            code=ErrorCode.DAY_NOT_OVER,
            field=DAY_FIELD,
        )


def earned_cents(views: int, cents_per_1000_views: int) -> int:
    return views * cents_per_1000_views // 1000


@dataclass
class AccrualSummary:
    day: date
    deals_paid: int = 0
    cents: int = 0
    already: int = 0  # deals whose day was accrued by an earlier run
    failed: list[int] = field(default_factory=list)  # deal ids whose transaction failed


def _candidates(day: date) -> sa.Select[int]:
    """PER_VIEW deals that may accrue `day` and have not (see the module)."""
    day_over = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    accrued = sa.exists().where(ViewAccrual.deal_id == Deal.id, ViewAccrual.day == day)
    return (
        sa.select(Deal.id)
        .join(Campaign, Campaign.id == Deal.campaign_id)
        .where(
            Campaign.terms_kind == TermsKind.PER_VIEW,
            Campaign.status.in_(RUNNING),
            Deal.status.in_(ACCRUING),
            # The day is inside the window: it starts on or after the window's first UTC day
            # and is over by the time the window ends.
            Campaign.posting_starts_at < day_over,
            Campaign.posting_ends_at >= day_over,
            ~accrued,
        )
        .order_by(Deal.id)
    )


async def accrue_views(
    maker: async_sessionmaker[AsyncSession],
    *,
    day: date,
    now: datetime,
    publish: Callable[[list[Event]], Awaitable[None]] | None = None,
) -> AccrualSummary:
    """Pay every PER_VIEW deal for `day`'s views (safe to run again and concurrently)."""
    check_day(day, now)
    async with maker() as session:
        deal_ids = list(await session.scalars(_candidates(day)))
    summary = AccrualSummary(day)
    for deal_id in deal_ids:
        try:
            outcome = await write_once(
                maker, partial(accrue_one, deal_id=deal_id, day=day, now=now), publish
            )
        except Exception:
            log.exception("views of deal %s on %s were not accrued; the next run retries",
                          deal_id, day)  # fmt: skip
            summary.failed.append(deal_id)
            continue
        if outcome is None:
            continue
        if outcome == "already":
            summary.already += 1
        else:
            summary.deals_paid += 1 if outcome else 0
            summary.cents += int(outcome)
    return summary


async def deal_views_on(session: AsyncSession, deal_id: int, day: date) -> int:
    """Authentic views on `day` of the deal's delivered videos that are public and live."""
    views = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(VideoDailyViews.views), 0))
        .join(Deliverable, Deliverable.video_id == VideoDailyViews.video_id)
        .join(Video, Video.id == VideoDailyViews.video_id)
        .where(
            Deliverable.deal_id == deal_id,
            VideoDailyViews.day == day,
            Video.deleted_at.is_(None),
            Video.visibility == Visibility.PUBLIC,
        )
    )
    return int(views or 0)


async def accrue_one(
    session: AsyncSession, deal_id: int, day: date, *, now: datetime
) -> int | str | None:
    """One deal's day: the cents paid, "already", or None when it does not accrue now."""
    found = await session.get(Deal, deal_id)
    if found is None:
        return None
    campaign = await escrow.lock(session, found.campaign_id)
    deal = await session.scalar(
        sa.select(Deal).where(Deal.id == deal_id).execution_options(populate_existing=True)
    )
    assert deal is not None
    done = await session.scalar(
        sa.select(ViewAccrual.deal_id).where(ViewAccrual.deal_id == deal.id, ViewAccrual.day == day)
    )
    if done is not None:
        return "already"
    if (
        campaign.terms_kind is not TermsKind.PER_VIEW
        or campaign.status not in RUNNING
        or deal.status not in ACCRUING
        or not in_window(campaign, day)
    ):
        return None
    views = await deal_views_on(session, deal.id, day)
    cents = min(
        earned_cents(views, campaign.cents_per_1000_views or 0),
        await commission.cap_left(session, deal, campaign),
    )
    transaction = await escrow.pay(
        session, campaign.id, deal.creator_id, cents, deal_id=deal.id, now=now, actor_id=None,
        memo=f"Campaign {campaign.id}: {views:,} authentic views on {day.isoformat()}",
    )  # fmt: skip
    session.add(
        ViewAccrual(
            deal_id=deal.id, day=day, views=views, cents=cents,
            ledger_transaction_id=transaction.id if transaction else None, created_at=now,
        )
    )  # fmt: skip
    await session.flush()  # a concurrent run loses on (deal, day) and is retried: "already"
    if cents:
        await notices.paid(
            session, deal.creator_id, campaign, cents, deal_id=deal.id,
            why=f"{views:,} authentic views on {day.isoformat()}", now=now,
        )  # fmt: skip
        notices.announce(
            session, (campaign.brand_id, deal.creator_id), campaign_id=campaign.id,
            deal_id=deal.id, event="VIEWS_ACCRUED",
        )  # fmt: skip
    return cents


async def accrue_ended_days(
    session: AsyncSession, campaign: Campaign, deal_ids: list[int], *, now: datetime
) -> int:
    """Before a PER_VIEW campaign ends (in the transaction that ends it): pay each deal every
    day of the window that is over and that the daily job has not paid yet, so ending the
    campaign never takes a creator's pay for a finished day. The day it ends on is not over:
    its views are not paid. Returns the cents paid."""
    if campaign.terms_kind is not TermsKind.PER_VIEW:
        return 0
    first, end = challenges.counted_days(campaign)
    last = min(end, now.date())  # exclusive: the days [first, last) are over
    paid = 0
    for deal_id in deal_ids:
        day = first
        while day < last:
            cents = await accrue_one(session, deal_id, day, now=now)
            if isinstance(cents, int):
                paid += cents
            day += timedelta(days=1)
    return paid
