"""A user's wallet: balances, history and earnings read from the ledger; diamond redemption."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode
from reelpay.pagination import Page, PageRequest, paginate
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


async def balances(session: AsyncSession, owner_ids: Sequence[int]) -> dict[int, Balances]:
    """Cached balances (the ledger verify checks them against the postings)."""
    rows = await session.execute(
        sa.select(LedgerAccount.owner_id, LedgerAccount.kind, LedgerAccount.balance).where(
            LedgerAccount.owner_id.in_(set(owner_ids))
        )
    )
    found: dict[int, dict[str, int]] = {owner: {} for owner in owner_ids}
    for owner, kind, balance in rows.all():
        if owner is not None and balance is not None:  # user accounts always cache one
            found[owner][kind.value] = int(balance)
    return {
        owner: Balances(
            coins=values.get(LedgerAccountKind.COINS.value, 0),
            diamonds=values.get(LedgerAccountKind.DIAMONDS.value, 0),
            earnings_cents=values.get(LedgerAccountKind.EARNINGS.value, 0),
            pending_earnings_cents=values.get(LedgerAccountKind.EARNINGS_PENDING.value, 0),
            in_payout_cents=values.get(LedgerAccountKind.PAYOUTS_HELD.value, 0),
        )
        for owner, values in found.items()
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


async def history(session: AsyncSession, owner_id: int, request: PageRequest) -> Page[Any]:
    """The user's postings, newest first."""
    stmt = (
        sa.select(LedgerPosting)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerAccount.owner_id == owner_id)
    )
    page = await paginate(session, stmt, [LedgerPosting.id], request, descending=True)
    if not page.items:
        return page
    details = await session.execute(
        sa.select(
            LedgerPosting.id,
            LedgerTransaction.kind,
            LedgerAccount.kind,
            LedgerTransaction.memo,
            LedgerTransaction.created_at,
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerPosting.id.in_([p.id for p in page.items]))
    )
    by_id = {row[0]: row[1:] for row in details.all()}
    entries = [
        Entry(
            id=p.id,
            transaction_id=p.transaction_id,
            kind=by_id[p.id][0],
            account_kind=by_id[p.id][1],
            amount=p.amount,
            balance_after=int(p.balance_after or 0),
            memo=by_id[p.id][2],
            created_at=by_id[p.id][3],
        )
        for p in page.items
    ]
    return Page(entries, page.keys, page.has_next_page, page.has_previous_page)


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
