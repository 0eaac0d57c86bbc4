"""The demo's people: staff, fans and five creators with videos, 30 days of views and followers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.content import service as content
from reelpay.demo.timeline import JOINED_DAYS_AGO, VIEW_HISTORY_DAYS, born, days_ago, step
from reelpay.enums import AccountType, Role, Visibility
from reelpay.settings import Rules

DEMO_PASSWORD = "reelpay-demo"
FANS = 24


@dataclass(frozen=True)
class DemoCreator:
    handle: str
    display_name: str
    country: str
    age: int  # years, today
    account_type: AccountType
    visibility: Visibility
    bio: str
    # Each video and how many days ago it went up: inside the 30-day posts window by at least
    # two days, or outside it by at least two.
    videos: tuple[tuple[str, int], ...]
    daily_views: int  # typical views per video per day
    fans: int  # how many demo fans follow


CREATORS = (
    DemoCreator(
        "mia.dances", "Mia Dances", "US", 28, AccountType.BUSINESS, Visibility.PUBLIC,
        "Choreography every Tuesday.",
        (("Tuesday routine", 44), ("Mirror drill", 33), ("Shuffle basics", 24),
         ("Duet with Leo", 15), ("Studio tour", 8), ("Footwork in 60s", 2)),
        4000, 22,
    ),
    # Three posts went up before his Series application 9 days ago, inside its 30-day window.
    DemoCreator(
        "chef.leo", "Chef Leo", "FR", 36, AccountType.PERSONAL, Visibility.PUBLIC,
        "Five-ingredient dinners.",
        (("Omelette, properly", 26), ("Knife skills", 19), ("Ratatouille in 5", 12),
         ("Sunday bread", 5)),
        1500, 16,
    ),
    # 18 in Korea: old enough for most programs, one year short for Series there.
    DemoCreator(
        "jin.sings", "Jin", "KR", 18, AccountType.PERSONAL, Visibility.PUBLIC,
        "Covers and originals.",
        (("Acoustic cover", 25), ("Original: Seoul rain", 13), ("Vocal warm-up", 4)),
        900, 12,
    ),
    DemoCreator(
        "tara.tech", "Tara Tech", "GB", 32, AccountType.BUSINESS, Visibility.PUBLIC,
        "Gadgets, honestly reviewed.",
        (("Phone teardown", 40), ("Budget earbuds", 27), ("Desk setup", 18),
         ("Laptop vs tablet", 9), ("Battery myths", 3)),
        2500, 18,
    ),
    DemoCreator(
        "pat.private", "Pat", "CA", 25, AccountType.PERSONAL, Visibility.PRIVATE,
        "Friends only.",
        (("Weekend hike", 20), ("Cat compilation", 6)),
        40, 4,
    ),
)  # fmt: skip
FAN_COUNTRIES = ("US", "FR", "KR", "BR")


@dataclass
class People:
    staff: Account
    fans: list[Account]
    creators: dict[str, Account]
    videos: int
    follows: int
    views: int


async def seed_people(
    session: AsyncSession,
    *,
    password_hash: str,
    rules: Rules,
    now: datetime,
    rng: random.Random,
) -> People:
    """Staff, fans and creators, with the creators' videos, views, pins and followers."""
    today = now.date()
    joined = days_ago(now, JOINED_DAYS_AGO)

    async def new_account(
        handle: str, name: str, country: str, birth_date: date, role: Role = Role.USER
    ) -> Account:
        with step(f"the demo account {handle}"):
            account, _ = await accounts.sign_up(
                session,
                accounts.SignUp(
                    email=f"{handle}@demo.reelpay.dev",
                    password=DEMO_PASSWORD,
                    handle=handle,
                    display_name=name,
                    birth_date=birth_date,
                    country=country,
                ),
                now=joined,
                rules=rules,
                password_hash=password_hash,  # every demo account shares one password
                role=role,
            )
        return account

    staff = await new_account("staff", "Reelpay Staff", "US", born(today, 41, 100), Role.STAFF)
    # Adults from 20 to 43: old enough to spend everywhere (19 in Korea).
    fans = [
        await new_account(
            f"fan{i:02d}",
            f"Fan {i}",
            rng.choice(FAN_COUNTRIES),
            born(today, 19 + i, (37 * i) % 365),
        )
        for i in range(1, FANS + 1)
    ]
    people = People(staff, fans, {}, videos=0, follows=0, views=0)
    for spec in CREATORS:
        creator = await new_account(
            spec.handle, spec.display_name, spec.country, born(today, spec.age, 150)
        )
        people.creators[spec.handle] = creator
        await _creator_content(
            session, creator, spec, people, rules=rules, now=now, joined=joined, rng=rng
        )
    return people


async def _creator_content(
    session: AsyncSession,
    creator: Account,
    spec: DemoCreator,
    people: People,
    *,
    rules: Rules,
    now: datetime,
    joined: datetime,
    rng: random.Random,
) -> None:
    creator.bio = spec.bio
    creator.account_type = spec.account_type
    if spec.account_type is AccountType.BUSINESS:
        creator.website_url = f"https://{spec.handle.replace('.', '-')}.example.com"
        creator.contact_email = f"hello@{spec.handle.replace('.', '-')}.example.com"
    first_view_day = now.date() - timedelta(days=VIEW_HISTORY_DAYS)
    video_ids = []
    for title, age in spec.videos:
        published = days_ago(now, age, hours=rng.randint(0, 12))
        with step(f"{spec.handle}'s video {title!r}"):
            video = await content.publish_video(
                session,
                creator,
                content.VideoDraft(
                    title=title,
                    duration_seconds=rng.randint(35, 300),
                    description=f"{title} by {spec.display_name}.",
                ),
                now=published,
                rules=rules,
            )
        video_ids.append(video.id)
        people.videos += 1
        history = {}
        # From the day it went up (counted in whole days, whatever the hour) to today.
        day = max(now.date() - timedelta(days=age), first_view_day)
        while day <= now.date():
            history[day] = int(spec.daily_views * rng.uniform(0.3, 1.7))
            day += timedelta(days=1)
        await content.add_views(session, video.id, history)
        people.views += sum(history.values())
    if spec.account_type is AccountType.BUSINESS:
        with step(f"{spec.handle}'s pinned videos"):
            await content.set_pinned_videos(session, creator, video_ids[-1:-3:-1], rules=rules)
    for fan in rng.sample(people.fans, spec.fans):
        # Some time between the fan joining and yesterday.
        followed_at = joined + timedelta(days=rng.uniform(0, JOINED_DAYS_AGO - 1))
        await content.follow(session, fan, creator.id, now=followed_at)
        people.follows += 1
    if spec.visibility is Visibility.PRIVATE:
        creator.visibility = Visibility.PRIVATE
    await session.flush()
