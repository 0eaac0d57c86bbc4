"""Reading proposals, deals, their deliverables and the paid-partnership labels, in batches
(the API's loaders: a page of N items costs a fixed number of statements). Who may see what
is decided by the caller (see `graphql/marketplace/deals.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.marketplace.models import (
    Deal,
    Deliverable,
    PaidPartnership,
    Proposal,
    ProposalStatus,
)
from reelpay.pagination import Page, PageRequest, paginate, paginate_groups

# Lists are newest first by id.
PROPOSAL_KEY = (Proposal.id,)
DEAL_KEY = (Deal.id,)


async def deals_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Deal]:
    rows = await session.scalars(sa.select(Deal).where(Deal.id.in_(set(ids))))
    return {d.id: d for d in rows}


async def proposals_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Proposal]:
    rows = await session.scalars(sa.select(Proposal).where(Proposal.id.in_(set(ids))))
    return {p.id: p for p in rows}


async def deals_by_proposal(session: AsyncSession, proposal_ids: Sequence[int]) -> dict[int, Deal]:
    """The deal each accepted proposal made."""
    rows = await session.scalars(sa.select(Deal).where(Deal.proposal_id.in_(set(proposal_ids))))
    return {d.proposal_id: d for d in rows}


async def deliverables_by_deal(
    session: AsyncSession, deal_ids: Sequence[int]
) -> dict[int, list[Deliverable]]:
    """Each deal's current deliverables, in the order submitted (by id)."""
    rows = await session.scalars(
        sa.select(Deliverable)
        .where(Deliverable.deal_id.in_(set(deal_ids)))
        .order_by(Deliverable.id)
    )
    found: dict[int, list[Deliverable]] = {i: [] for i in deal_ids}
    for deliverable in rows:
        found[deliverable.deal_id].append(deliverable)
    return found


async def partnerships_by_video(
    session: AsyncSession, video_ids: Sequence[int]
) -> dict[int, PaidPartnership]:
    rows = await session.scalars(
        sa.select(PaidPartnership).where(PaidPartnership.video_id.in_(set(video_ids)))
    )
    return {p.video_id: p for p in rows}


def _proposals(status: ProposalStatus | None) -> sa.Select[Any]:
    stmt = sa.select(Proposal)
    return stmt if status is None else stmt.where(Proposal.status == status)


async def campaign_proposal_pages(
    session: AsyncSession,
    campaign_ids: Sequence[int],
    request: PageRequest,
    status: ProposalStatus | None,
) -> dict[int, Page[Proposal]]:
    """The same page of each campaign's proposals (newest first), in one query."""
    return await paginate_groups(
        session, _proposals(status), Proposal, Proposal.campaign_id, list(campaign_ids),
        PROPOSAL_KEY, request, descending=True,
    )  # fmt: skip


async def campaign_proposal_counts(
    session: AsyncSession, campaign_ids: Sequence[int], status: ProposalStatus | None
) -> dict[int, int]:
    stmt = sa.select(Proposal.campaign_id, sa.func.count()).where(
        Proposal.campaign_id.in_(set(campaign_ids))
    )
    if status is not None:
        stmt = stmt.where(Proposal.status == status)
    rows = await session.execute(stmt.group_by(Proposal.campaign_id))
    found = {int(cid): int(n) for cid, n in rows.all()}
    return {cid: found.get(cid, 0) for cid in campaign_ids}


async def campaign_deal_pages(
    session: AsyncSession, campaign_ids: Sequence[int], request: PageRequest
) -> dict[int, Page[Deal]]:
    """The same page of each campaign's deals (newest first), in one query."""
    return await paginate_groups(
        session, sa.select(Deal), Deal, Deal.campaign_id, list(campaign_ids), DEAL_KEY, request,
        descending=True,
    )  # fmt: skip


async def campaign_deal_counts(
    session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, int]:
    rows = await session.execute(
        sa.select(Deal.campaign_id, sa.func.count())
        .where(Deal.campaign_id.in_(set(campaign_ids)))
        .group_by(Deal.campaign_id)
    )
    found = {int(cid): int(n) for cid, n in rows.all()}
    return {cid: found.get(cid, 0) for cid in campaign_ids}


async def creator_deals(session: AsyncSession, creator_id: int, request: PageRequest) -> Page[Deal]:
    """A creator's deals, newest first."""
    stmt = sa.select(Deal).where(Deal.creator_id == creator_id)
    return await paginate(session, stmt, DEAL_KEY, request, descending=True)


async def creator_deal_count(session: AsyncSession, creator_id: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(Deal).where(Deal.creator_id == creator_id)
    return int(await session.scalar(stmt) or 0)


async def creator_proposals(
    session: AsyncSession, creator_id: int, request: PageRequest, status: ProposalStatus | None
) -> Page[Proposal]:
    """A creator's applications and invitations, newest first."""
    stmt = _proposals(status).where(Proposal.creator_id == creator_id)
    return await paginate(session, stmt, PROPOSAL_KEY, request, descending=True)


async def creator_proposal_count(
    session: AsyncSession, creator_id: int, status: ProposalStatus | None
) -> int:
    stmt = sa.select(sa.func.count()).select_from(Proposal).where(Proposal.creator_id == creator_id)
    if status is not None:
        stmt = stmt.where(Proposal.status == status)
    return int(await session.scalar(stmt) or 0)
