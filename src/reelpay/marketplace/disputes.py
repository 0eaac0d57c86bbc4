"""Disputes: either side of a deal asks staff to decide; staff pay the creator, return the
money to the brand's free escrow, or split, through the escrow (the ledger).

A dispute can be opened on an ACTIVE, SUBMITTED or APPROVED deal while its campaign runs, one
at a time per deal (the deal is DISPUTED meanwhile: not auto-approved, and the campaign cannot
close or be cancelled). Staff act only on what the deal still has reserved: money already paid
to the creator (an APPROVED FLAT_FEE deal's fee) cannot be clawed back here. Outcomes:

- PAY_CREATOR: the creator wins, as if approved: the fee not yet paid is paid from the
  reservation; FLAT_FEE releases the rest, COMMISSION and PER_VIEW keep the cap reserved until
  the campaign closes. The deal ends APPROVED.
- REFUND_BRAND: the whole reservation goes back to free escrow. The deal ends APPROVED if the
  creator was paid anything before (an approved fee, commissions), else CANCELLED.
- SPLIT: `creator_cents` (more than 0, less than the reservation) is paid, the rest released.
  The deal ends APPROVED.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.marketplace import escrow, notices
from reelpay.marketplace.deals import (
    DEAL_FIELD,
    end_deal,
    locked_deal,
    require_side,
    require_status,
)
from reelpay.marketplace.models import (
    Campaign,
    Deal,
    DealStatus,
    Dispute,
    DisputeResolution,
    TermsKind,
)
from reelpay.marketplace.proposals import message_of, require_running
from reelpay.notifications.models import NotificationKind
from reelpay.notifications.templates import usd
from reelpay.settings import Rules

DISPUTE_FIELD = ("input", "disputeId")
REASON_FIELD = ("input", "reason")
NOTE_FIELD = ("input", "note")
AMOUNT_FIELD = ("input", "creatorAmount")
DISPUTABLE = (DealStatus.ACTIVE, DealStatus.SUBMITTED, DealStatus.APPROVED)


async def open_dispute(
    session: AsyncSession,
    actor: Account,
    deal_id: int,
    reason: str,
    *,
    now: datetime,
    rules: Rules,
) -> Dispute:
    """The deal's brand or creator opens a dispute (a reason is required); the deal becomes
    DISPUTED until staff resolve it. DEAL_DISPUTED to the other side."""
    reason = message_of(reason, rules, field=REASON_FIELD, required=True)
    deal, campaign = await locked_deal(session, deal_id)
    require_side(actor, deal, campaign, None)
    require_running(campaign, "opening a dispute", DEAL_FIELD)
    require_status(deal, *DISPUTABLE, doing="opening a dispute")
    dispute = Dispute(
        deal_id=deal.id, opened_by_id=actor.id, reason=reason, deal_status_before=deal.status,
        creator_cents=0, brand_cents=0, note="", created_at=now,
    )  # fmt: skip
    session.add(dispute)
    await session.flush()
    await session.execute(
        sa.update(Deal)
        .where(Deal.id == deal.id)
        .values(status=DealStatus.DISPUTED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(deal)
    by_brand = actor.id == campaign.brand_id
    other = deal.creator_id if by_brand else campaign.brand_id
    who = "The brand" if by_brand else f"@{actor.handle}"
    await notices.tell(
        session, other, NotificationKind.DEAL_DISPUTED, campaign, title="Deal disputed",
        body=f"{who} opened a dispute on the deal for {notices.quoted(campaign.title)}: "
        f"{reason}",
        now=now, deal_id=deal.id, disputeId=dispute.id,
    )  # fmt: skip
    notices.announce(
        session, (campaign.brand_id, deal.creator_id), campaign_id=campaign.id, deal_id=deal.id,
        event="DEAL_DISPUTED",
    )  # fmt: skip
    return dispute


async def resolve_dispute(
    session: AsyncSession,
    staff: Account,
    dispute_id: int,
    resolution: DisputeResolution,
    *,
    creator_cents: int | None,
    note: str,
    now: datetime,
    rules: Rules,
) -> Dispute:
    """Staff decide an open dispute (see the module for each outcome). DISPUTE_RESOLVED to
    both sides, MARKETPLACE_PAYMENT to the creator when they are paid."""
    accounts.require_staff(staff)
    note = message_of(note, rules, field=NOTE_FIELD, required=False)
    found = await session.get(Dispute, dispute_id)
    if found is None:
        raise NotFound("No such dispute.", field=DISPUTE_FIELD)
    deal, campaign = await locked_deal(session, found.deal_id)
    dispute = await session.get(Dispute, dispute_id, populate_existing=True)
    assert dispute is not None
    if dispute.resolution is not None:
        raise DomainError(
            f"The dispute was already resolved ({dispute.resolution.value}).",
            code=ErrorCode.DISPUTE_NOT_OPEN,
            field=DISPUTE_FIELD,
        )
    if resolution is not DisputeResolution.SPLIT and creator_cents is not None:
        raise DomainError(
            "Give `creatorAmount` with SPLIT only.", code=ErrorCode.INVALID_INPUT,
            field=AMOUNT_FIELD,
        )  # fmt: skip
    reserved = deal.reserved_cents
    fee_unpaid = 0 if dispute.deal_status_before is DealStatus.APPROVED else deal.fee_cents
    if resolution is DisputeResolution.PAY_CREATOR:
        pay = min(fee_unpaid, reserved)
        release = reserved - pay if campaign.terms_kind is TermsKind.FLAT_FEE else 0
    elif resolution is DisputeResolution.REFUND_BRAND:
        pay, release = 0, reserved
    else:
        if creator_cents is None or not 0 < creator_cents < reserved:
            raise DomainError(
                f"A split gives the creator more than 0 and less than the deal's reservation "
                f"({usd(reserved)}).",
                code=ErrorCode.INVALID_SPLIT,
                field=AMOUNT_FIELD,
            )
        pay, release = creator_cents, reserved - creator_cents
    await escrow.pay(
        session, campaign.id, deal.creator_id, pay, deal_id=deal.id, now=now, actor_id=staff.id,
        memo=f"Campaign {campaign.id}: dispute {dispute.id} ({resolution.value})",
    )  # fmt: skip
    await session.refresh(deal)
    dispute.resolution = resolution
    dispute.creator_cents = pay
    dispute.brand_cents = release
    dispute.note = note
    dispute.resolved_by_id = staff.id
    dispute.resolved_at = now
    await session.flush()
    creator_wins = resolution is not DisputeResolution.REFUND_BRAND or deal.paid_cents > 0
    if creator_wins:
        await escrow.release(
            session, campaign.id, release, deal_id=deal.id, now=now, actor_id=staff.id,
            memo=f"Campaign {campaign.id}: dispute {dispute.id} ({resolution.value})",
        )  # fmt: skip
        await _approved(session, deal, now=now)
    else:
        await end_deal(
            session, deal, campaign, now=now, actor_id=staff.id, why="after a dispute",
            notify=False,
        )  # fmt: skip
    await _tell_resolved(session, deal, campaign, dispute, now=now)
    return dispute


async def _approved(session: AsyncSession, deal: Deal, *, now: datetime) -> None:
    values: dict[str, object] = {"status": DealStatus.APPROVED, "updated_at": now}
    if deal.approved_at is None:
        values |= {"approved_at": now, "ended_at": now}
    await session.execute(
        sa.update(Deal)
        .where(Deal.id == deal.id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(deal)


async def _tell_resolved(
    session: AsyncSession, deal: Deal, campaign: Campaign, dispute: Dispute, *, now: datetime
) -> None:
    assert dispute.resolution is not None
    outcome = {
        DisputeResolution.PAY_CREATOR: "in the creator's favour",
        DisputeResolution.REFUND_BRAND: "in the brand's favour",
        DisputeResolution.SPLIT: "with a split",
    }[dispute.resolution]
    paid = (
        f" {usd(dispute.creator_cents)} was paid to the creator." if dispute.creator_cents else ""
    )
    note = f" Staff's note: {dispute.note}" if dispute.note else ""
    for account_id in (campaign.brand_id, deal.creator_id):
        await notices.tell(
            session, account_id, NotificationKind.DISPUTE_RESOLVED, campaign,
            title="Dispute resolved",
            body=f"Staff resolved the dispute on the deal for {notices.quoted(campaign.title)} "
            f"{outcome}.{paid}{note}",
            now=now, deal_id=deal.id, disputeId=dispute.id,
        )  # fmt: skip
    await notices.paid(
        session, deal.creator_id, campaign, dispute.creator_cents, deal_id=deal.id,
        why="dispute resolved", now=now,
    )  # fmt: skip
    notices.announce(
        session, (campaign.brand_id, deal.creator_id), campaign_id=campaign.id, deal_id=deal.id,
        event="DISPUTE_RESOLVED",
    )  # fmt: skip


# --- readers -------------------------------------------------------------------------------


async def disputes_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Dispute]:
    rows = await session.scalars(sa.select(Dispute).where(Dispute.id.in_(set(ids))))
    return {d.id: d for d in rows}


async def disputes_by_deal(
    session: AsyncSession, deal_ids: Sequence[int]
) -> dict[int, list[Dispute]]:
    """Each deal's disputes, oldest first."""
    rows = await session.scalars(
        sa.select(Dispute).where(Dispute.deal_id.in_(set(deal_ids))).order_by(Dispute.id)
    )
    found: dict[int, list[Dispute]] = {i: [] for i in deal_ids}
    for dispute in rows:
        found[dispute.deal_id].append(dispute)
    return found
