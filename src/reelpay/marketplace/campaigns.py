"""A brand's campaigns: drafting, opening and pausing applications, and the helpers every
part of the marketplace shares (the brand's own campaign, locked; IN_PROGRESS at the first
deal or entry; state errors). Funding is in `funding`, closing and cancelling in `closing`.

Every write that touches a campaign's money or its deals' states locks the campaign's row
first (`escrow.lock`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.marketplace import brands, campaign_rules, escrow, notices
from reelpay.marketplace.campaign_rules import CampaignDraft, TermsDraft, TierDraft
from reelpay.marketplace.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Category,
    PrizeTier,
    Proposal,
    ProposalStatus,
)
from reelpay.notifications.templates import usd
from reelpay.settings import Rules

CAMPAIGN_FIELD = escrow.CAMPAIGN_FIELD


# --- helpers parts of the marketplace share -------------------------------------------------


async def mark_in_progress(session: AsyncSession, campaign: Campaign, now: datetime) -> None:
    """OPEN -> IN_PROGRESS at the first deal or challenge entry (the caller holds the
    campaign's lock: `campaign` is what `escrow.lock` returned). Any other state is left."""
    if campaign.status is CampaignStatus.OPEN:
        campaign.status = CampaignStatus.IN_PROGRESS
        campaign.started_at = campaign.started_at or now
        campaign.updated_at = now
        await session.flush()


def announce_change(
    session: AsyncSession, campaign: Campaign, event: str, creator_ids: Iterable[int] = ()
) -> None:
    """The brand and these creators hear (live) that the campaign changed."""
    notices.announce(
        session, [campaign.brand_id, *creator_ids], campaign_id=campaign.id, event=event
    )


def state_error(campaign: Campaign, doing: str) -> DomainError:
    """CAMPAIGN_STATE_INVALID, naming the campaign's state."""
    return DomainError(
        f"The campaign is {campaign.status.value}: it cannot {doing}.",
        code=ErrorCode.CAMPAIGN_STATE_INVALID,
        field=CAMPAIGN_FIELD,
    )


async def own_campaign(session: AsyncSession, brand: Account, campaign_id: int) -> Campaign:
    """The brand's campaign, its row locked (the first lock of the transaction): a BUSINESS
    account with a brand profile only; anyone else's campaign is NOT_FOUND."""
    await brands.require_brand(session, brand)
    campaign = await escrow.lock(session, campaign_id)
    if campaign.brand_id != brand.id:
        raise NotFound("No such campaign.", field=CAMPAIGN_FIELD)
    return campaign


# --- drafting ---------------------------------------------------------------------------


async def create_campaign(
    session: AsyncSession, brand: Account, draft: CampaignDraft, *, rules: Rules, now: datetime
) -> Campaign:
    """A DRAFT campaign; every bad field is reported at once (nothing is written)."""
    await brands.require_brand(session, brand)
    draft = _checked(draft, rules)
    campaign = Campaign(
        brand_id=brand.id,
        kind=draft.kind,
        status=CampaignStatus.DRAFT,
        applications_paused=False,
        fee_basis_points=rules.marketplace_fee_basis_points,
        funded_cents=0, reserved_cents=0, paid_cents=0, refunded_cents=0,
        fee_cents=0, fee_kept_cents=0, fee_refunded_cents=0,
        created_at=now,
        **_columns(draft, now),
    )  # fmt: skip
    session.add(campaign)
    await session.flush()
    _set_tiers(session, campaign.id, draft.prize_tiers)
    await session.flush()
    announce_change(session, campaign, "CAMPAIGN_CREATED")
    return campaign


async def update_campaign(
    session: AsyncSession,
    brand: Account,
    campaign_id: int,
    changes: dict[str, Any],
    *,
    rules: Rules,
    now: datetime,
) -> Campaign:
    """Change a DRAFT's fields (`changes`: CampaignDraft field names); the whole campaign is
    checked again as `create_campaign` checks it."""
    campaign = await own_campaign(session, brand, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT:
        raise state_error(campaign, "be edited (only a DRAFT can)")
    tiers = await prize_tiers(session, campaign.id)
    draft = _checked(replace(draft_of(campaign, tiers), **changes), rules)
    for name, value in _columns(draft, now).items():
        setattr(campaign, name, value)
    if "prize_tiers" in changes:
        await session.execute(sa.delete(PrizeTier).where(PrizeTier.campaign_id == campaign.id))
        _set_tiers(session, campaign.id, draft.prize_tiers)
    await session.flush()
    announce_change(session, campaign, "CAMPAIGN_UPDATED")
    return campaign


def _checked(draft: CampaignDraft, rules: Rules) -> CampaignDraft:
    draft, problems = campaign_rules.check_campaign(draft, rules)
    if problems:
        raise DomainError.of(problems)
    return draft


def _columns(draft: CampaignDraft, now: datetime) -> dict[str, Any]:
    terms = draft.terms
    return {
        "title": draft.title,
        "brief": draft.brief,
        "category": draft.category,
        "videos_required": draft.videos_required,
        "hashtag": draft.hashtag,
        "mention": draft.mention,
        "posting_starts_at": draft.posting_starts_at,
        "posting_ends_at": draft.posting_ends_at,
        "min_followers": draft.min_followers,
        "countries": list(draft.countries),
        "categories": [c.value for c in draft.categories],
        "application_deadline": draft.application_deadline,
        "creator_slots": draft.creator_slots,
        "terms_kind": terms.kind if terms else None,
        "flat_fee_cents": terms.flat_fee_cents if terms else None,
        "commission_basis_points": terms.commission_basis_points if terms else None,
        "cents_per_1000_views": terms.cents_per_1000_views if terms else None,
        "cap_per_creator_cents": terms.cap_per_creator_cents if terms else None,
        "allows_offers": terms.allows_offers if terms else False,
        "ranking": draft.ranking,
        "budget_cents": draft.budget_cents,
        "updated_at": now,
    }


def _set_tiers(session: AsyncSession, campaign_id: int, tiers: Sequence[TierDraft]) -> None:
    session.add_all(
        PrizeTier(
            campaign_id=campaign_id, rank_from=t.rank_from, rank_to=t.rank_to,
            amount_cents=t.amount_cents,
        )
        for t in tiers
    )  # fmt: skip


async def prize_tiers(session: AsyncSession, campaign_id: int) -> list[PrizeTier]:
    """A challenge's prize tiers, best ranks first."""
    rows = await session.scalars(
        sa.select(PrizeTier)
        .where(PrizeTier.campaign_id == campaign_id)
        .order_by(PrizeTier.rank_from)
    )
    return list(rows)


def draft_of(campaign: Campaign, tiers: Sequence[PrizeTier]) -> CampaignDraft:
    """The campaign's fields as a draft (what `update_campaign` changes and checks)."""
    terms = None
    if campaign.terms_kind is not None:
        terms = TermsDraft(
            kind=campaign.terms_kind,
            flat_fee_cents=campaign.flat_fee_cents,
            commission_basis_points=campaign.commission_basis_points,
            cents_per_1000_views=campaign.cents_per_1000_views,
            cap_per_creator_cents=campaign.cap_per_creator_cents,
            allows_offers=campaign.allows_offers,
        )
    return CampaignDraft(
        kind=campaign.kind,
        title=campaign.title,
        brief=campaign.brief,
        category=campaign.category,
        posting_starts_at=campaign.posting_starts_at,
        posting_ends_at=campaign.posting_ends_at,
        application_deadline=campaign.application_deadline,
        budget_cents=campaign.budget_cents,
        videos_required=campaign.videos_required,
        hashtag=campaign.hashtag,
        mention=campaign.mention,
        min_followers=campaign.min_followers,
        countries=tuple(campaign.countries),
        categories=tuple(Category(c) for c in campaign.categories),
        creator_slots=campaign.creator_slots,
        terms=terms,
        ranking=campaign.ranking,
        prize_tiers=tuple(TierDraft(t.rank_from, t.rank_to, t.amount_cents) for t in tiers),
    )


# --- the life of a campaign ----------------------------------------------------------------


async def open_campaign(
    session: AsyncSession, brand: Account, campaign_id: int, *, now: datetime
) -> Campaign:
    """DRAFT -> OPEN: funded to its budget, its application deadline and posting window's end
    still ahead."""
    campaign = await own_campaign(session, brand, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT:
        raise state_error(campaign, "be opened (only a DRAFT can)")
    if campaign.funded_cents < campaign.budget_cents:
        missing = campaign.budget_cents - campaign.funded_cents
        raise DomainError(
            f"Fund the campaign's budget first: {usd(missing)} is missing (`fundCampaign`).",
            code=ErrorCode.CAMPAIGN_NOT_FUNDED,
            field=CAMPAIGN_FIELD,
        )
    deadline = campaign.application_deadline
    if campaign.kind is CampaignKind.CHALLENGE:
        deadline = campaign.posting_ends_at
    if deadline <= now or campaign.posting_ends_at <= now:
        raise DomainError(
            "The campaign's dates have passed: move its application deadline and posting "
            "window into the future (`updateCampaign`) first.",
            code=ErrorCode.INVALID_INPUT,
            field=CAMPAIGN_FIELD,
        )
    campaign.status = CampaignStatus.OPEN
    campaign.opened_at = now
    campaign.updated_at = now
    await session.flush()
    announce_change(session, campaign, "CAMPAIGN_OPENED")
    return campaign


async def set_applications_paused(
    session: AsyncSession, brand: Account, campaign_id: int, paused: bool, *, now: datetime
) -> Campaign:
    """Pause (or resume) applications and invitations of a running campaign."""
    campaign = await own_campaign(session, brand, campaign_id)
    doing = "pause applications" if paused else "resume applications"
    if campaign.status not in campaign_rules.RUNNING_STATUSES:
        raise state_error(campaign, doing)
    if campaign.applications_paused == paused:
        raise DomainError(
            f"Applications are already {'paused' if paused else 'accepted'}.",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=CAMPAIGN_FIELD,
        )
    campaign.applications_paused = paused
    campaign.updated_at = now
    await session.flush()
    event = "APPLICATIONS_PAUSED" if paused else "APPLICATIONS_RESUMED"
    announce_change(session, campaign, event, await creators_of(session, campaign))
    return campaign


async def creators_of(session: AsyncSession, campaign: Campaign) -> list[int]:
    """Creators with a deal or a pending proposal in the campaign (they hear of changes)."""
    rows = await session.scalars(
        sa.select(Proposal.creator_id).where(
            Proposal.campaign_id == campaign.id,
            Proposal.status.in_([ProposalStatus.PENDING, ProposalStatus.ACCEPTED]),
        )
    )
    return list(rows)
