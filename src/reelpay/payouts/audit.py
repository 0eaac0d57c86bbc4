"""Payouts reconciled with the ledger (part of `reelpay ledger verify`).

For each creator:
- their PAYOUTS_HELD balance equals their REQUESTED and PROCESSING payouts;
- what the ledger paid out (PAYOUT_PAID) equals their PAID and RETURNED payouts: a RETURNED
  payout was paid before its money came back;
- what the ledger took back from the platform's PAYOUTS_SENT (a PAYOUT_RETURN that credits
  the earnings without leaving PAYOUTS_HELD) equals their RETURNED payouts.
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


async def _postings(
    session: AsyncSession, kind: TransactionKind, accounts: tuple[LedgerAccountKind, ...]
) -> dict[int, int]:
    """The sum of each creator's postings of transactions of `kind` on `accounts`."""
    rows = await session.execute(
        sa.select(LedgerAccount.owner_id, sa.func.sum(LedgerPosting.amount))
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerAccount.kind.in_(accounts), LedgerTransaction.kind == kind)
        .group_by(LedgerAccount.owner_id)
    )
    return {int(owner or 0): int(total or 0) for owner, total in rows.all()}


async def verify(session: AsyncSession) -> list[str]:
    """Every disagreement between payouts and the ledger, as sentences."""
    by_status = await session.execute(
        sa.select(Payout.creator_id, Payout.status, sa.func.sum(Payout.amount_cents)).group_by(
            Payout.creator_id, Payout.status
        )
    )
    in_flight: dict[int, int] = defaultdict(int)
    paid: dict[int, int] = defaultdict(int)  # paid, then kept or returned
    returned: dict[int, int] = defaultdict(int)
    for creator, status, total in by_status.all():
        if status in (PayoutStatus.REQUESTED, PayoutStatus.PROCESSING):
            in_flight[creator] += int(total)
        elif status in (PayoutStatus.PAID, PayoutStatus.RETURNED):
            paid[creator] += int(total)
        if status is PayoutStatus.RETURNED:
            returned[creator] += int(total)
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
    sent = {
        creator: -total
        for creator, total in (
            await _postings(session, TransactionKind.PAYOUT_PAID, (LedgerAccountKind.PAYOUTS_HELD,))
        ).items()
    }
    # A failed payout's return moves money from PAYOUTS_HELD to EARNINGS (it nets to zero
    # here); a returned one's from the platform's PAYOUTS_SENT to EARNINGS (it does not).
    taken_back = await _postings(
        session,
        TransactionKind.PAYOUT_RETURN,
        (LedgerAccountKind.EARNINGS, LedgerAccountKind.PAYOUTS_HELD),
    )
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
                f"paid and returned payouts total {paid.get(creator, 0)}"
            )
    for creator in sorted({*returned, *taken_back}):
        if taken_back.get(creator, 0) != returned.get(creator, 0):
            problems.append(
                f"account {creator}: the ledger took back {taken_back.get(creator, 0)} cents "
                f"of sent payouts, but its returned payouts total {returned.get(creator, 0)}"
            )
    return problems
