"""Sponsored challenges: creators enter a video, the results job ranks the entries and pays
the prize tiers from escrow, and what is not awarded goes back to the brand.

Entering: a creator who may take part in the Creator Marketplace (`qualification`) enters one
of their own PUBLIC, not deleted videos published inside the submission window
[posting_starts_at, posting_ends_at) and carrying the challenge's "#hashtag" (and "@mention"
when set), while the challenge is OPEN or IN_PROGRESS and before the window ends. One entry per
creator, a video once. The first entry marks the challenge IN_PROGRESS. A creator may withdraw
their entry (and enter again) until the window ends.

Ranking: AUTHENTIC_VIEWS ranks by the authentic views each entry's video had in the window,
most first, ties by the earliest entry (then the entry's id). BRAND_CHOICE: once the window has
ended the brand orders the entries it picks (`rank_entries`); its picks take ranks 1, 2, ... in
its order and every other entry follows, ranked by views as above, so a pick of one entry
cannot leave the other prizes unawarded while entries remain. A brand that has not ranked
within `marketplace_review_days` of the window's end gets the views ranking.

Views in the window (the day rounding): views are kept per UTC day (`video_daily_views`), so
the window counts whole days: from the UTC day of `posting_starts_at` up to, not including,
the UTC day of `posting_ends_at`. That is every day that is over by the time the window ends
(the results are final when they are computed), and none of the day the window ends on: a
window ending at 2026-07-15T12:00Z counts the views up to 2026-07-14 included.

Results (`settle_challenges`, the job): one transaction per challenge, the campaign's row
locked first. Entries whose video was deleted or is no longer PUBLIC are void (not ranked,
no prize). Each tier's amount is paid to each entry ranked inside it, from the free escrow to
the creator's earnings (source MARKETPLACE); the remainder (prizes nobody won: fewer entries
than prizes, or none) is refunded to the brand's card (the caller sends the refunds after the
commit) and the challenge is COMPLETED. Running it again finds nothing due: it pays once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from reelpay.accounts.models import Account
from reelpay.content.models import Video, VideoDailyViews
from reelpay.db import write_once
from reelpay.enums import Visibility
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.events import Event
from reelpay.marketplace import brands, campaigns, escrow, notices, qualification
from reelpay.marketplace.deliverables import carries_hashtag, carries_mention
from reelpay.marketplace.models import (
    Campaign,
    CampaignKind,
    CampaignRefund,
    CampaignStatus,
    ChallengeEntry,
    ChallengeRanking,
    PrizeTier,
)
from reelpay.notifications.models import NotificationKind
from reelpay.notifications.templates import usd
from reelpay.pagination import Page, PageRequest, paginate_groups
from reelpay.settings import Rules

log = logging.getLogger("reelpay.marketplace")

CAMPAIGN_FIELD = ("input", "campaignId")
VIDEO_FIELD = ("input", "videoId")
ENTRY_FIELD = ("input", "entryId")
ENTRIES_FIELD = ("input", "entryIds")
RUNNING = (CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS)


# --- the window ----------------------------------------------------------------------------


def counted_days(campaign: Campaign) -> tuple[date, date]:
    """The UTC days whose views count for the window: [first, end) (see the module)."""
    return campaign.posting_starts_at.date(), campaign.posting_ends_at.date()


def in_window(campaign: Campaign, day: date) -> bool:
    first, end = counted_days(campaign)
    return first <= day < end


# --- reading -------------------------------------------------------------------------------


async def challenge_for(session: AsyncSession, viewer: Account, campaign_id: int) -> Campaign:
    """A challenge the viewer may see (NOT_FOUND otherwise), its row locked; NOT_A_CHALLENGE
    for a DEAL campaign."""
    campaign = await escrow.lock(session, campaign_id)
    if (
        campaign.status is CampaignStatus.DRAFT
        and campaign.brand_id != viewer.id
        and not viewer.is_staff
    ):
        raise NotFound("No such campaign.", field=CAMPAIGN_FIELD)
    if campaign.kind is not CampaignKind.CHALLENGE:
        raise DomainError(
            "This is a DEAL campaign: apply to it instead of entering it.",
            code=ErrorCode.NOT_A_CHALLENGE,
            field=CAMPAIGN_FIELD,
        )
    return campaign


def _require_running(campaign: Campaign, doing: str) -> None:
    if campaign.status not in RUNNING:
        raise DomainError(
            f"The challenge is {campaign.status.value}: {doing} needs it OPEN or IN_PROGRESS.",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=CAMPAIGN_FIELD,
        )


async def prize_tiers(
    session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, list[PrizeTier]]:
    """Each campaign's prize tiers, best rank first."""
    rows = await session.scalars(
        sa.select(PrizeTier)
        .where(PrizeTier.campaign_id.in_(set(campaign_ids)))
        .order_by(PrizeTier.campaign_id, PrizeTier.rank_from)
    )
    found: dict[int, list[PrizeTier]] = {cid: [] for cid in campaign_ids}
    for tier in rows:
        found[tier.campaign_id].append(tier)
    return found


def prize_for(tiers: Sequence[PrizeTier], rank: int) -> int:
    """What rank `rank` wins (0 outside every tier)."""
    for tier in tiers:
        if tier.rank_from <= rank <= tier.rank_to:
            return tier.amount_cents
    return 0


async def entries_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ChallengeEntry]:
    rows = await session.scalars(sa.select(ChallengeEntry).where(ChallengeEntry.id.in_(set(ids))))
    return {entry.id: entry for entry in rows}


async def viewer_entries(
    session: AsyncSession, creator_id: int, campaign_ids: Sequence[int]
) -> dict[int, ChallengeEntry]:
    """The creator's entry in each campaign that has one."""
    rows = await session.scalars(
        sa.select(ChallengeEntry).where(
            ChallengeEntry.creator_id == creator_id,
            ChallengeEntry.campaign_id.in_(set(campaign_ids)),
        )
    )
    return {entry.campaign_id: entry for entry in rows}


async def winners(
    session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, list[ChallengeEntry]]:
    """Each campaign's entries that won a prize, best rank first."""
    rows = await session.scalars(
        sa.select(ChallengeEntry)
        .where(
            ChallengeEntry.campaign_id.in_(set(campaign_ids)),
            ChallengeEntry.prize_cents > 0,
        )
        .order_by(ChallengeEntry.campaign_id, ChallengeEntry.rank, ChallengeEntry.id)
    )
    found: dict[int, list[ChallengeEntry]] = {cid: [] for cid in campaign_ids}
    for entry in rows:
        found[entry.campaign_id].append(entry)
    return found


def listed_entries() -> sa.Select[ChallengeEntry]:
    """The entries a challenge lists: not void."""
    return sa.select(ChallengeEntry).where(ChallengeEntry.voided_at.is_(None))


async def entry_pages(
    session: AsyncSession, *, campaign_ids: Sequence[int], settled: bool, request: PageRequest
) -> dict[int, Page[ChallengeEntry]]:
    """A page of each challenge's listed entries in one query: ranked order (rank, id) once
    `settled`, else entry order (entered_at, id)."""
    keys: tuple[InstrumentedAttribute[Any], ...]
    if settled:
        stmt = listed_entries().where(ChallengeEntry.rank.is_not(None))
        keys = (ChallengeEntry.rank, ChallengeEntry.id)
    else:
        stmt = listed_entries()
        keys = (ChallengeEntry.entered_at, ChallengeEntry.id)
    return await paginate_groups(
        session, stmt, ChallengeEntry, ChallengeEntry.campaign_id, list(campaign_ids), keys,
        request, descending=False,
    )  # fmt: skip


async def entry_counts(
    session: AsyncSession, campaign_ids: Sequence[int], *, settled: bool
) -> dict[int, int]:
    """How many entries each campaign lists (settled: the ranked ones)."""
    stmt = sa.select(ChallengeEntry.campaign_id, sa.func.count()).where(
        ChallengeEntry.campaign_id.in_(set(campaign_ids)), ChallengeEntry.voided_at.is_(None)
    )
    if settled:
        stmt = stmt.where(ChallengeEntry.rank.is_not(None))
    rows = await session.execute(stmt.group_by(ChallengeEntry.campaign_id))
    found = {cid: int(n) for cid, n in rows.all()}
    return {cid: found.get(cid, 0) for cid in campaign_ids}


# --- entering ------------------------------------------------------------------------------


async def enter_challenge(
    session: AsyncSession,
    creator: Account,
    campaign_id: int,
    video_id: int,
    *,
    now: datetime,
    rules: Rules,
) -> ChallengeEntry:
    """Enter the creator's `video_id` in the challenge (see the module for the rules)."""
    campaign = await challenge_for(session, creator, campaign_id)
    _require_running(campaign, "entering")
    if now >= campaign.posting_ends_at:
        raise DomainError(
            f"The challenge's submission window ended at {campaign.posting_ends_at.isoformat()}.",
            code=ErrorCode.APPLICATIONS_CLOSED,
            field=CAMPAIGN_FIELD,
        )
    await qualification.check_creator(
        session, creator, campaign, today=now.date(), rules=rules, field=CAMPAIGN_FIELD
    )
    already = await session.scalar(
        sa.select(ChallengeEntry.id).where(
            ChallengeEntry.campaign_id == campaign.id, ChallengeEntry.creator_id == creator.id
        )
    )
    if already is not None:
        raise DomainError(
            "You have entered this challenge already (withdraw that entry to enter another video).",
            code=ErrorCode.ALREADY_ENTERED,
            field=CAMPAIGN_FIELD,
        )
    # Locked, so a deletion racing the entry either sees the entry or is seen.
    video = await session.scalar(sa.select(Video).where(Video.id == video_id).with_for_update())
    _check_video(campaign, creator, video)
    entry = ChallengeEntry(
        campaign_id=campaign.id, creator_id=creator.id, video_id=video_id, entered_at=now,
        prize_cents=0,
    )  # fmt: skip
    session.add(entry)
    await session.flush()  # a concurrent second entry fails here and is retried: ALREADY_ENTERED
    await campaigns.mark_in_progress(session, campaign, now)
    notices.announce(
        session, (campaign.brand_id, creator.id), campaign_id=campaign.id, event="CHALLENGE_ENTERED"
    )
    return entry


def _check_video(campaign: Campaign, creator: Account, video: Video | None) -> None:
    bad = ErrorCode.INVALID_DELIVERABLE
    if video is None or video.owner_id != creator.id or video.deleted_at is not None:
        raise DomainError("No such video of yours.", code=bad, field=VIDEO_FIELD)
    if video.visibility is not Visibility.PUBLIC:
        raise DomainError(
            "Challenge entries are public videos: this one is not.", code=bad, field=VIDEO_FIELD
        )
    if not campaign.posting_starts_at <= video.published_at < campaign.posting_ends_at:
        raise DomainError(
            f"The video was published at {video.published_at.isoformat()}, outside the "
            f"submission window ({campaign.posting_starts_at.isoformat()} to "
            f"{campaign.posting_ends_at.isoformat()}, the end excluded).",
            code=ErrorCode.OUTSIDE_POSTING_WINDOW,
            field=VIDEO_FIELD,
        )
    text = f"{video.title}\n{video.description}"
    if campaign.hashtag and not carries_hashtag(text, campaign.hashtag):
        raise DomainError(
            f"The video's title or description must carry #{campaign.hashtag.removeprefix('#')}.",
            code=bad,
            field=VIDEO_FIELD,
        )
    if campaign.mention and not carries_mention(text, campaign.mention):
        raise DomainError(
            f"The video's title or description must mention @{campaign.mention.removeprefix('@')}.",
            code=bad,
            field=VIDEO_FIELD,
        )


async def own_entry(
    session: AsyncSession, creator: Account, entry_id: int
) -> tuple[ChallengeEntry, Campaign]:
    """The creator's entry and its challenge, the challenge's row locked (NOT_FOUND if the
    entry is not theirs)."""
    entry = await session.get(ChallengeEntry, entry_id)
    if entry is None or entry.creator_id != creator.id:
        raise NotFound("No such entry of yours.", field=ENTRY_FIELD)
    campaign = await escrow.lock(session, entry.campaign_id)
    # Read again under the lock: the results job may have just settled it.
    entry = await session.scalar(
        sa.select(ChallengeEntry)
        .where(ChallengeEntry.id == entry_id)
        .execution_options(populate_existing=True)
    )
    if entry is None:
        raise NotFound("No such entry of yours.", field=ENTRY_FIELD)
    return entry, campaign


async def withdraw_entry(
    session: AsyncSession, creator: Account, entry_id: int, *, now: datetime
) -> Campaign:
    """Take the creator's entry back (before the window ends); returns its challenge."""
    entry, campaign = await own_entry(session, creator, entry_id)
    _require_running(campaign, "withdrawing an entry")
    if now >= campaign.posting_ends_at:
        raise DomainError(
            f"The submission window ended at {campaign.posting_ends_at.isoformat()}: entries "
            "are final.",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=ENTRY_FIELD,
        )
    await session.delete(entry)
    await session.flush()
    notices.announce(
        session, (campaign.brand_id, creator.id), campaign_id=campaign.id,
        event="CHALLENGE_ENTRY_WITHDRAWN",
    )  # fmt: skip
    return campaign


# --- the brand's choice --------------------------------------------------------------------


async def rank_entries(
    session: AsyncSession,
    brand: Account,
    campaign_id: int,
    entry_ids: Sequence[int],
    *,
    now: datetime,
    rules: Rules,
) -> tuple[Campaign, list[ChallengeEntry]]:
    """BRAND_CHOICE: the brand's picks, best first (again to change them, until results)."""
    await brands.require_brand(session, brand)
    campaign = await challenge_for(session, brand, campaign_id)
    if campaign.brand_id != brand.id:
        raise NotFound("No such campaign.", field=CAMPAIGN_FIELD)
    if campaign.ranking is not ChallengeRanking.BRAND_CHOICE:
        raise DomainError(
            "This challenge ranks its entries by authentic views: there is nothing to pick.",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=CAMPAIGN_FIELD,
        )
    _require_running(campaign, "ranking its entries")
    if now < campaign.posting_ends_at:
        raise DomainError(
            "Entries are ranked once the submission window has ended "
            f"({campaign.posting_ends_at.isoformat()}).",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=CAMPAIGN_FIELD,
        )
    limit = rules.campaign_max_prize_rank
    if not 1 <= len(entry_ids) <= limit:
        raise DomainError(
            f"Pick 1 to {limit} entries, best first.",
            code=ErrorCode.INVALID_INPUT,
            field=ENTRIES_FIELD,
        )
    rows = await session.execute(
        sa.select(ChallengeEntry, Video.deleted_at, Video.visibility)
        .join(Video, Video.id == ChallengeEntry.video_id)
        .where(ChallengeEntry.campaign_id == campaign.id)
        .execution_options(populate_existing=True)
    )
    entries = {
        entry.id: (entry, deleted is None and visibility is Visibility.PUBLIC)
        for entry, deleted, visibility in rows.all()
    }
    seen: set[int] = set()
    for index, entry_id in enumerate(entry_ids):
        where = (*ENTRIES_FIELD, str(index))
        if entry_id in seen:
            raise DomainError(
                "This entry is picked twice.", code=ErrorCode.INVALID_INPUT, field=where
            )
        seen.add(entry_id)
        found = entries.get(entry_id)
        if found is None:
            raise NotFound("No such entry in this challenge.", field=where)
        if found[0].voided_at is not None or not found[1]:
            raise DomainError(
                "This entry's video was deleted or is no longer public: it cannot win.",
                code=ErrorCode.INVALID_INPUT,
                field=where,
            )
    await session.execute(
        sa.update(ChallengeEntry)
        .where(ChallengeEntry.campaign_id == campaign.id)
        .values(brand_rank=None)
        .execution_options(synchronize_session=False)
    )
    picked = []
    for rank, entry_id in enumerate(entry_ids, start=1):
        entry = entries[entry_id][0]
        entry.brand_rank = rank
        picked.append(entry)
    await session.flush()
    notices.announce(
        session, (campaign.brand_id,), campaign_id=campaign.id, event="CHALLENGE_RANKED"
    )
    return campaign, picked


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """One challenge's results."""

    campaign_id: int
    prizes: int  # entries paid
    cents: int
    refund_ids: tuple[int, ...]


@dataclass
class ResultsSummary:
    settled: list[Settled] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # campaign ids whose transaction failed

    @property
    def refund_ids(self) -> list[int]:
        return [rid for one in self.settled for rid in one.refund_ids]

    @property
    def cents(self) -> int:
        return sum(one.cents for one in self.settled)

    @property
    def prizes(self) -> int:
        return sum(one.prizes for one in self.settled)


def _due(now: datetime, rules: Rules) -> sa.ColumnElement[bool]:
    """Which running challenges' results are due (see the module)."""
    review_over = now - timedelta(days=rules.marketplace_review_days)
    has_entries = sa.exists().where(
        ChallengeEntry.campaign_id == Campaign.id, ChallengeEntry.voided_at.is_(None)
    )
    ranked = sa.exists().where(
        ChallengeEntry.campaign_id == Campaign.id, ChallengeEntry.brand_rank.is_not(None)
    )
    return sa.and_(
        Campaign.kind == CampaignKind.CHALLENGE,
        Campaign.status.in_(RUNNING),
        Campaign.posting_ends_at <= now,
        sa.or_(
            Campaign.ranking != ChallengeRanking.BRAND_CHOICE,
            Campaign.posting_ends_at <= review_over,
            ranked,
            ~has_entries,
        ),
    )


async def due_challenge_ids(session: AsyncSession, *, now: datetime, rules: Rules) -> list[int]:
    rows = await session.scalars(
        sa.select(Campaign.id)
        .where(_due(now, rules))
        .order_by(Campaign.posting_ends_at, Campaign.id)
    )
    return list(rows)


async def settle_challenges(
    maker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    rules: Rules,
    publish: Callable[[list[Event]], Awaitable[None]] | None = None,
) -> ResultsSummary:
    """Rank and pay every challenge whose results are due, one transaction each: a failure in
    one is logged and left for the next run, the others are done. Safe to run again and
    concurrently. The caller sends `summary.refund_ids` (`escrow.send_refunds`)."""
    async with maker() as session:
        ids = await due_challenge_ids(session, now=now, rules=rules)
    summary = ResultsSummary()
    for campaign_id in ids:
        try:
            settled = await write_once(
                maker, partial(settle_one, campaign_id=campaign_id, now=now, rules=rules), publish
            )
        except Exception:
            log.exception("the results of challenge %s failed; the next run retries", campaign_id)
            summary.failed.append(campaign_id)
            continue
        if settled is not None:
            summary.settled.append(settled)
    return summary


@dataclass
class _Ranked:
    entry: ChallengeEntry
    views: int


async def settle_one(
    session: AsyncSession, campaign_id: int, *, now: datetime, rules: Rules
) -> Settled | None:
    """One challenge's results (None when they are not due, or were settled already)."""
    campaign = await escrow.lock(session, campaign_id)
    due = await session.scalar(
        sa.select(Campaign.id).where(Campaign.id == campaign_id, _due(now, rules))
    )
    if due is None:
        return None
    rows = (
        await session.execute(
            sa.select(ChallengeEntry, Video.deleted_at, Video.visibility)
            .join(Video, Video.id == ChallengeEntry.video_id)
            .where(ChallengeEntry.campaign_id == campaign.id)
            .order_by(ChallengeEntry.entered_at, ChallengeEntry.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    valid: list[ChallengeEntry] = []
    voided: list[ChallengeEntry] = []
    for entry, deleted_at, visibility in rows:
        if entry.voided_at is None and deleted_at is None and visibility is Visibility.PUBLIC:
            valid.append(entry)
        else:
            entry.voided_at = entry.voided_at or now
            voided.append(entry)
    views = await _views_in_window(session, campaign, [e.video_id for e in valid])
    ranked = _ranking(campaign, [_Ranked(e, views.get(e.video_id, 0)) for e in valid])
    tiers = (await prize_tiers(session, [campaign.id]))[campaign.id]
    cents = prizes = 0
    for rank, one in enumerate(ranked, start=1):
        entry = one.entry
        entry.views, entry.rank = one.views, rank
        prize = prize_for(tiers, rank)
        if prize:
            transaction = await escrow.pay(
                session, campaign.id, entry.creator_id, prize, deal_id=None, now=now,
                actor_id=None, memo=f"Campaign {campaign.id}: challenge prize for rank {rank}",
            )  # fmt: skip
            assert transaction is not None
            entry.prize_cents, entry.ledger_transaction_id = prize, transaction.id
            cents += prize
            prizes += 1
    await session.flush()
    # Read the campaign again: the payments moved its amounts (the fee settles on them).
    campaign = await escrow.lock(session, campaign.id)
    refunds = await escrow.refund_free(session, campaign, now=now, actor_id=None, settle_fee=True)
    campaign.status = CampaignStatus.COMPLETED
    campaign.ended_at = campaign.updated_at = now
    await session.flush()
    await _tell_results(session, campaign, ranked, voided, refunds, now=now)
    return Settled(campaign.id, prizes, cents, tuple(r.id for r in refunds))


def _ranking(campaign: Campaign, entries: list[_Ranked]) -> list[_Ranked]:
    """Entries in their final order (see the module): `entries` come in entry order."""
    by_views = sorted(entries, key=lambda one: -one.views)  # stable: ties keep entry order
    if campaign.ranking is not ChallengeRanking.BRAND_CHOICE:
        return by_views
    picked = sorted(
        (one for one in entries if one.entry.brand_rank is not None),
        key=lambda one: one.entry.brand_rank or 0,
    )
    return picked + [one for one in by_views if one.entry.brand_rank is None]


async def _views_in_window(
    session: AsyncSession, campaign: Campaign, video_ids: Sequence[int]
) -> dict[int, int]:
    if not video_ids:
        return {}
    first, end = counted_days(campaign)
    rows = await session.execute(
        sa.select(VideoDailyViews.video_id, sa.func.sum(VideoDailyViews.views))
        .where(
            VideoDailyViews.video_id.in_(set(video_ids)),
            VideoDailyViews.day >= first,
            VideoDailyViews.day < end,
        )
        .group_by(VideoDailyViews.video_id)
    )
    return {video_id: int(n or 0) for video_id, n in rows.all()}


async def _tell_results(
    session: AsyncSession,
    campaign: Campaign,
    ranked: list[_Ranked],
    voided: list[ChallengeEntry],
    refunds: Sequence[CampaignRefund],
    *,
    now: datetime,
) -> None:
    title = notices.quoted(campaign.title)
    winners = [one.entry for one in ranked if one.entry.prize_cents]
    for one in ranked:
        entry = one.entry
        won = f"won {usd(entry.prize_cents)}" if entry.prize_cents else "won no prize"
        await notices.tell(
            session, entry.creator_id, NotificationKind.CHALLENGE_RESULTS, campaign,
            title="Challenge results",
            body=f"Your entry in {title} ranked #{entry.rank} and {won} ({one.views:,} "
            "authentic views in the window).",
            now=now, entryId=entry.id, rank=entry.rank, prizeCents=entry.prize_cents,
        )  # fmt: skip
        await notices.paid(
            session, entry.creator_id, campaign, entry.prize_cents, deal_id=None,
            why=f"challenge prize for rank #{entry.rank}", now=now,
        )  # fmt: skip
    for entry in voided:
        await notices.tell(
            session, entry.creator_id, NotificationKind.CHALLENGE_RESULTS, campaign,
            title="Challenge results",
            body=f"Your entry in {title} was void: its video was deleted or is no longer "
            "public.",
            now=now, entryId=entry.id, rank=None, prizeCents=0,
        )  # fmt: skip
    paid = sum(entry.prize_cents for entry in winners)
    await notices.tell(
        session, campaign.brand_id, NotificationKind.CHALLENGE_RESULTS, campaign,
        title="Challenge results",
        body=f"{title} is complete: {len(ranked):,} ranked entries, {len(winners):,} prizes "
        f"paid ({usd(paid)}).",
        now=now, prizeCents=paid,
    )  # fmt: skip
    refunded = sum(refund.amount_cents for refund in refunds)
    if refunded:
        await notices.tell(
            session, campaign.brand_id, NotificationKind.CAMPAIGN_REFUNDED, campaign,
            title="Campaign refund",
            body=f"The prizes of {title} nobody won are on their way back to your card.",
            now=now, refundedCents=refunded,
        )  # fmt: skip
    notices.announce(
        session,
        [
            campaign.brand_id,
            *(one.entry.creator_id for one in ranked),
            *(e.creator_id for e in voided),
        ],
        campaign_id=campaign.id,
        event="CHALLENGE_RESULTS",
    )
