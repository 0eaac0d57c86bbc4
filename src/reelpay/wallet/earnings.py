"""A creator's USD earnings: where credits land (held or available), releasing held ones, and
the report per source (pending, available, in payout, paid out) and per day.

Payouts take money from the earnings balance as a whole, not from one source. To say how much
of each source was paid out, withdrawals are matched to credits oldest first (FIFO by UTC day,
sources in their listed order on the same day); a reversal takes back that source's newest
credit. The per-source figures therefore always add up to the balances.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.db import write_once
from reelpay.events import Event
from reelpay.settings import Rules
from reelpay.wallet import ledger
from reelpay.wallet.models import (
    EarningsHold,
    EarningsSource,
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)


def hold_days(source: EarningsSource, rules: Rules) -> int:
    """Days a source's credits stay pending (Series sales have their own refund window)."""
    return {
        EarningsSource.GIFTS: rules.gifts_hold_days,
        EarningsSource.TIPS: rules.tips_hold_days,
        EarningsSource.REWARDS: rules.rewards_hold_days,
    }.get(source, 0)


def credit_account(owner_id: int, source: EarningsSource, rules: Rules) -> ledger.Ref:
    """The ledger account a new credit from `source` goes to: pending while a hold is set."""
    kind = (
        LedgerAccountKind.EARNINGS_PENDING
        if hold_days(source, rules)
        else LedgerAccountKind.EARNINGS
    )
    return ledger.user(owner_id, kind)


async def hold_if_configured(
    session: AsyncSession,
    transaction: LedgerTransaction,
    *,
    owner_id: int,
    source: EarningsSource,
    cents: int,
    now: datetime,
    rules: Rules,
) -> None:
    """Record when a pending credit (see `credit_account`) becomes available."""
    days = hold_days(source, rules)
    if days and cents > 0:
        session.add(
            EarningsHold(
                transaction_id=transaction.id, owner_id=owner_id, source=source, amount=cents,
                release_at=now + timedelta(days=days),
            )
        )  # fmt: skip
        await session.flush()


async def release_due(
    maker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    publish: Callable[[list[Event]], Awaitable[None]] | None = None,
) -> tuple[int, int]:
    """Make every hold that has ended available; one transaction each, safe to rerun and to
    run concurrently. Returns (holds released, cents released)."""
    async with maker() as session:
        due = list(
            await session.scalars(
                sa.select(EarningsHold.id)
                .where(EarningsHold.released_at.is_(None), EarningsHold.release_at <= now)
                .order_by(EarningsHold.id)
            )
        )
    released = cents = 0
    for hold_id in due:
        amount = await write_once(maker, partial(_release, hold_id=hold_id, now=now), publish)
        if amount:
            released += 1
            cents += amount
    return released, cents


async def _release(session: AsyncSession, hold_id: int, *, now: datetime) -> int:
    claimed = await session.execute(
        sa.update(EarningsHold)
        .where(
            EarningsHold.id == hold_id,
            EarningsHold.released_at.is_(None),
            EarningsHold.release_at <= now,
        )
        .values(released_at=now)
        .returning(EarningsHold.owner_id, EarningsHold.source, EarningsHold.amount)
        .execution_options(synchronize_session=False)
    )
    row = claimed.one_or_none()
    if row is None:
        return 0  # released by a concurrent run
    owner_id, source, amount = row
    await ledger.post(
        session,
        kind=TransactionKind.EARNINGS_RELEASE,
        legs=[
            (ledger.user(owner_id, LedgerAccountKind.EARNINGS_PENDING), -amount),
            (ledger.user(owner_id, LedgerAccountKind.EARNINGS), amount),
        ],
        now=now,
        earnings_source=source,
        memo=f"{source.value.title()} earnings: hold ended",
    )
    return int(amount)


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True)
class SourceBreakdown:
    """One source's earnings, in cents: pending + available + in_payout + paid_out = total."""

    source: EarningsSource
    pending: int = 0
    available: int = 0
    in_payout: int = 0
    paid_out: int = 0
    # Credited to the available balance, net of reversals, payouts not deducted.
    credited: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.available + self.in_payout + self.paid_out


def allocate(
    credits: Iterable[tuple[date, EarningsSource, int]],
    *,
    pending: dict[EarningsSource, int],
    withdrawn: int,
    paid_out: int,
) -> dict[EarningsSource, SourceBreakdown]:
    """Split what left the available balance over the sources (pure; see the module doc).

    `credits` are net daily amounts credited to the available balance per source (releases
    from pending included), `withdrawn` what payouts hold or paid (cents), `paid_out` the part
    of it that was paid.
    """
    order = list(EarningsSource)
    credited: dict[EarningsSource, int] = defaultdict(int)
    queues: dict[EarningsSource, deque[list[Any]]] = defaultdict(deque)
    for day, source, amount in sorted(credits, key=lambda c: (c[0], order.index(c[1]))):
        credited[source] += amount
        queue = queues[source]
        if amount > 0:
            queue.append([day, amount])
            continue
        take = -amount  # a reversal takes back the source's newest credits first
        while take and queue:
            used = min(take, queue[-1][1])
            queue[-1][1] -= used
            take -= used
            if queue[-1][1] == 0:
                queue.pop()
    # What is left of each credit, oldest first: [day, cents] cells, consumed in place.
    remaining = sorted(
        (
            (cell[0], order.index(source), source, cell)
            for source, q in queues.items()
            for cell in q
        ),
        key=lambda item: (item[0], item[1]),
    )
    used_paid: dict[EarningsSource, int] = defaultdict(int)
    used_held: dict[EarningsSource, int] = defaultdict(int)
    to_pay, to_hold = paid_out, max(withdrawn - paid_out, 0)
    for _, _, source, cell in remaining:
        take = min(to_pay, cell[1])
        used_paid[source] += take
        to_pay -= take
        cell[1] -= take
        take = min(to_hold, cell[1])
        used_held[source] += take
        to_hold -= take
        cell[1] -= take
    return {
        source: SourceBreakdown(
            source=source,
            pending=pending.get(source, 0),
            available=sum(cell[1] for cell in queues[source]),
            in_payout=used_held[source],
            paid_out=used_paid[source],
            credited=credited[source],
        )
        for source in EarningsSource
    }


def utc_day(session: AsyncSession, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, as SQL (values come back as date or text)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)  # SQLite stores UTC text


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _daily(
    session: AsyncSession,
    owner_id: int,
    kinds: tuple[LedgerAccountKind, ...],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    exclude_release: bool = False,
) -> list[tuple[date, EarningsSource, int]]:
    day = utc_day(session, LedgerTransaction.created_at)
    stmt = (
        sa.select(day, LedgerTransaction.earnings_source, sa.func.sum(LedgerPosting.amount))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(
            LedgerAccount.owner_id == owner_id,
            LedgerAccount.kind.in_(kinds),
            LedgerTransaction.earnings_source.is_not(None),
        )
        .group_by(day, LedgerTransaction.earnings_source)
    )
    if exclude_release:
        stmt = stmt.where(LedgerTransaction.kind != TransactionKind.EARNINGS_RELEASE)
    if start is not None:
        stmt = stmt.where(LedgerTransaction.created_at >= start)
    if end is not None:
        stmt = stmt.where(LedgerTransaction.created_at < end)
    rows = await session.execute(stmt)
    return [(_as_date(d), source, int(total)) for d, source, total in rows.all() if total]


async def _sum_by_kind(
    session: AsyncSession, owner_id: int, account: LedgerAccountKind, kind: TransactionKind
) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(
            LedgerAccount.owner_id == owner_id,
            LedgerAccount.kind == account,
            LedgerTransaction.kind == kind,
        )
    )
    return int(total or 0)


async def paid_out(session: AsyncSession, owner_id: int) -> int:
    """Everything the creator's payouts sent and the provider kept, in cents (from the
    ledger): a payout the provider gave back (RETURNED) no longer counts."""
    # PAYOUT_PAID leaves PAYOUTS_HELD. A PAYOUT_RETURN credits the earnings: from PAYOUTS_HELD
    # for a failed payout (netting to zero here), from the platform for a returned one.
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(
            LedgerAccount.owner_id == owner_id,
            sa.or_(
                sa.and_(
                    LedgerTransaction.kind == TransactionKind.PAYOUT_PAID,
                    LedgerAccount.kind == LedgerAccountKind.PAYOUTS_HELD,
                ),
                sa.and_(
                    LedgerTransaction.kind == TransactionKind.PAYOUT_RETURN,
                    LedgerAccount.kind.in_(
                        (LedgerAccountKind.PAYOUTS_HELD, LedgerAccountKind.EARNINGS)
                    ),
                ),
            ),
        )
    )
    return -int(total or 0)


async def breakdown(session: AsyncSession, owner_id: int) -> dict[EarningsSource, SourceBreakdown]:
    """Pending, available, in-payout and paid-out cents per source (see `allocate`)."""
    credits = await _daily(session, owner_id, (LedgerAccountKind.EARNINGS,))
    pending: dict[EarningsSource, int] = defaultdict(int)
    for _, source, amount in await _daily(session, owner_id, (LedgerAccountKind.EARNINGS_PENDING,)):
        pending[source] += amount
    # Money leaves the earnings only for payouts (transactions without a source).
    held = await _sum_by_kind(
        session, owner_id, LedgerAccountKind.PAYOUTS_HELD, TransactionKind.PAYOUT_HOLD
    )
    # What came back to the earnings: failed payouts, and paid ones the provider returned.
    returned = await _sum_by_kind(
        session, owner_id, LedgerAccountKind.EARNINGS, TransactionKind.PAYOUT_RETURN
    )
    paid = await paid_out(session, owner_id)
    return allocate(credits, pending=pending, withdrawn=held - returned, paid_out=paid)


@dataclass(frozen=True)
class EarningsDay:
    day: date
    by_source: dict[EarningsSource, int]

    @property
    def total(self) -> int:
        return sum(self.by_source.values())


async def daily(session: AsyncSession, owner_id: int, start: date, end: date) -> list[EarningsDay]:
    """What the creator earned on each UTC day from `start` to `end` (both included), per
    source, net of reversals; a credit counts on the day it was earned, held or not."""
    rows = await _daily(
        session,
        owner_id,
        (LedgerAccountKind.EARNINGS, LedgerAccountKind.EARNINGS_PENDING),
        start=_midnight(start),
        end=_midnight(end + timedelta(days=1)),
        exclude_release=True,
    )
    found: dict[date, dict[EarningsSource, int]] = defaultdict(dict)
    for day, source, amount in rows:
        found[day][source] = found[day].get(source, 0) + amount
    days = []
    current = start
    while current <= end:
        days.append(
            EarningsDay(current, {s: found.get(current, {}).get(s, 0) for s in EarningsSource})
        )
        current += timedelta(days=1)
    return days


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
