"""Ledger invariant checks (`reelpay ledger verify`; the tests run it after money tests)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.marketplace import escrow
from reelpay.wallet.models import LedgerAccount, LedgerPosting, LedgerTransaction


async def verify(session: AsyncSession) -> list[str]:
    """Every violated invariant, described; empty when the ledger is sound."""
    problems: list[str] = []

    unbalanced = await session.execute(
        sa.select(
            LedgerPosting.transaction_id, LedgerPosting.asset, sa.func.sum(LedgerPosting.amount)
        )
        .group_by(LedgerPosting.transaction_id, LedgerPosting.asset)
        .having(sa.func.sum(LedgerPosting.amount) != 0)
    )
    problems += [
        f"transaction {tx} does not sum to zero in {asset}: {total}"
        for tx, asset, total in unbalanced.all()
    ]

    empty = await session.execute(
        sa.select(LedgerTransaction.id).where(
            ~sa.exists().where(LedgerPosting.transaction_id == LedgerTransaction.id)
        )
    )
    problems += [f"transaction {tx} has no postings" for (tx,) in empty.all()]

    wrong_asset = await session.execute(
        sa.select(LedgerPosting.id, LedgerPosting.asset, LedgerAccount.asset)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerPosting.asset != LedgerAccount.asset)
    )
    problems += [
        f"posting {posting} is in {asset} but its account holds {held}"
        for posting, asset, held in wrong_asset.all()
    ]

    sums = (
        sa.select(
            LedgerPosting.ledger_account_id.label("account_id"),
            sa.func.sum(LedgerPosting.amount).label("total"),
        )
        .group_by(LedgerPosting.ledger_account_id)
        .subquery()
    )
    drift = await session.execute(
        sa.select(LedgerAccount.key, LedgerAccount.balance, sa.func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(
            LedgerAccount.balance.is_not(None),
            LedgerAccount.balance != sa.func.coalesce(sums.c.total, 0),
        )
    )
    problems += [
        f"{key} caches balance {cached} but its postings sum to {total}"
        for key, cached, total in drift.all()
    ]

    negative = await session.execute(
        sa.select(LedgerAccount.key, LedgerAccount.balance).where(
            LedgerAccount.balance.is_not(None), LedgerAccount.balance < 0
        )
    )
    problems += [f"{key} has a negative balance {balance}" for key, balance in negative.all()]

    dipped = await session.execute(
        sa.select(LedgerAccount.key, LedgerPosting.id, LedgerPosting.balance_after)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerAccount.balance.is_not(None), LedgerPosting.balance_after < 0)
    )
    problems += [
        f"{key} went negative ({balance}) at posting {posting}"
        for key, posting, balance in dipped.all()
    ]
    # Every campaign's escrow: funded = paid + reserved + refunded + free.
    problems += await escrow.verify(session)
    return problems
