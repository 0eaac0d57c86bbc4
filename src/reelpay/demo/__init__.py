"""Demo data for GraphiQL: creators with videos, followers and 30 days of views, coins, a LIVE
with gifts, a Series fans bought, a creator paid weekly, and a brand's campaigns (a finished
challenge, a deal awaiting review, an open campaign).

Loaded through the same services the API uses, at times counted back from `now` (see
`timeline`), so every figure is consistent and the demo is the same on any date. A part that
cannot be built with the configured rules raises `DemoError`, and nothing is loaded.
"""

from __future__ import annotations

import random
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.accounts.passwords import Passwords
from reelpay.demo.marketplace import BRAND, seed_marketplace
from reelpay.demo.money import AUDIENCE, LIVE_CREATOR, seed_money
from reelpay.demo.people import CREATORS, DEMO_PASSWORD, FANS, seed_people
from reelpay.demo.timeline import DemoError, step
from reelpay.settings import Settings

__all__ = [
    "AUDIENCE",
    "BRAND",
    "CREATORS",
    "DEMO_PASSWORD",
    "FANS",
    "LIVE_CREATOR",
    "DemoError",
    "has_data",
    "seed",
]


async def has_data(session: AsyncSession) -> bool:
    return (await session.scalar(sa.select(sa.func.count()).select_from(Account)) or 0) > 0


async def seed(session: AsyncSession, *, settings: Settings, now: datetime) -> dict[str, int]:
    """Load the demo as it stands at `now`; returns what was created. The caller commits."""
    # The same choices on every date: only the dates move with `now`.
    rng = random.Random("reelpay-demo")
    with step("the demo"):  # any refusal a finer step did not name
        password_hash = await Passwords(settings).hash(DEMO_PASSWORD)
        people = await seed_people(
            session,
            password_hash=password_hash,
            rules=settings.rules,
            now=now,
            rng=rng,
        )
        counts = {
            "accounts": 1 + FANS + len(CREATORS),
            "videos": people.videos,
            "follows": people.follows,
            "views": people.views,
        }
        counts.update(await seed_money(session, people, settings=settings, now=now, rng=rng))
        counts.update(
            await seed_marketplace(
                session, people, password_hash=password_hash, settings=settings, now=now
            )
        )
    return counts
