"""The brands' search of creators they may invite: public accounts enrolled and receiving in
the Creator Marketplace (not suspended, not paused, the current terms accepted), most
followed first. Only public figures come out: handle, display name, followers, authentic
views in the last 30 days and categories.

The program's suspension rules (`programs.eligibility.suspension_reasons`) are written here
as SQL so a page is one query: PERSONAL, PUBLIC, not political, standing neither RESTRICTED
nor BANNED, and old enough today (the Creator Marketplace's age does not depend on the
country).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.content.models import Follow
from reelpay.enums import AccountType, FollowStatus, Standing, Visibility
from reelpay.marketplace.models import Category, CreatorCategory
from reelpay.programs import eligibility
from reelpay.programs.models import Enrolment, Program
from reelpay.settings import Rules

PROGRAM = Program.CREATOR_MARKETPLACE


@dataclass(frozen=True)
class CreatorFilter:
    """Narrow the search (None: any)."""

    category: Category | None = None
    min_followers: int | None = None
    country: str | None = None


@dataclass(frozen=True)
class FoundCreator:
    account: Account
    followers: int


@dataclass(frozen=True)
class CreatorPage:
    items: list[FoundCreator]
    has_next_page: bool
    after: tuple[int, int] | None  # the key the page started after


def latest_birth_date(today: date, years: int) -> date:
    """The latest birth date of someone `years` or older on `today` (see `age_on`)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year that has none
        return date(today.year - years, 2, 28)


def followers_of(account_id: Any) -> sa.ScalarSelect[int]:
    """Approved followers of `account_id` (a correlated subquery)."""
    return (
        sa.select(sa.func.count())
        .where(Follow.followee_id == account_id, Follow.status == FollowStatus.ACCEPTED)
        .scalar_subquery()
    )


def _eligible(filters: CreatorFilter, followers: Any, *, today: date, rules: Rules) -> list[Any]:
    receiving = sa.exists().where(
        Enrolment.account_id == Account.id,
        Enrolment.program == PROGRAM,
        Enrolment.paused_at.is_(None),
        Enrolment.terms_outstanding_since.is_(None),
    )
    oldest_birth = latest_birth_date(today, eligibility.min_age(PROGRAM, "US", rules))
    where: list[Any] = [
        receiving,
        Account.visibility == Visibility.PUBLIC,
        Account.account_type == AccountType.PERSONAL,
        Account.is_political.is_(False),
        Account.standing.not_in([Standing.RESTRICTED, Standing.BANNED]),
        Account.birth_date <= oldest_birth,
    ]
    if filters.category is not None:
        where.append(
            sa.exists().where(
                CreatorCategory.account_id == Account.id,
                CreatorCategory.category == filters.category,
            )
        )
    if filters.min_followers is not None:
        where.append(followers >= filters.min_followers)
    if filters.country is not None:
        where.append(Account.country == filters.country.upper())
    return where


async def search(
    session: AsyncSession,
    filters: CreatorFilter,
    *,
    first: int,
    after: tuple[int, int] | None,
    today: date,
    rules: Rules,
) -> CreatorPage:
    """`first` eligible creators by followers (most first), then id, after the key `after`
    ((followers, id) of the last one seen): one query."""
    followers = followers_of(Account.id).label("followers")
    stmt = sa.select(Account, followers).where(
        *_eligible(filters, followers, today=today, rules=rules)
    )
    if after is not None:
        seen_followers, seen_id = after
        stmt = stmt.where(
            sa.or_(
                followers < seen_followers,
                sa.and_(followers == seen_followers, Account.id > seen_id),
            )
        )
    rows = (
        await session.execute(stmt.order_by(followers.desc(), Account.id).limit(first + 1))
    ).all()
    items = [FoundCreator(account=a, followers=int(n)) for a, n in rows[:first]]
    return CreatorPage(items=items, has_next_page=len(rows) > first, after=after)


async def search_count(
    session: AsyncSession, filters: CreatorFilter, *, today: date, rules: Rules
) -> int:
    """How many creators the search finds in all."""
    followers = followers_of(Account.id)
    stmt = sa.select(sa.func.count()).select_from(Account)
    return int(
        await session.scalar(stmt.where(*_eligible(filters, followers, today=today, rules=rules)))
        or 0
    )
