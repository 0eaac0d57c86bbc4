"""The double-entry ledger: the only code that writes ledger rows.

`post` records one transaction whose postings sum to zero per asset. A user's balance moves
with a conditional `UPDATE ... WHERE balance + :amount >= 0 RETURNING balance`, so it can never
go below zero even when requests race (a database CHECK backs this up); user rows are updated
in primary-key order so two transactions never wait on each other in a cycle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay import events
from reelpay.db import upsert
from reelpay.errors import DomainError, ErrorCode
from reelpay.wallet.models import (
    ASSET_OF,
    USER_KINDS,
    Asset,
    EarningsSource,
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)


class InsufficientFunds(DomainError):
    code = ErrorCode.INSUFFICIENT_COINS


_SHORTFALL = {
    Asset.COIN: (ErrorCode.INSUFFICIENT_COINS, "You do not have enough coins."),
    Asset.DIAMOND: (ErrorCode.INSUFFICIENT_DIAMONDS, "You do not have enough diamonds."),
    Asset.USD: (ErrorCode.INVALID_AMOUNT, "The balance is too low for this amount."),
}


@dataclass(frozen=True)
class Ref:
    """Names a ledger account: a user's (owner_id set) or the platform's."""

    kind: LedgerAccountKind
    owner_id: int | None = None

    def __post_init__(self) -> None:
        if (self.kind in USER_KINDS) != (self.owner_id is not None):
            raise ValueError(
                f"{self.kind} accounts {'need' if self.kind in USER_KINDS else 'have no'} owner"
            )

    @property
    def key(self) -> str:
        if self.owner_id is None:
            return f"platform:{self.kind.value}"
        return f"user:{self.owner_id}:{self.kind.value}"

    @property
    def asset(self) -> Asset:
        return ASSET_OF[self.kind]


def user(owner_id: int, kind: LedgerAccountKind) -> Ref:
    return Ref(kind, owner_id)


def platform(kind: LedgerAccountKind) -> Ref:
    return Ref(kind)


async def account_ids(session: AsyncSession, refs: Iterable[Ref]) -> dict[Ref, int]:
    """The ledger account of each ref, created on first use (safe under concurrency)."""
    wanted = {ref.key: ref for ref in refs}
    rows = [  # inserted in key order, so concurrent first uses cannot deadlock
        {
            "key": ref.key,
            "owner_id": ref.owner_id,
            "kind": ref.kind,
            "asset": ref.asset,
            "balance": None if ref.owner_id is None else 0,
        }
        for _, ref in sorted(wanted.items())
    ]
    found = await _ids_by_key(session, wanted)
    missing = [row for row in rows if row["key"] not in found]
    if missing:
        await session.execute(
            upsert(session, LedgerAccount)
            .values(missing)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        found = await _ids_by_key(session, wanted)
    return {ref: found[key] for key, ref in wanted.items()}


async def _ids_by_key(session: AsyncSession, wanted: dict[str, Ref]) -> dict[str, int]:
    result = await session.execute(
        sa.select(LedgerAccount.key, LedgerAccount.id).where(LedgerAccount.key.in_(list(wanted)))
    )
    return {key: id_ for key, id_ in result.all()}


async def post(
    session: AsyncSession,
    *,
    kind: TransactionKind,
    legs: Sequence[tuple[Ref, int]],
    now: datetime,
    actor_id: int | None = None,
    earnings_source: EarningsSource | None = None,
    memo: str = "",
    reverses_id: int | None = None,
) -> LedgerTransaction:
    """Record one balanced transaction; InsufficientFunds if a user balance would go negative."""
    amounts: dict[Ref, int] = defaultdict(int)
    for ref, amount in legs:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError("ledger amounts are integers in minor units")
        amounts[ref] += amount
    amounts = {ref: amount for ref, amount in amounts.items() if amount != 0}
    if not amounts:
        raise ValueError("a transaction moves something")
    totals: dict[Asset, int] = defaultdict(int)
    for ref, amount in amounts.items():
        totals[ref.asset] += amount
    unbalanced = {asset: total for asset, total in totals.items() if total != 0}
    if unbalanced:
        raise ValueError(f"postings must sum to zero per asset, off by {unbalanced}")

    ids = await account_ids(session, amounts)
    transaction = LedgerTransaction(
        kind=kind,
        actor_id=actor_id,
        earnings_source=earnings_source,
        memo=memo[:200],
        reverses_id=reverses_id,
        created_at=now,
    )
    session.add(transaction)
    await session.flush()

    postings = []
    for ref in sorted(amounts, key=lambda r: ids[r]):
        amount = amounts[ref]
        balance_after = None
        if ref.owner_id is not None:
            balance_after = await _move_balance(session, ids[ref], ref.asset, amount)
            events.emit(
                session,
                events.wallet_channel(ref.owner_id),
                {
                    "transactionId": transaction.id,
                    "kind": kind.value,
                    "asset": ref.asset.value,
                    "amount": amount,
                    "balanceAfter": balance_after,
                },
            )
        postings.append(
            {
                "transaction_id": transaction.id,
                "ledger_account_id": ids[ref],
                "asset": ref.asset,
                "amount": amount,
                "balance_after": balance_after,
            }
        )
    # One INSERT for every posting: by default the ORM's bulk insert leaves out None values,
    # which splits the rows into one INSERT per run of like rows (user postings carry
    # balance_after, the platform's do not).
    await session.execute(sa.insert(LedgerPosting).execution_options(render_nulls=True), postings)
    return transaction


async def _move_balance(session: AsyncSession, account_id: int, asset: Asset, amount: int) -> int:
    result = await session.execute(
        sa.update(LedgerAccount)
        .where(LedgerAccount.id == account_id, LedgerAccount.balance + amount >= 0)
        .values(balance=LedgerAccount.balance + amount)
        .returning(LedgerAccount.balance)
        .execution_options(synchronize_session=False)
    )
    balance = result.scalar_one_or_none()
    if balance is None:
        code, message = _SHORTFALL[asset]
        raise InsufficientFunds(message, code=code)
    return int(balance)


async def reverse(
    session: AsyncSession,
    transaction_id: int,
    *,
    now: datetime,
    actor_id: int | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """Undo a transaction with a new one that negates every posting (once only)."""
    original = await session.get(LedgerTransaction, transaction_id)
    if original is None:
        raise ValueError(f"no ledger transaction {transaction_id}")
    rows = await session.execute(
        sa.select(LedgerAccount.kind, LedgerAccount.owner_id, LedgerPosting.amount)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerPosting.transaction_id == transaction_id)
    )
    legs = [(Ref(kind, owner_id), -amount) for kind, owner_id, amount in rows.all()]
    return await post(
        session,
        kind=TransactionKind.REVERSAL,
        legs=legs,
        now=now,
        actor_id=actor_id,
        earnings_source=original.earnings_source,
        memo=memo or f"Reversal of transaction {transaction_id}",
        reverses_id=transaction_id,
    )
