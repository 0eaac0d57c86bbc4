"""Who may take part in a campaign: applying, being invited, accepting, entering a challenge.

Two layers, each explained in words a person can act on:

1. The Creator Marketplace program: enrolled and receiving (not suspended, the current terms
   accepted, not paused), as every money path checks it (`programs.monetization`). Campaign
   videos are public, so the account must be public too.
2. The campaign's requirements: at least `min_followers` approved followers, a country among
   `countries`, a category among `categories` (the creator's own `creator_categories`). Empty
   requirements let anyone in.

`unmet` is the pure rule; `check_creator` reads the facts and raises CREATOR_NOT_QUALIFIED with
one problem per reason. A brand (`to_brand=True`) is told which public requirement is unmet
but not why the creator cannot take part in the program (their standing is their business),
as a tipper is not told why a creator cannot receive tips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.content import service as content
from reelpay.enums import Visibility
from reelpay.errors import DomainError, ErrorCode, Problem
from reelpay.marketplace.models import Campaign, CreatorCategory
from reelpay.programs import monetization
from reelpay.programs import service as programs
from reelpay.programs.models import Program
from reelpay.programs.monetization import Receiving
from reelpay.settings import Rules

PROGRAM = Program.CREATOR_MARKETPLACE


@dataclass(frozen=True)
class CreatorFacts:
    """What qualification looks at, read at one instant."""

    handle: str
    receiving: Receiving | None  # None: not enrolled
    suspended: tuple[str, ...]  # why the program is suspended (empty: it is not)
    public: bool
    followers: int
    country: str
    categories: frozenset[str]


def program_reasons(facts: CreatorFacts, *, to_brand: bool) -> list[str]:
    """Why the creator cannot take part in the Creator Marketplace at all (empty: they can)."""
    who = f"@{facts.handle}"
    if to_brand:
        if facts.receiving is not Receiving.OPEN or facts.suspended:
            return [f"{who} is not active in the Creator Marketplace program."]
        if not facts.public:
            return [f"{who} has a private account; campaign videos are public."]
        return []
    if facts.receiving is None:
        return ["You are not enrolled in the Creator Marketplace program: apply to join it."]
    reasons = [f"Creator Marketplace is suspended: {why}" for why in facts.suspended]
    if facts.receiving is Receiving.TERMS_NOT_ACCEPTED:
        reasons.append("Accept the new Creator Marketplace terms to take part in campaigns.")
    elif facts.receiving is Receiving.PAUSED:
        reasons.append("You paused the Creator Marketplace: resume it to take part in campaigns.")
    if not facts.public:
        reasons.append("Campaign videos are public: make your account public to take part.")
    return reasons


def requirement_reasons(facts: CreatorFacts, campaign: Campaign, *, to_brand: bool) -> list[str]:
    """The campaign's requirements the creator does not meet (empty: every one is met)."""
    reasons: list[str] = []
    have = f"@{facts.handle} has" if to_brand else "you have"
    is_in = f"@{facts.handle} is in" if to_brand else "you are in"
    if facts.followers < campaign.min_followers:
        reasons.append(
            f"The campaign asks for at least {campaign.min_followers:,} followers; {have} "
            f"{facts.followers:,}."
        )
    if campaign.countries and facts.country not in campaign.countries:
        reasons.append(
            f"The campaign is for creators in {', '.join(campaign.countries)}; {is_in} "
            f"{facts.country}."
        )
    if campaign.categories and not facts.categories & set(campaign.categories):
        mine = ", ".join(sorted(facts.categories)) or "none"
        hint = "" if to_brand else " (set yours with `setMarketplaceCategories`)"
        whose = f"@{facts.handle}'s" if to_brand else "yours"
        reasons.append(
            f"The campaign is for creators making {', '.join(campaign.categories)} videos; "
            f"{whose}: {mine}{hint}."
        )
    return reasons


def unmet(facts: CreatorFacts, campaign: Campaign, *, to_brand: bool = False) -> list[str]:
    """Every reason the creator may not take part in `campaign` (pure; empty: they may)."""
    return program_reasons(facts, to_brand=to_brand) + requirement_reasons(
        facts, campaign, to_brand=to_brand
    )


async def facts_of(
    session: AsyncSession, creator: Account, *, today: date, rules: Rules
) -> CreatorFacts:
    """The creator's facts as qualification reads them (three small statements)."""
    receiving = await monetization.receiving_state(session, creator.id, PROGRAM)
    suspended = programs.suspension_reasons(creator, PROGRAM, today=today, rules=rules)
    followers = (await content.follow_counts(session, [creator.id]))[creator.id].followers
    categories = await session.scalars(
        sa.select(CreatorCategory.category).where(CreatorCategory.account_id == creator.id)
    )
    return CreatorFacts(
        handle=creator.handle,
        receiving=receiving,
        suspended=tuple(suspended),
        public=creator.visibility is Visibility.PUBLIC,
        followers=int(followers),
        country=creator.country,
        categories=frozenset(str(c) for c in categories),
    )


async def check_creator(
    session: AsyncSession,
    creator: Account,
    campaign: Campaign,
    *,
    today: date,
    rules: Rules,
    to_brand: bool = False,
    field: Sequence[str] | None = None,
) -> None:
    """Refuse with CREATOR_NOT_QUALIFIED (one problem per unmet reason) unless `creator` may
    take part in `campaign`. `to_brand`: the message is for the brand inviting or accepting."""
    facts = await facts_of(session, creator, today=today, rules=rules)
    reasons = unmet(facts, campaign, to_brand=to_brand)
    if reasons:
        where = tuple(field) if field else None
        raise DomainError.of(
            [Problem(ErrorCode.CREATOR_NOT_QUALIFIED, reason, where) for reason in reasons]
        )
