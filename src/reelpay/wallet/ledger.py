"""The double-entry ledger: the only code that writes ledger rows.

`post` records one transaction whose postings sum to zero per asset. A user's balance moves
with a conditional `UPDATE ... WHERE balance + :amount >= 0 RETURNING balance`, so it can never
go below zero even when requests race (a database CHECK backs this up).

Campaign escrow accounts cache their balance the same way (a campaign can never reserve or pay
more than it holds). Every transaction locks these balances in one order, so two never wait on
each other in a cycle: coins first, then the other balances (diamonds, earnings, escrow), each
group by account id. Coins are the paying fan's side of a payment; a creator's diamonds or
earnings are the row every payment to that creator queues on, so it is locked last and held
the shortest. `posting` goes one step further for a caller that writes its own rows naming the
transaction (a gift, a purchase): they are written between the coins and the creator's
balance, not while it is held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay import events
from reelpay.db import upsert
from reelpay.errors import DomainError, ErrorCode
from reelpay.wallet import rules
from reelpay.wallet.models import (
    ASSET_OF,
    CAMPAIGN_KINDS,
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
# A campaign account short of money: the escrow does not hold enough.
_ESCROW_SHORTFALL = (
    ErrorCode.CAMPAIGN_BUDGET_EXHAUSTED,
    "The campaign's escrow does not hold enough for this.",
)


@dataclass(frozen=True)
class Ref:
    """Names a ledger account: a user's (owner_id set), a campaign's escrow (campaign_id set)
    or the platform's (neither)."""

    kind: LedgerAccountKind
    owner_id: int | None = None
    campaign_id: int | None = None

    def __post_init__(self) -> None:
        if (self.kind in USER_KINDS) != (self.owner_id is not None):
            raise ValueError(
                f"{self.kind} accounts {'need' if self.kind in USER_KINDS else 'have no'} owner"
            )
        if (self.kind in CAMPAIGN_KINDS) != (self.campaign_id is not None):
            raise ValueError(
                f"{self.kind} accounts "
                f"{'need' if self.kind in CAMPAIGN_KINDS else 'have no'} campaign"
            )

    @property
    def key(self) -> str:
        if self.owner_id is not None:
            return f"user:{self.owner_id}:{self.kind.value}"
        if self.campaign_id is not None:
            return f"campaign:{self.campaign_id}:{self.kind.value}"
        return f"platform:{self.kind.value}"

    @property
    def asset(self) -> Asset:
        return ASSET_OF[self.kind]

    @property
    def caches_balance(self) -> bool:
        """User and campaign accounts keep a balance that may never go negative."""
        return self.owner_id is not None or self.campaign_id is not None


def user(owner_id: int, kind: LedgerAccountKind) -> Ref:
    return Ref(kind, owner_id)


def campaign(campaign_id: int, kind: LedgerAccountKind) -> Ref:
    return Ref(kind, campaign_id=campaign_id)


def platform(kind: LedgerAccountKind) -> Ref:
    return Ref(kind)


async def _accounts(
    session: AsyncSession, refs: Iterable[Ref], owners: Iterable[int]
) -> tuple[dict[Ref, int], dict[int, dict[LedgerAccountKind, int]]]:
    """The ledger account of each ref, created on first use (safe under concurrency), and the
    balance of every account `owners` have: one read (two statements more on a first use)."""
    wanted = {ref.key: ref for ref in refs}
    owners = set(owners)
    found, balances = await _read_accounts(session, wanted, owners)
    missing = [  # inserted in key order, so concurrent first uses cannot deadlock
        {
            "key": key,
            "owner_id": ref.owner_id,
            "campaign_id": ref.campaign_id,
            "kind": ref.kind,
            "asset": ref.asset,
            "balance": 0 if ref.caches_balance else None,
        }
        for key, ref in sorted(wanted.items())
        if key not in found
    ]
    if missing:
        await session.execute(
            upsert(session, LedgerAccount)
            .values(missing)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        found, balances = await _read_accounts(session, wanted, owners)
    return {ref: found[key] for key, ref in wanted.items()}, balances


async def _read_accounts(
    session: AsyncSession, wanted: dict[str, Ref], owners: set[int]
) -> tuple[dict[str, int], dict[int, dict[LedgerAccountKind, int]]]:
    condition: sa.ColumnElement[bool] = LedgerAccount.key.in_(list(wanted))
    if owners:
        condition = sa.or_(condition, LedgerAccount.owner_id.in_(owners))
    result = await session.execute(
        sa.select(
            LedgerAccount.key,
            LedgerAccount.id,
            LedgerAccount.owner_id,
            LedgerAccount.kind,
            LedgerAccount.balance,
        ).where(condition)
    )
    ids: dict[str, int] = {}
    balances: dict[int, dict[LedgerAccountKind, int]] = {owner: {} for owner in owners}
    for key, id_, owner_id, kind, balance in result.all():
        if key in wanted:
            ids[key] = id_
        if owner_id in balances and balance is not None:  # a user's always caches one
            balances[owner_id][kind] = int(balance)
    return ids, balances


@dataclass(frozen=True)
class Posted:
    """What `posting` records: the transaction's row, and the balances of its actor and of
    every user it names (each of their accounts, moved or not) as it leaves them, complete
    once the block has ended."""

    transaction: LedgerTransaction
    balances: dict[int, dict[LedgerAccountKind, int]]

    def balances_of(self, owner_id: int) -> dict[LedgerAccountKind, int]:
        """One user's balances by account kind (a missing kind has no account yet: 0)."""
        return self.balances.get(owner_id, {})


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
    async with posting(
        session, kind=kind, legs=legs, now=now, actor_id=actor_id,
        earnings_source=earnings_source, memo=memo, reverses_id=reverses_id,
    ) as posted:  # fmt: skip
        pass
    return posted.transaction


@asynccontextmanager
async def posting(
    session: AsyncSession,
    *,
    kind: TransactionKind,
    legs: Sequence[tuple[Ref, int]],
    now: datetime,
    actor_id: int | None = None,
    earnings_source: EarningsSource | None = None,
    memo: str = "",
    reverses_id: int | None = None,
) -> AsyncIterator[Posted]:
    """`post` in two steps around a block that writes the caller's rows naming the transaction.

    Before the block: the checks, the transaction's row and the coin balances (a shortfall of
    coins refuses before the block runs). When the block ends: the other user balances and
    the postings. A payment's block thus runs before the creator's balance is locked instead
    of while every other payment to that creator waits. If the block raises, nothing more is
    written (the caller's transaction rolls back).
    """
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

    users = {ref.owner_id for ref in amounts if ref.owner_id is not None}
    ids, balances = await _accounts(
        session, amounts, owners=users if actor_id is None else {*users, actor_id}
    )
    if kind in rules.COIN_SPENDING:
        # Spending coins waits while the spender owes coins (read with the balances above).
        for ref, amount in amounts.items():
            if ref.kind is LedgerAccountKind.COINS and amount < 0 and ref.owner_id is not None:
                rules.check_no_coin_debt(balances[ref.owner_id].get(LedgerAccountKind.COIN_DEBT, 0))
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
    posted = Posted(transaction, balances)

    # The one lock order (see the module): coins, then the other balances, each by id.
    moving = sorted((ref for ref in amounts if ref.caches_balance), key=lambda r: ids[r])
    after: dict[Ref, int] = {}

    async def move(refs: Iterable[Ref]) -> None:
        for ref in refs:
            after[ref] = await _move_balance(session, ids[ref], ref, amounts[ref])
            if ref.owner_id is not None:
                balances[ref.owner_id][ref.kind] = after[ref]

    await move(ref for ref in moving if ref.kind is LedgerAccountKind.COINS)
    yield posted
    await move(ref for ref in moving if ref.kind is not LedgerAccountKind.COINS)

    postings = []
    for ref in sorted(amounts, key=lambda r: ids[r]):
        amount = amounts[ref]
        balance_after = after.get(ref)
        if ref.owner_id is not None:
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


async def _move_balance(session: AsyncSession, account_id: int, ref: Ref, amount: int) -> int:
    result = await session.execute(
        sa.update(LedgerAccount)
        .where(LedgerAccount.id == account_id, LedgerAccount.balance + amount >= 0)
        .values(balance=LedgerAccount.balance + amount)
        .returning(LedgerAccount.balance)
        .execution_options(synchronize_session=False)
    )
    balance = result.scalar_one_or_none()
    if balance is None:
        code, message = _ESCROW_SHORTFALL if ref.campaign_id is not None else _SHORTFALL[ref.asset]
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
        sa.select(
            LedgerAccount.kind,
            LedgerAccount.owner_id,
            LedgerAccount.campaign_id,
            LedgerPosting.amount,
        )
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerPosting.transaction_id == transaction_id)
    )
    legs = [
        (Ref(kind, owner_id, campaign_id), -amount)
        for kind, owner_id, campaign_id, amount in rows.all()
    ]
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
