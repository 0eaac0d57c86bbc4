"""Reading campaigns: by id, the creators' browse of open campaigns, a brand's own list, and
the per-campaign figures the API shows (slots taken, deals' money)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.content import service as content
from reelpay.marketplace.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Category,
    CreatorCategory,
    Deal,
    DealStatus,
    Proposal,
    TermsKind,
)
from reelpay.pagination import Page, PageRequest, paginate


async def campaigns_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Campaign]:
    rows = await session.scalars(
        sa.select(Campaign)
        .where(Campaign.id.in_(set(ids)))
        .execution_options(populate_existing=True)  # escrow moves amounts with UPDATEs
    )
    return {c.id: c for c in rows}


async def slots_taken(session: AsyncSession, campaign_ids: Sequence[int]) -> dict[int, int]:
    """Each campaign's deals that hold a slot (every deal not CANCELLED)."""
    rows = await session.execute(
        sa.select(Deal.campaign_id, sa.func.count())
        .where(Deal.campaign_id.in_(set(campaign_ids)), Deal.status != DealStatus.CANCELLED)
        .group_by(Deal.campaign_id)
    )
    found = {int(cid): int(n) for cid, n in rows.all()}
    return {cid: found.get(cid, 0) for cid in campaign_ids}


async def deals_by_campaign(
    session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, list[Deal]]:
    """Each campaign's deals, oldest first."""
    rows = await session.scalars(
        sa.select(Deal)
        .where(Deal.campaign_id.in_(set(campaign_ids)))
        .order_by(Deal.id)
        .execution_options(populate_existing=True)
    )
    found: dict[int, list[Deal]] = {cid: [] for cid in campaign_ids}
    for deal in rows:
        found[deal.campaign_id].append(deal)
    return found


async def involvement(
    session: AsyncSession, creator_id: int, campaign_ids: Sequence[int]
) -> dict[int, bool]:
    """Whether `creator_id` has a proposal (and so maybe a deal) in each campaign."""
    rows = await session.scalars(
        sa.select(Proposal.campaign_id).where(
            Proposal.creator_id == creator_id, Proposal.campaign_id.in_(set(campaign_ids))
        )
    )
    involved = set(rows)
    return {cid: cid in involved for cid in campaign_ids}


# --- the creators' browse -----------------------------------------------------------------

BROWSE_KEY = (Campaign.opened_at, Campaign.id)
BRAND_KEY = (Campaign.id,)


@dataclass(frozen=True)
class BrowseFilter:
    """What a creator narrows the open campaigns to; None: any."""

    category: Category | None = None
    terms_kind: TermsKind | None = None
    # The campaign's flat fee within [min, max] (campaigns without one are left out).
    min_fee_cents: int | None = None
    max_fee_cents: int | None = None


@dataclass(frozen=True)
class CreatorFacts:
    """What a campaign's requirements are checked against."""

    followers: int
    country: str
    categories: tuple[Category, ...]


async def creator_facts(session: AsyncSession, account: Account) -> CreatorFacts:
    """The creator's approved followers, country and categories (one statement: a row per
    category, or one without a category, each with the followers)."""
    rows = (
        await session.execute(
            sa.select(content.followers_of(account.id), CreatorCategory.category)
            .select_from(Account)
            .outerjoin(CreatorCategory, CreatorCategory.account_id == Account.id)
            .where(Account.id == account.id)
        )
    ).all()
    return CreatorFacts(
        followers=int(rows[0][0]) if rows else 0,
        country=account.country,
        categories=tuple(sorted(c for _, c in rows if c is not None)),
    )


def _json_text(column: Any) -> sa.ColumnElement[str]:
    # A JSON list of plain codes (ISO countries, category names: letters only), stored as
    # its text on both databases: `[]` when empty, each code quoted. Matching the quoted code
    # in the text is exact for such values and portable (no JSON functions needed).
    return sa.cast(column, sa.Text)


def _lists_any(column: Any, codes: Sequence[str]) -> sa.ColumnElement[bool]:
    """The JSON list `column` is empty or names one of `codes`."""
    text = _json_text(column)
    return sa.or_(text == "[]", *(text.contains(f'"{code}"') for code in codes))


def requirements_met(facts: CreatorFacts) -> list[sa.ColumnElement[bool]]:
    """SQL conditions: the campaign's requirements are met by `facts`."""
    return [
        Campaign.min_followers <= facts.followers,
        _lists_any(Campaign.countries, [facts.country]),
        _lists_any(Campaign.categories, [c.value for c in facts.categories]),
    ]


def _open_slots() -> sa.ColumnElement[bool]:
    taken = (
        sa.select(sa.func.count())
        .where(Deal.campaign_id == Campaign.id, Deal.status != DealStatus.CANCELLED)
        .scalar_subquery()
    )
    return taken < Campaign.creator_slots


def _browse(now: datetime, filters: BrowseFilter, facts: CreatorFacts | None) -> sa.Select[Any]:
    conditions = [
        Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS]),
        Campaign.kind == CampaignKind.DEAL,
        Campaign.applications_paused.is_(False),
        Campaign.application_deadline > now,
        _open_slots(),
    ]
    if filters.category is not None:
        conditions.append(Campaign.category == filters.category)
    if filters.terms_kind is not None:
        conditions.append(Campaign.terms_kind == filters.terms_kind)
    if filters.min_fee_cents is not None:
        conditions.append(Campaign.flat_fee_cents >= filters.min_fee_cents)
    if filters.max_fee_cents is not None:
        conditions.append(Campaign.flat_fee_cents <= filters.max_fee_cents)
    if facts is not None:
        conditions.extend(requirements_met(facts))
    return sa.select(Campaign).where(*conditions)


async def browse_page(
    session: AsyncSession,
    request: PageRequest,
    *,
    now: datetime,
    filters: BrowseFilter,
    facts: CreatorFacts | None,
) -> Page[Campaign]:
    """Campaigns taking applications now (OPEN or IN_PROGRESS DEAL campaigns, not paused,
    before their deadline, with a slot free), matching `filters` and, given `facts`, whose
    requirements they meet; most recently opened first."""
    stmt = _browse(now, filters, facts).execution_options(populate_existing=True)
    return await paginate(session, stmt, BROWSE_KEY, request, descending=True)


async def browse_count(
    session: AsyncSession, *, now: datetime, filters: BrowseFilter, facts: CreatorFacts | None
) -> int:
    found = await session.scalar(
        sa.select(sa.func.count()).select_from(_browse(now, filters, facts).subquery())
    )
    return int(found or 0)


def _brand_campaigns(brand_id: int, status: CampaignStatus | None) -> sa.Select[Any]:
    stmt = sa.select(Campaign).where(Campaign.brand_id == brand_id)
    return stmt if status is None else stmt.where(Campaign.status == status)


async def brand_page(
    session: AsyncSession, brand_id: int, request: PageRequest, *, status: CampaignStatus | None
) -> Page[Campaign]:
    """A brand's own campaigns (every state, drafts included), newest first."""
    stmt = _brand_campaigns(brand_id, status).execution_options(populate_existing=True)
    return await paginate(session, stmt, BRAND_KEY, request, descending=True)


async def brand_count(
    session: AsyncSession, brand_id: int, *, status: CampaignStatus | None
) -> int:
    found = await session.scalar(
        sa.select(sa.func.count()).select_from(_brand_campaigns(brand_id, status).subquery())
    )
    return int(found or 0)
