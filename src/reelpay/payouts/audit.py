"""Payouts reconciled with the ledger (part of `reelpay ledger verify`).

Each creator's PAYOUTS_HELD balance must equal their REQUESTED and PROCESSING payouts, and
what the ledger says was paid out (PAYOUT_PAID) must equal their PAID payouts.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.payouts.models import Payout, PayoutStatus
from reelpay.wallet.models import (
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)


async def verify(session: AsyncSession) -> list[str]:
    """Every disagreement between payouts and the ledger, as sentences."""
    by_status = await session.execute(
        sa.select(Payout.creator_id, Payout.status, sa.func.sum(Payout.amount_cents)).group_by(
            Payout.creator_id, Payout.status
        )
    )
    in_flight: dict[int, int] = defaultdict(int)
    paid: dict[int, int] = defaultdict(int)
    for creator, status, total in by_status.all():
        if status in (PayoutStatus.REQUESTED, PayoutStatus.PROCESSING):
            in_flight[creator] += int(total)
        elif status is PayoutStatus.PAID:
            paid[creator] += int(total)
    held: dict[int, int] = {
        int(owner or 0): int(balance or 0)
        for owner, balance in (
            await session.execute(
                sa.select(LedgerAccount.owner_id, LedgerAccount.balance).where(
                    LedgerAccount.kind == LedgerAccountKind.PAYOUTS_HELD
                )
            )
        ).all()
    }
    sent: dict[int, int] = {
        int(owner or 0): -int(total)
        for owner, total in (
            await session.execute(
                sa.select(LedgerAccount.owner_id, sa.func.sum(LedgerPosting.amount))
                .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
                .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
                .where(
                    LedgerAccount.kind == LedgerAccountKind.PAYOUTS_HELD,
                    LedgerTransaction.kind == TransactionKind.PAYOUT_PAID,
                )
                .group_by(LedgerAccount.owner_id)
            )
        ).all()
    }
    problems = []
    for creator in sorted({*in_flight, *held}):
        if held.get(creator, 0) != in_flight.get(creator, 0):
            problems.append(
                f"account {creator}: {held.get(creator, 0)} cents held for payouts, but its "
                f"requested and processing payouts total {in_flight.get(creator, 0)}"
            )
    for creator in sorted({*paid, *sent}):
        if sent.get(creator, 0) != paid.get(creator, 0):
            problems.append(
                f"account {creator}: the ledger paid out {sent.get(creator, 0)} cents, but its "
                f"paid payouts total {paid.get(creator, 0)}"
            )
    return problems
