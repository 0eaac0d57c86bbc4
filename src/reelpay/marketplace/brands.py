"""Brand profiles (what makes a BUSINESS account a brand) and creators' categories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import validation
from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode
from reelpay.marketplace.models import BrandProfile, Category, CreatorCategory
from reelpay.settings import Rules

NAME_MAX_LENGTH = 100
MAX_CREATOR_CATEGORIES = 3


def require_business(account: Account, *, doing: str = "run campaigns") -> None:
    """BUSINESS_ACCOUNT_REQUIRED unless `account` is a BUSINESS account."""
    if not account.is_business:
        raise DomainError(
            f"Only BUSINESS accounts {doing}: switch with `switchAccountType` first.",
            code=ErrorCode.BUSINESS_ACCOUNT_REQUIRED,
        )


async def get_brand_profile(session: AsyncSession, account_id: int) -> BrandProfile | None:
    return await session.get(BrandProfile, account_id)


async def require_brand(session: AsyncSession, account: Account) -> BrandProfile:
    """The brand profile of `account`, which must be a BUSINESS account with one
    (BUSINESS_ACCOUNT_REQUIRED, then BRAND_PROFILE_REQUIRED)."""
    require_business(account)
    profile = await get_brand_profile(session, account.id)
    if profile is None:
        raise DomainError(
            "Set up your brand profile first (`setBrandProfile`).",
            code=ErrorCode.BRAND_PROFILE_REQUIRED,
        )
    return profile


async def set_brand_profile(
    session: AsyncSession,
    account: Account,
    *,
    name: str,
    website: str | None,
    category: Category,
    rules: Rules,
    now: datetime,
) -> BrandProfile:
    """Create or replace the brand profile of a BUSINESS account."""
    require_business(account, doing="have a brand profile")
    name = validation.text(
        name, min_length=1, max_length=NAME_MAX_LENGTH, what="A brand name",
        field=("input", "name"),
    )  # fmt: skip
    if website is not None and website.strip() == "":
        website = None
    if website is not None:
        website = validation.url(website, rules, ("input", "website"))
    await _lock_account(session, account.id)
    profile = await session.get(BrandProfile, account.id, populate_existing=True)
    if profile is None:
        profile = BrandProfile(account_id=account.id, created_at=now)
        session.add(profile)
    profile.name = name
    profile.website = website
    profile.category = category
    profile.updated_at = now
    await session.flush()
    return profile


async def set_creator_categories(
    session: AsyncSession, account: Account, categories: Sequence[Category]
) -> list[Category]:
    """Replace the categories `account` says it makes videos in (0 to 3, no repeats)."""
    chosen = list(dict.fromkeys(categories))
    if len(chosen) != len(categories):
        raise DomainError(
            "Name each category once.", code=ErrorCode.INVALID_INPUT,
            field=("input", "categories"),
        )  # fmt: skip
    if len(chosen) > MAX_CREATOR_CATEGORIES:
        raise DomainError(
            f"Choose at most {MAX_CREATOR_CATEGORIES} categories.",
            code=ErrorCode.INVALID_INPUT,
            field=("input", "categories"),
        )
    await _lock_account(session, account.id)
    await session.execute(
        sa.delete(CreatorCategory).where(CreatorCategory.account_id == account.id)
    )
    session.add_all(CreatorCategory(account_id=account.id, category=c) for c in chosen)
    await session.flush()
    return sorted(chosen)


async def _lock_account(session: AsyncSession, account_id: int) -> None:
    """Concurrent changes of one account's marketplace rows wait for each other (instead of
    two first inserts colliding)."""
    await session.execute(sa.select(Account.id).where(Account.id == account_id).with_for_update())


async def brand_profiles_by_ids(
    session: AsyncSession, account_ids: Sequence[int]
) -> dict[int, BrandProfile]:
    rows = await session.scalars(
        sa.select(BrandProfile).where(BrandProfile.account_id.in_(set(account_ids)))
    )
    return {p.account_id: p for p in rows}


async def creator_categories_by_ids(
    session: AsyncSession, account_ids: Sequence[int]
) -> dict[int, list[Category]]:
    """Each account's categories, sorted (an empty list when it named none)."""
    rows = await session.execute(
        sa.select(CreatorCategory.account_id, CreatorCategory.category)
        .where(CreatorCategory.account_id.in_(set(account_ids)))
        .order_by(CreatorCategory.account_id, CreatorCategory.category)
    )
    found: dict[int, list[Category]] = {i: [] for i in account_ids}
    for account_id, category in rows.all():
        found[account_id].append(category)
    return found
