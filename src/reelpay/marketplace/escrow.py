"""A campaign's escrow: every movement of a campaign's money, and its reconciliation.

Three ledger accounts per campaign hold its money (see `marketplace.models`):

    funding   PAYMENT_CLEARING -> ESCROW (+ ESCROW_FEES, the platform fee on top)
    reserve   ESCROW -> ESCROW_RESERVED          (a creator accepted: their maximum)
    release   ESCROW_RESERVED -> ESCROW          (no longer needed)
    pay       ESCROW_RESERVED -> creator EARNINGS (source MARKETPLACE); a challenge prize
              is paid from ESCROW directly
    refund    ESCROW -> PAYMENT_CLEARING, and the unearned fee ESCROW_FEES -> PAYMENT_CLEARING,
              the earned fee ESCROW_FEES -> MARKETPLACE_FEES

The ledger refuses to take an escrow account below zero (`CAMPAIGN_BUDGET_EXHAUSTED`), so
however requests race, a campaign never reserves or pays more than it holds. The amounts on
the campaign and its deals move in the same transaction and `verify` reconciles them.

Lock order: a transaction that moves a campaign's money or changes its deals locks the
campaign's row first (`lock`), then its deals, then the ledger's balances.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.db import write_once
from reelpay.errors import NotFound
from reelpay.marketplace.models import Campaign, CampaignFunding, CampaignRefund, Deal, RefundStatus
from reelpay.payments.provider import PaymentProvider
from reelpay.wallet import ledger
from reelpay.wallet.models import (
    EarningsSource,
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)

log = logging.getLogger("reelpay.marketplace")

FREE = LedgerAccountKind.ESCROW
RESERVED = LedgerAccountKind.ESCROW_RESERVED
FEES = LedgerAccountKind.ESCROW_FEES
CAMPAIGN_FIELD = ("input", "campaignId")


def fee_for(cents: int, basis_points: int) -> int:
    """The platform fee on `cents` (rounded down: in the brand's favour)."""
    return cents * basis_points // 10_000


async def lock(session: AsyncSession, campaign_id: int) -> Campaign:
    """The campaign, its row locked for this transaction (the first lock; see the module)."""
    campaign = await session.scalar(
        sa.select(Campaign)
        .where(Campaign.id == campaign_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if campaign is None:
        raise NotFound("No such campaign.", field=CAMPAIGN_FIELD)
    return campaign


async def lock_of_deal(session: AsyncSession, deal_id: int) -> Campaign | None:
    """The deal's campaign, its row locked as `lock` does (the deal's row is read, not locked,
    to find it); None when there is no such deal. One statement instead of reading the deal
    first."""
    campaign_id = sa.select(Deal.campaign_id).where(Deal.id == deal_id).scalar_subquery()
    return await session.scalar(
        sa.select(Campaign)
        .where(Campaign.id == campaign_id)
        .with_for_update(of=Campaign)
        .execution_options(populate_existing=True)
    )


async def _add(session: AsyncSession, campaign_id: int, **amounts: int) -> None:
    """Move the campaign's displayed amounts (the database CHECKs back the ledger up)."""
    await session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id)
        .values({name: getattr(Campaign, name) + delta for name, delta in amounts.items()})
        .execution_options(synchronize_session=False)
    )


async def _add_to_deal(session: AsyncSession, deal_id: int, **amounts: int) -> None:
    await session.execute(
        sa.update(Deal)
        .where(Deal.id == deal_id)
        .values({name: getattr(Deal, name) + delta for name, delta in amounts.items()})
        .execution_options(synchronize_session=False)
    )


async def fund(
    session: AsyncSession,
    campaign: Campaign,
    *,
    payment_id: int,
    amount_cents: int,
    fee_cents: int,
    now: datetime,
) -> CampaignFunding:
    """Record a funding charge whose ledger transaction (`funding_legs`) was posted."""
    funding = CampaignFunding(
        campaign_id=campaign.id, payment_id=payment_id, amount_cents=amount_cents,
        fee_cents=fee_cents, refunded_cents=0, created_at=now,
    )  # fmt: skip
    session.add(funding)
    await session.flush()
    await _add(session, campaign.id, funded_cents=amount_cents, fee_cents=fee_cents)
    return funding


def funding_legs(
    campaign_id: int, amount_cents: int, fee_cents: int
) -> list[tuple[ledger.Ref, int]]:
    """The ledger legs of a funding charge of `amount_cents` plus `fee_cents` on top."""
    legs = [
        (ledger.platform(LedgerAccountKind.PAYMENT_CLEARING), -(amount_cents + fee_cents)),
        (ledger.campaign(campaign_id, FREE), amount_cents),
    ]
    if fee_cents:
        legs.append((ledger.campaign(campaign_id, FEES), fee_cents))
    return legs


async def reserve(
    session: AsyncSession,
    campaign_id: int,
    cents: int,
    *,
    deal_id: int,
    now: datetime,
    actor_id: int | None,
    memo: str,
) -> None:
    """Set `cents` aside for a creator; CAMPAIGN_BUDGET_EXHAUSTED if escrow lacks them."""
    if cents <= 0:
        return
    await ledger.post(
        session,
        kind=TransactionKind.CAMPAIGN_RESERVE,
        legs=[
            (ledger.campaign(campaign_id, FREE), -cents),
            (ledger.campaign(campaign_id, RESERVED), cents),
        ],
        now=now,
        actor_id=actor_id,
        memo=memo,
    )
    await _add(session, campaign_id, reserved_cents=cents)
    await _add_to_deal(session, deal_id, reserved_cents=cents)


async def release(
    session: AsyncSession,
    campaign_id: int,
    cents: int,
    *,
    deal_id: int,
    now: datetime,
    actor_id: int | None,
    memo: str,
    move_deal: bool = True,
) -> None:
    """Return a reservation no longer needed to the campaign's free escrow. `move_deal`
    off: the caller moved the deal's amount itself (in the same transaction)."""
    if cents <= 0:
        return
    await ledger.post(
        session,
        kind=TransactionKind.CAMPAIGN_RELEASE,
        legs=[
            (ledger.campaign(campaign_id, RESERVED), -cents),
            (ledger.campaign(campaign_id, FREE), cents),
        ],
        now=now,
        actor_id=actor_id,
        memo=memo,
    )
    await _add(session, campaign_id, reserved_cents=-cents)
    if move_deal:
        await _add_to_deal(session, deal_id, reserved_cents=-cents)


async def pay(
    session: AsyncSession,
    campaign_id: int,
    creator_id: int,
    cents: int,
    *,
    deal_id: int | None,
    now: datetime,
    actor_id: int | None,
    memo: str,
    move_deal: bool = True,
) -> LedgerTransaction | None:
    """Pay a creator: from the deal's reservation, or (no deal: a challenge prize) from the
    free escrow, to their earnings with source MARKETPLACE. None when `cents` is 0.
    `move_deal` off: the caller moved the deal's amounts itself (in the same transaction)."""
    if cents <= 0:
        return None
    source = FREE if deal_id is None else RESERVED
    transaction = await ledger.post(
        session,
        kind=TransactionKind.CAMPAIGN_PAYMENT,
        legs=[
            (ledger.campaign(campaign_id, source), -cents),
            (ledger.user(creator_id, LedgerAccountKind.EARNINGS), cents),
        ],
        now=now,
        actor_id=actor_id,
        earnings_source=EarningsSource.MARKETPLACE,
        memo=memo,
    )
    if deal_id is None:
        await _add(session, campaign_id, paid_cents=cents)
    else:
        await _add(session, campaign_id, paid_cents=cents, reserved_cents=-cents)
        if move_deal:
            await _add_to_deal(session, deal_id, paid_cents=cents, reserved_cents=-cents)
    return transaction


async def balances(session: AsyncSession, campaign_id: int) -> dict[LedgerAccountKind, int]:
    """The campaign's escrow balances by kind (a missing account holds 0)."""
    rows = await session.execute(
        sa.select(LedgerAccount.kind, LedgerAccount.balance).where(
            LedgerAccount.campaign_id == campaign_id
        )
    )
    found = {kind: int(balance or 0) for kind, balance in rows.all()}
    return {kind: found.get(kind, 0) for kind in (FREE, RESERVED, FEES)}


async def refund_free(
    session: AsyncSession,
    campaign: Campaign,
    *,
    now: datetime,
    actor_id: int | None,
    settle_fee: bool,
) -> list[CampaignRefund]:
    """Give the brand back what is free in escrow, newest funding charge first, as partial
    refunds recorded PENDING (the caller sends them after its commit: `send_refunds`).

    With `settle_fee` (the campaign is over) the fee is settled too: the platform keeps the
    fee on what was paid to creators and the rest of the fee goes back with the refund.
    """
    # The amounts as this transaction left them (a payment earlier in it moved them in SQL).
    await session.refresh(campaign, ["paid_cents", "fee_kept_cents"])
    held = await balances(session, campaign.id)
    free = held[FREE]
    fee_back = fee_kept = 0
    if settle_fee and held[FEES]:
        earned = fee_for(campaign.paid_cents, campaign.fee_basis_points)
        fee_kept = min(held[FEES], earned - campaign.fee_kept_cents)
        fee_kept = max(fee_kept, 0)
        fee_back = held[FEES] - fee_kept
    if not (free or fee_back or fee_kept):
        return []
    legs: list[tuple[ledger.Ref, int]] = []
    if free:
        legs.append((ledger.campaign(campaign.id, FREE), -free))
    if fee_back or fee_kept:
        legs.append((ledger.campaign(campaign.id, FEES), -(fee_back + fee_kept)))
    if fee_kept:
        legs.append((ledger.platform(LedgerAccountKind.MARKETPLACE_FEES), fee_kept))
    if free + fee_back:
        legs.append((ledger.platform(LedgerAccountKind.PAYMENT_CLEARING), free + fee_back))
    transaction = await ledger.post(
        session,
        kind=TransactionKind.CAMPAIGN_REFUND,
        legs=legs,
        now=now,
        actor_id=actor_id,
        memo=f"Campaign {campaign.id}: refund of unused escrow"[:200],
    )
    await _add(
        session, campaign.id, refunded_cents=free, fee_refunded_cents=fee_back,
        fee_kept_cents=fee_kept,
    )  # fmt: skip
    refunds: list[CampaignRefund] = []
    owed = free + fee_back
    fundings = await session.scalars(
        sa.select(CampaignFunding)
        .where(CampaignFunding.campaign_id == campaign.id)
        .order_by(CampaignFunding.id.desc())
        .with_for_update()
    )
    for funding in fundings:
        if not owed:
            break
        room = funding.amount_cents + funding.fee_cents - funding.refunded_cents
        amount = min(room, owed)
        if amount <= 0:
            continue
        owed -= amount
        funding.refunded_cents += amount
        refunds.append(
            CampaignRefund(
                campaign_id=campaign.id, funding_id=funding.id, amount_cents=amount,
                ledger_transaction_id=transaction.id, status=RefundStatus.PENDING, attempts=0,
                created_at=now,
            )
        )  # fmt: skip
    if owed:
        raise AssertionError(f"campaign {campaign.id}: {owed} cents refunded beyond its charges")
    session.add_all(refunds)
    await session.flush()
    return refunds


async def send_refunds(
    maker: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    *,
    now: datetime,
    refund_ids: Sequence[int] | None = None,
    limit: int = 100,
) -> int:
    """Ask the provider for PENDING campaign refunds (these, or the oldest `limit`); each is
    marked SENT once the provider took it. Safe to run again: the provider's refund of a
    charge is idempotent per refund row (`refund_key`). Returns how many were sent."""
    async with maker() as session:
        stmt = sa.select(
            CampaignRefund.id, CampaignRefund.amount_cents, CampaignFunding.payment_id
        ).join(CampaignFunding, CampaignFunding.id == CampaignRefund.funding_id)
        stmt = stmt.where(CampaignRefund.status == RefundStatus.PENDING)
        if refund_ids is not None:
            stmt = stmt.where(CampaignRefund.id.in_(list(refund_ids)))
        rows = (await session.execute(stmt.order_by(CampaignRefund.id).limit(limit))).all()
        charges = await _charges(session, [payment_id for _, _, payment_id in rows])
    sent = 0
    for refund_id, amount, payment_id in rows:
        try:
            await provider.refund(
                charges[payment_id], amount_cents=amount, key=refund_key(refund_id)
            )
        except Exception:
            log.exception("campaign refund %s was not sent; it stays PENDING", refund_id)
            await write_once(maker, partial(_attempted, refund_id=refund_id))
            continue
        await write_once(maker, partial(_sent, refund_id=refund_id, now=now))
        sent += 1
    return sent


def refund_key(refund_id: int) -> str:
    """The provider's idempotency key of one campaign refund."""
    return f"reelpay-campaign-refund-{refund_id}"


async def _charges(session: AsyncSession, payment_ids: list[int]) -> dict[int, str]:
    from reelpay.payments.models import Payment

    rows = await session.execute(
        sa.select(Payment.id, Payment.provider_charge_id).where(Payment.id.in_(set(payment_ids)))
    )
    return {pid: charge for pid, charge in rows.all()}


async def _attempted(session: AsyncSession, *, refund_id: int) -> None:
    await session.execute(
        sa.update(CampaignRefund)
        .where(CampaignRefund.id == refund_id)
        .values(attempts=CampaignRefund.attempts + 1)
    )


async def _sent(session: AsyncSession, *, refund_id: int, now: datetime) -> None:
    await session.execute(
        sa.update(CampaignRefund)
        .where(CampaignRefund.id == refund_id, CampaignRefund.status == RefundStatus.PENDING)
        .values(status=RefundStatus.SENT, sent_at=now, attempts=CampaignRefund.attempts + 1)
    )


def _flows(kind: TransactionKind, account: LedgerAccountKind) -> Any:
    """Per campaign: the sum of postings of transactions of `kind` on its `account` kind."""
    return (
        sa.select(
            LedgerAccount.campaign_id.label("campaign_id"),
            sa.func.sum(LedgerPosting.amount).label("total"),
        )
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerTransaction.kind == kind, LedgerAccount.kind == account)
        .group_by(LedgerAccount.campaign_id)
    )


async def verify(session: AsyncSession) -> list[str]:
    """Every campaign whose books do not add up, described (`reelpay ledger verify`):
    funded = paid + reserved + refunded + free, each figure the ledger's, and the campaign's
    and its deals' displayed amounts equal to them."""

    async def totals(kind: TransactionKind, account: LedgerAccountKind) -> dict[int, int]:
        return {
            cid: int(total) for cid, total in (await session.execute(_flows(kind, account))).all()
        }

    funded = await totals(TransactionKind.CAMPAIGN_FUNDING, FREE)
    # Reversals of payments (none are made today) would show here as a mismatch.
    paid_reserved = await totals(TransactionKind.CAMPAIGN_PAYMENT, RESERVED)
    paid_free = await totals(TransactionKind.CAMPAIGN_PAYMENT, FREE)
    refunded = await totals(TransactionKind.CAMPAIGN_REFUND, FREE)
    held = await session.execute(
        sa.select(LedgerAccount.campaign_id, LedgerAccount.kind, LedgerAccount.balance).where(
            LedgerAccount.campaign_id.is_not(None)
        )
    )
    balance: dict[tuple[int, LedgerAccountKind], int] = {
        (cid, kind): int(value or 0) for cid, kind, value in held.all() if cid is not None
    }
    deals = {
        cid: (int(reserved), int(paid))
        for cid, reserved, paid in (
            await session.execute(
                sa.select(
                    Deal.campaign_id, sa.func.sum(Deal.reserved_cents), sa.func.sum(Deal.paid_cents)
                ).group_by(Deal.campaign_id)
            )
        ).all()
    }
    problems: list[str] = []
    for campaign in await session.scalars(sa.select(Campaign).order_by(Campaign.id)):
        cid = campaign.id
        ledger_funded = funded.get(cid, 0)
        ledger_paid = -paid_reserved.get(cid, 0) - paid_free.get(cid, 0)
        ledger_refunded = -refunded.get(cid, 0)
        reserved = balance.get((cid, RESERVED), 0)
        free = balance.get((cid, FREE), 0)
        name = f"campaign {cid}"
        if ledger_funded != ledger_paid + reserved + ledger_refunded + free:
            problems.append(
                f"{name}: funded {ledger_funded} != paid {ledger_paid} + reserved {reserved}"
                f" + refunded {ledger_refunded} + free {free}"
            )
        shown = {
            "funded": (campaign.funded_cents, ledger_funded),
            "paid": (campaign.paid_cents, ledger_paid),
            "reserved": (campaign.reserved_cents, reserved),
            "refunded": (campaign.refunded_cents, ledger_refunded),
        }
        for label, (displayed, booked) in shown.items():
            if displayed != booked:
                problems.append(f"{name} shows {label} {displayed} but the ledger has {booked}")
        fees = balance.get((cid, FEES), 0)
        fee_accounted = campaign.fee_kept_cents + campaign.fee_refunded_cents + fees
        if campaign.fee_cents != fee_accounted:
            problems.append(
                f"{name}: fee charged {campaign.fee_cents} != kept {campaign.fee_kept_cents}"
                f" + refunded {campaign.fee_refunded_cents} + held {fees}"
            )
        deal_reserved, deal_paid = deals.get(cid, (0, 0))
        if deal_reserved != reserved:
            problems.append(f"{name}: its deals reserve {deal_reserved}, the ledger {reserved}")
        if deal_paid != -paid_reserved.get(cid, 0):
            problems.append(
                f"{name}: its deals were paid {deal_paid}, the ledger {-paid_reserved.get(cid, 0)}"
            )
    return problems
