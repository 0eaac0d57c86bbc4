"""Ledger invariant checks (`reelpay ledger verify`; the tests run it after money tests)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.marketplace import escrow
from reelpay.payments.models import DisputeStatus, PaymentDispute
from reelpay.wallet.models import (
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)

# Each user debt account kind and the platform account that mirrors every user's balance of it.
DEBT_MIRRORS = {
    LedgerAccountKind.COIN_DEBT: LedgerAccountKind.COIN_DEBTS_OWED,
    LedgerAccountKind.EARNINGS_DEBT: LedgerAccountKind.EARNINGS_DEBTS_OWED,
}


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
    problems += await _debts(session)
    problems += await _chargebacks(session)
    return problems


async def _debts(session: AsyncSession) -> list[str]:
    """Users' debts (cached, never negative: checked above) are mirrored by the platform."""
    problems = []
    for debt, mirror in DEBT_MIRRORS.items():
        owed = await session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerAccount.balance), 0)).where(
                LedgerAccount.kind == debt
            )
        )
        mirrored = await session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount), 0))
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
            .where(LedgerAccount.kind == mirror)
        )
        if int(owed or 0) != -int(mirrored or 0):
            problems.append(
                f"users owe {owed} on {debt} but {mirror} mirrors {-int(mirrored or 0)}"
            )
    return problems


async def _chargebacks(session: AsyncSession) -> list[str]:
    """Each LOST dispute has exactly one CHARGEBACK transaction, giving back its amount through
    the payment clearing account; every CHARGEBACK belongs to a LOST dispute."""
    cleared = (
        sa.select(
            LedgerPosting.transaction_id.label("transaction_id"),
            sa.func.sum(LedgerPosting.amount).label("amount"),
        )
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerAccount.kind == LedgerAccountKind.PAYMENT_CLEARING)
        .group_by(LedgerPosting.transaction_id)
        .subquery()
    )
    rows = await session.execute(
        sa.select(
            PaymentDispute.id,
            PaymentDispute.status,
            PaymentDispute.amount_cents,
            LedgerTransaction.kind,
            cleared.c.amount,
        )
        .outerjoin(LedgerTransaction, LedgerTransaction.id == PaymentDispute.ledger_transaction_id)
        .outerjoin(cleared, cleared.c.transaction_id == PaymentDispute.ledger_transaction_id)
    )
    problems = []
    for dispute, status, amount, kind, given_back in rows.all():
        if status is DisputeStatus.LOST and (
            kind is not TransactionKind.CHARGEBACK or int(given_back or 0) != amount
        ):
            problems.append(
                f"lost dispute {dispute} of {amount} cents has no CHARGEBACK transaction giving "
                f"that back (found {kind} of {given_back})"
            )
        elif status is not DisputeStatus.LOST and kind is not None:
            problems.append(f"dispute {dispute} is {status} but has a ledger transaction")
    orphans = await session.execute(
        sa.select(LedgerTransaction.id).where(
            LedgerTransaction.kind == TransactionKind.CHARGEBACK,
            ~sa.exists().where(PaymentDispute.ledger_transaction_id == LedgerTransaction.id),
        )
    )
    problems += [f"chargeback transaction {tx} belongs to no dispute" for (tx,) in orphans.all()]
    return problems
