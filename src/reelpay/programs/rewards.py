"""Creator Rewards: earnings from a day's qualified views, credited once per creator and day.

Qualified views: authentic views (never the owner's, one per viewer, video and UTC day; see
`content.models`) on that UTC day of a creator's original, public, live videos longer than a
minute; plays that were not authentic views earn nothing. Original: declared so by the owner
and with no staff flag as unoriginal standing (`content.originality`) when the day is read,
so a day settled while a flag stood stays settled without that video's views. Earnings:
`views * rate // 1000` US cents (the fraction of a cent is not paid). The job runs one
transaction per creator, so a crash mid-run keeps what was done and a rerun does the rest;
a creator and day already credited are skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.accounts.models import Account
from reelpay.content import originality
from reelpay.content.models import Video, VideoDailyViews
from reelpay.db import write_once
from reelpay.enums import Visibility
from reelpay.errors import DomainError, ErrorCode
from reelpay.events import Event
from reelpay.notifications import money as money_notices
from reelpay.programs import service as programs
from reelpay.programs.models import Program, RewardsAccrual
from reelpay.settings import Rules, Settings
from reelpay.wallet import earnings, ledger
from reelpay.wallet.models import EarningsSource, LedgerAccountKind, TransactionKind

DATE_FIELD = ("input", "date")


def earned_cents(views: int, rules: Rules) -> int:
    return views * rules.rewards_cents_per_1000_views // 1000


async def qualified_views(
    session: AsyncSession, account_ids: Sequence[int], *, start: date, end: date, rules: Rules
) -> dict[tuple[int, date], int]:
    """(creator, day) -> qualified views, for the days from `start` to `end`."""
    rows = await session.execute(
        sa.select(Video.owner_id, VideoDailyViews.day, sa.func.sum(VideoDailyViews.views))
        .join(Video, Video.id == VideoDailyViews.video_id)
        .where(
            Video.owner_id.in_(set(account_ids)),
            Video.is_original.is_(True),
            Video.visibility == Visibility.PUBLIC,
            Video.deleted_at.is_(None),
            Video.duration_seconds > rules.rewards_min_video_seconds,
            originality.unflagged(),
            VideoDailyViews.day >= start,
            VideoDailyViews.day <= end,
        )
        .group_by(Video.owner_id, VideoDailyViews.day)
    )
    return {(owner, day): int(views) for owner, day, views in rows}


@dataclass(frozen=True)
class RunSummary:
    day: date
    creators_credited: int
    cents_credited: int
    already_credited: int
    suspended: int


def check_day(day: date, now: datetime) -> None:
    if day >= now.date():
        raise DomainError(
            "Rewards are computed for days that are over (UTC); pick an earlier date.",
            code=ErrorCode.DAY_NOT_OVER,
            field=DATE_FIELD,
        )


async def accrue_day(
    maker: async_sessionmaker[AsyncSession],
    day: date,
    *,
    now: datetime,
    settings: Settings,
    publish: Callable[[list[Event]], Awaitable[None]] | None = None,
) -> RunSummary:
    """Credit every creator enrolled by `day` and not suspended (safe to run again)."""
    check_day(day, now)
    rules = settings.rules
    credited = cents_total = already = suspended = 0
    async with maker() as session:
        creator_ids = await programs.enrolled_account_ids(session, Program.CREATOR_REWARDS)
    for creator_id in creator_ids:
        outcome = await write_once(
            maker, partial(_accrue_one, creator_id=creator_id, day=day, now=now, rules=rules),
            publish,
        )  # fmt: skip
        if outcome == "before":
            continue
        if outcome == "already":
            already += 1
        elif outcome == "suspended":
            suspended += 1
        else:
            credited += 1
            cents_total += int(outcome)
    return RunSummary(day, credited, cents_total, already, suspended)


async def _accrue_one(
    session: AsyncSession, creator_id: int, day: date, *, now: datetime, rules: Rules
) -> str:
    exists = await session.scalar(
        sa.select(RewardsAccrual.id).where(
            RewardsAccrual.account_id == creator_id, RewardsAccrual.day == day
        )
    )
    if exists is not None:
        return "already"
    creator = await session.get(Account, creator_id)
    enrolled = (await programs.enrolments(session, creator_id)).get(Program.CREATOR_REWARDS)
    assert creator is not None and enrolled is not None
    if day < enrolled.enrolled_at.date():
        return "before"  # views from before the creator joined earn nothing
    views = (await qualified_views(session, [creator_id], start=day, end=day, rules=rules)).get(
        (creator_id, day), 0
    )
    # Suspended as of the day being settled (an age reached that day counts).
    suspended = programs.suspension_reasons(
        creator, Program.CREATOR_REWARDS, today=day, rules=rules
    )
    if suspended or enrolled.paused_at or enrolled.terms_outstanding_since:
        # Monetization is stopped (suspended, paused by the creator, or new terms not accepted):
        # the day is settled at nothing, so lifting it later does not pay for it. (Run the job
        # soon after midnight UTC.)
        session.add(
            RewardsAccrual(
                account_id=creator_id, day=day, qualified_views=views, cents=0, suspended=True,
                created_at=now,
            )
        )  # fmt: skip
        await session.flush()
        return "suspended"
    cents = earned_cents(views, rules)
    transaction_id = None
    if cents > 0:
        transaction = await ledger.post(
            session,
            kind=TransactionKind.REWARDS_ACCRUAL,
            legs=[
                (ledger.platform(LedgerAccountKind.CREATOR_PAYABLES), -cents),
                (earnings.credit_account(creator_id, EarningsSource.REWARDS, rules), cents),
            ],
            now=now,
            earnings_source=EarningsSource.REWARDS,
            memo=f"Creator Rewards for {day.isoformat()}: {views:,} qualified views",
        )
        await earnings.hold_if_configured(
            session, transaction, owner_id=creator_id, source=EarningsSource.REWARDS,
            cents=cents, now=now, rules=rules,
        )  # fmt: skip
        transaction_id = transaction.id
        await money_notices.rewards_credited(
            session, creator_id, day=day, views=views, cents=cents, now=now
        )
    session.add(
        RewardsAccrual(
            account_id=creator_id,
            day=day,
            qualified_views=views,
            cents=cents,
            ledger_transaction_id=transaction_id,
            created_at=now,
        )
    )
    await session.flush()  # a concurrent run loses on (account, day) and is retried: "already"
    return str(cents)


@dataclass(frozen=True)
class RewardsDay:
    day: date
    qualified_views: int
    estimated_cents: int
    credited_cents: int | None  # None until the job has run for the day
    suspended: bool = False  # settled at nothing: the creator was suspended


async def rewards_days(
    session: AsyncSession, account_id: int, *, start: date, end: date, rules: Rules
) -> list[RewardsDay]:
    """Per day: qualified views so far, the estimate they give, and what was credited.

    Days after today have no views yet; ranges are checked by the caller."""
    views = await qualified_views(session, [account_id], start=start, end=end, rules=rules)
    rows = await session.scalars(
        sa.select(RewardsAccrual).where(
            RewardsAccrual.account_id == account_id,
            RewardsAccrual.day >= start,
            RewardsAccrual.day <= end,
        )
    )
    settled = {row.day: row for row in rows}
    days = []
    day = start
    while day <= end:
        n = views.get((account_id, day), 0)
        row = settled.get(day)
        days.append(
            RewardsDay(
                day,
                n,
                earned_cents(n, rules),
                row.cents if row else None,
                suspended=bool(row and row.suspended),
            )
        )
        day += timedelta(days=1)
    return days
