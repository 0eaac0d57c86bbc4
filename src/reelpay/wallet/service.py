"""A user's wallet: balances, history and earnings read from the ledger; diamond redemption."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode
from reelpay.pagination import Key, Page, PageRequest, bounded, page_of
from reelpay.settings import Settings
from reelpay.wallet import earnings, idempotency, ledger
from reelpay.wallet.models import (
    EarningsSource,
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)
from reelpay.wallet.rules import redeemable

REDEEM = "redeemDiamonds"
DIAMONDS_FIELD = ("input", "diamonds")


@dataclass(frozen=True)
class Balances:
    coins: int = 0
    diamonds: int = 0
    earnings_cents: int = 0
    pending_earnings_cents: int = 0
    in_payout_cents: int = 0
    coin_debt: int = 0  # coins owed after a chargeback (see payments/chargebacks.py)
    earnings_debt_cents: int = 0  # cents a creator owes after a chargeback

    @classmethod
    def of(cls, by_kind: Mapping[LedgerAccountKind, int]) -> Balances:
        """From a user's balance per ledger account kind (a kind left out is 0)."""
        return cls(
            coins=by_kind.get(LedgerAccountKind.COINS, 0),
            diamonds=by_kind.get(LedgerAccountKind.DIAMONDS, 0),
            earnings_cents=by_kind.get(LedgerAccountKind.EARNINGS, 0),
            pending_earnings_cents=by_kind.get(LedgerAccountKind.EARNINGS_PENDING, 0),
            in_payout_cents=by_kind.get(LedgerAccountKind.PAYOUTS_HELD, 0),
            coin_debt=by_kind.get(LedgerAccountKind.COIN_DEBT, 0),
            earnings_debt_cents=by_kind.get(LedgerAccountKind.EARNINGS_DEBT, 0),
        )


async def balances(session: AsyncSession, owner_ids: Sequence[int]) -> dict[int, Balances]:
    """Cached balances (the ledger verify checks them against the postings)."""
    rows = await session.execute(
        sa.select(LedgerAccount.owner_id, LedgerAccount.kind, LedgerAccount.balance).where(
            LedgerAccount.owner_id.in_(set(owner_ids))
        )
    )
    found: dict[int, dict[LedgerAccountKind, int]] = {owner: {} for owner in owner_ids}
    for owner, kind, balance in rows.all():
        if owner is not None and balance is not None:  # user accounts always cache one
            found[owner][kind] = int(balance)
    return {owner: Balances.of(values) for owner, values in found.items()}


class Balance(StrEnum):
    """Which of a user's balances a history row moved (one per user ledger account kind)."""

    COINS = "COINS"
    DIAMONDS = "DIAMONDS"
    EARNINGS_AVAILABLE = "EARNINGS_AVAILABLE"
    EARNINGS_PENDING = "EARNINGS_PENDING"
    IN_PAYOUT = "IN_PAYOUT"
    COIN_DEBT = "COIN_DEBT"
    EARNINGS_DEBT = "EARNINGS_DEBT"


BALANCE_OF: dict[LedgerAccountKind, Balance] = {
    LedgerAccountKind.COINS: Balance.COINS,
    LedgerAccountKind.DIAMONDS: Balance.DIAMONDS,
    LedgerAccountKind.EARNINGS: Balance.EARNINGS_AVAILABLE,
    LedgerAccountKind.EARNINGS_PENDING: Balance.EARNINGS_PENDING,
    LedgerAccountKind.PAYOUTS_HELD: Balance.IN_PAYOUT,
    LedgerAccountKind.COIN_DEBT: Balance.COIN_DEBT,
    LedgerAccountKind.EARNINGS_DEBT: Balance.EARNINGS_DEBT,
}


@dataclass(frozen=True)
class Entry:
    """One line of a wallet's history: a posting on one of the user's ledger accounts."""

    id: int
    transaction_id: int
    kind: TransactionKind
    account_kind: LedgerAccountKind
    amount: int
    balance_after: int
    memo: str
    created_at: datetime

    @property
    def balance(self) -> Balance:
        return BALANCE_OF[self.account_kind]


# The history's order, newest first: the transaction's time, then the posting. Posting ids
# alone are not time order (two jobs started in one order may commit in the other), and time
# alone is not total (one transaction's postings, or two at the same instant, tie).
HISTORY_ORDER = (LedgerTransaction.created_at, LedgerPosting.id)


def _history_rows(owner_id: int) -> sa.Select[Any]:
    rows = (
        sa.select(
            LedgerPosting.id,
            LedgerPosting.transaction_id,
            LedgerTransaction.kind.label("transaction_kind"),
            LedgerAccount.kind.label("account_kind"),
            LedgerPosting.amount,
            LedgerPosting.balance_after,
            LedgerTransaction.memo,
            LedgerTransaction.created_at,
        )
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerAccount.owner_id == owner_id)
    )
    return cast("sa.Select[Any]", rows)  # pagination takes any select


async def history(session: AsyncSession, owner_id: int, request: PageRequest) -> Page[Entry]:
    """The user's postings, newest first: keyed by (transaction time, posting id)."""
    stmt, order = bounded(_history_rows(owner_id), HISTORY_ORDER, request, descending=True)
    rows = list(await session.execute(stmt.order_by(*order).limit(request.size + 1)))
    page = page_of(rows, HISTORY_ORDER, request)
    entries = [
        Entry(
            id=row.id,
            transaction_id=row.transaction_id,
            kind=row.transaction_kind,
            account_kind=row.account_kind,
            amount=row.amount,
            balance_after=int(row.balance_after or 0),
            memo=row.memo,
            created_at=row.created_at,
        )
        for row in page.items
    ]
    return Page(entries, page.keys, page.has_next_page, page.has_previous_page)


async def history_key(session: AsyncSession, owner_id: int, posting_id: int) -> Key | None:
    """The history key of one of the user's postings (to read cursors given out before the
    history was keyed by time); None if the posting is not theirs."""
    found = await session.execute(
        sa.select(LedgerTransaction.created_at, LedgerPosting.id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerPosting.id == posting_id, LedgerAccount.owner_id == owner_id)
    )
    row = found.first()
    return None if row is None else (row.created_at, row.id)


async def history_count(session: AsyncSession, owner_id: int) -> int:
    count = await session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerPosting)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerAccount.owner_id == owner_id)
    )
    return int(count or 0)


async def redeem_diamonds(
    session: AsyncSession,
    owner: Account,
    *,
    diamonds: int | None,
    key: str,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Turn diamonds into USD earnings (source GIFTS); `None` redeems every whole cent."""
    rules = settings.rules
    idempotency.check_key(key, rules.idempotency_key_max_length)
    replayed = await idempotency.claim(
        session,
        account_id=owner.id,
        key=key,
        operation=REDEEM,
        arguments={"diamonds": diamonds},
        now=now,
    )
    if replayed is not None:
        return replayed
    held = (await balances(session, [owner.id]))[owner.id].diamonds
    asked = held if diamonds is None else diamonds
    if diamonds is not None and diamonds < rules.diamonds_per_cent:
        raise DomainError(
            f"Redeem at least {rules.diamonds_per_cent} diamonds.",
            code=ErrorCode.INVALID_QUANTITY,
            field=DIAMONDS_FIELD,
        )
    used, cents = redeemable(asked, rules)
    if asked > held or cents == 0:
        raise DomainError(
            f"You have {held} diamonds; redeeming needs at least {rules.diamonds_per_cent}.",
            code=ErrorCode.INSUFFICIENT_DIAMONDS,
            field=DIAMONDS_FIELD if diamonds is not None else None,
        )
    transaction = await ledger.post(
        session,
        kind=TransactionKind.DIAMOND_REDEMPTION,
        legs=[
            (ledger.user(owner.id, LedgerAccountKind.DIAMONDS), -used),
            (ledger.platform(LedgerAccountKind.DIAMOND_ISSUANCE), used),
            (ledger.platform(LedgerAccountKind.CREATOR_PAYABLES), -cents),
            (earnings.credit_account(owner.id, EarningsSource.GIFTS, rules), cents),
        ],
        now=now,
        actor_id=owner.id,
        earnings_source=EarningsSource.GIFTS,
        memo=f"{used} diamonds redeemed",
    )
    await earnings.hold_if_configured(
        session, transaction, owner_id=owner.id, source=EarningsSource.GIFTS, cents=cents,
        now=now, rules=rules,
    )  # fmt: skip
    result = {"transactionId": transaction.id, "diamonds": used, "cents": cents}
    await idempotency.finish(session, account_id=owner.id, key=key, result=result)
    return result
