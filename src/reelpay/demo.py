"""Demo data for GraphiQL: creators with videos, followers and 30 days of views.

Loaded through the same services the API uses, with a clock moved through the past, so every
figure (follower growth, views per day, posts in the window) is consistent. Deterministic: the
same date gives the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.accounts.passwords import Passwords
from reelpay.content import service as content
from reelpay.enums import AccountType, Role, Visibility
from reelpay.settings import Settings

DEMO_PASSWORD = "reelpay-demo"
DEMO_DAYS = 30


@dataclass(frozen=True)
class DemoCreator:
    handle: str
    display_name: str
    country: str
    birth_date: date
    account_type: AccountType
    visibility: Visibility
    bio: str
    titles: tuple[str, ...]
    daily_views: int  # typical views per video per day
    fans: int  # how many demo fans follow


CREATORS = (
    DemoCreator(
        "mia.dances",
        "Mia Dances",
        "US",
        date(1998, 3, 14),
        AccountType.BUSINESS,
        Visibility.PUBLIC,
        "Choreography every Tuesday.",
        (
            "Tuesday routine",
            "Mirror drill",
            "Shuffle basics",
            "Duet with Leo",
            "Studio tour",
            "Footwork in 60s",
        ),
        4000,
        22,
    ),
    DemoCreator(
        "chef.leo",
        "Chef Leo",
        "FR",
        date(1990, 9, 2),
        AccountType.PERSONAL,
        Visibility.PUBLIC,
        "Five-ingredient dinners.",
        ("Omelette, properly", "Knife skills", "Ratatouille in 5", "Sunday bread"),
        1500,
        16,
    ),
    DemoCreator(
        "jin.sings",
        "Jin",
        "KR",
        date(2007, 12, 1),
        AccountType.PERSONAL,
        Visibility.PUBLIC,
        "Covers and originals.",
        ("Acoustic cover", "Original: Seoul rain", "Vocal warm-up"),
        900,
        12,
    ),
    DemoCreator(
        "tara.tech",
        "Tara Tech",
        "GB",
        date(1994, 6, 30),
        AccountType.BUSINESS,
        Visibility.PUBLIC,
        "Gadgets, honestly reviewed.",
        (
            "Phone teardown",
            "Budget earbuds",
            "Desk setup 2026",
            "Laptop vs tablet",
            "Battery myths",
        ),
        2500,
        18,
    ),
    DemoCreator(
        "pat.private",
        "Pat",
        "CA",
        date(2001, 1, 20),
        AccountType.PERSONAL,
        Visibility.PRIVATE,
        "Friends only.",
        ("Weekend hike", "Cat compilation"),
        40,
        4,
    ),
)
FANS = 24


class _OneHash:
    """Every demo account shares one password: hash it once, not forty times."""

    def __init__(self, password_hash: str) -> None:
        self._hash = password_hash

    async def hash(self, password: str) -> str:
        return self._hash


async def has_data(session: AsyncSession) -> bool:
    return (await session.scalar(sa.select(sa.func.count()).select_from(Account)) or 0) > 0


async def seed(session: AsyncSession, *, settings: Settings, now: datetime) -> dict[str, int]:
    """Load the demo; returns what was created. The caller commits."""
    rng = random.Random(f"reelpay-demo-{now.date().isoformat()}")
    passwords = _OneHash(await Passwords(settings).hash(DEMO_PASSWORD))
    start = now - timedelta(days=DEMO_DAYS + 10)
    rules = settings.rules

    async def new_account(
        handle: str, name: str, country: str, born: date, role: Role = Role.USER
    ) -> Account:
        account, _ = await accounts.sign_up(
            session,
            accounts.SignUp(
                email=f"{handle}@demo.reelpay.dev",
                password=DEMO_PASSWORD,
                handle=handle,
                display_name=name,
                birth_date=born,
                country=country,
            ),
            now=start,
            rules=rules,
            passwords=passwords,  # type: ignore[arg-type]
            role=role,
        )
        return account

    await new_account("staff", "Reelpay Staff", "US", date(1985, 1, 1), Role.STAFF)
    fans = [
        await new_account(
            f"fan{i:02d}",
            f"Fan {i}",
            rng.choice(["US", "FR", "KR", "BR"]),
            date(1980 + i, 1 + i % 12, 1 + i % 28),
        )
        for i in range(1, FANS + 1)
    ]
    counts = {"accounts": 1 + FANS, "videos": 0, "follows": 0, "views": 0}
    for spec in CREATORS:
        creator = await new_account(spec.handle, spec.display_name, spec.country, spec.birth_date)
        counts["accounts"] += 1
        creator.bio = spec.bio
        creator.account_type = spec.account_type
        if spec.account_type is AccountType.BUSINESS:
            creator.website_url = f"https://{spec.handle.replace('.', '-')}.example.com"
            creator.contact_email = f"hello@{spec.handle.replace('.', '-')}.example.com"
        video_ids = []
        for index, title in enumerate(spec.titles):
            published = start + timedelta(
                days=index * (DEMO_DAYS + 8) / len(spec.titles), hours=rng.randint(8, 20)
            )
            video = await content.publish_video(
                session,
                creator,
                content.VideoDraft(
                    title=title,
                    duration_seconds=rng.randint(20, 300),
                    description=f"{title} by {spec.display_name}.",
                ),
                now=published,
                rules=rules,
            )
            video_ids.append(video.id)
            counts["videos"] += 1
            history = {}
            day = max(published.date(), (now - timedelta(days=DEMO_DAYS)).date())
            while day <= now.date():
                history[day] = int(spec.daily_views * rng.uniform(0.3, 1.7))
                day += timedelta(days=1)
            await content.add_views(session, video.id, history)
            counts["views"] += sum(history.values())
        if spec.account_type is AccountType.BUSINESS:
            await content.set_pinned_videos(session, creator, video_ids[-1:-3:-1], rules=rules)
        for fan in rng.sample(fans, spec.fans):
            followed_at = start + timedelta(days=rng.uniform(0, DEMO_DAYS + 9))
            await content.follow(session, fan, creator.id, now=followed_at)
            counts["follows"] += 1
        if spec.visibility is Visibility.PRIVATE:
            creator.visibility = Visibility.PRIVATE
        await session.flush()
    return counts
