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
from reelpay.content.models import Follow, Video
from reelpay.enums import AccountType, FollowStatus, Role, Standing, Visibility
from reelpay.gifting import live as lives
from reelpay.gifting import service as gifting
from reelpay.payments import sandbox
from reelpay.payments import service as payments
from reelpay.payouts import destinations
from reelpay.payouts import methods as payout_methods
from reelpay.payouts import service as payouts
from reelpay.payouts.models import PayoutFrequency
from reelpay.programs import service as programs
from reelpay.programs.eligibility import Criterion
from reelpay.programs.models import Program
from reelpay.series import purchases as series_sales
from reelpay.series import service as series_service
from reelpay.series.models import PaidWith
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

    staff = await new_account("staff", "Reelpay Staff", "US", date(1985, 1, 1), Role.STAFF)
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
    by_handle = {a.handle: a for a in [*fans, staff]}
    by_handle.update({a.handle: a for a in await _creators(session)})
    counts.update(await _seed_money(session, by_handle, fans, settings=settings, now=now, rng=rng))
    return counts


LIVE_CREATOR = "chef.leo"
# LIVE gifts need 1,000 followers: the LIVE creator gets a crowd of audience accounts.
AUDIENCE = 1_200


async def _creators(session: AsyncSession) -> list[Account]:
    handles = [spec.handle for spec in CREATORS]
    return list(await session.scalars(sa.select(Account).where(Account.handle.in_(handles))))


async def _seed_money(
    session: AsyncSession,
    by_handle: dict[str, Account],
    fans: list[Account],
    *,
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> dict[str, int]:
    """Coins bought by fans (and mia.dances); chef.leo enrolled in the programs he qualifies
    for, LIVE now with gifts, and gifts on his videos.

    Everything goes through the services, so the ledger holds exactly what the API would write.
    """
    star = by_handle[LIVE_CREATOR]
    await _add_audience(session, star, now - timedelta(days=DEMO_DAYS))
    # chef.leo applied to the programs he qualifies for, and staff approved him.
    for program in (Program.LIVE_GIFTS, Program.TIPS):
        evaluation = await programs.evaluate(session, star, program, now=now, rules=settings.rules)
        if evaluation.eligible:
            application = await programs.apply(
                session, star, program, premium_content_url=None,
                now=now - timedelta(days=3), rules=settings.rules,
            )  # fmt: skip
            await programs.approve(
                session, by_handle["staff"], application.id, now=now - timedelta(days=2)
            )
    packages = list(settings.coin_packages)
    largest = max(packages, key=lambda p: p.coins)
    # Enough for a few gifts each (the dearest demo gift costs 3 x 100 coins).
    affordable = [p for p in packages if p.coins >= 300] or [largest]
    buyers = [*fans, by_handle["mia.dances"]]
    for n, buyer in enumerate(buyers):
        if buyer.handle == "mia.dances":
            package = next((p for p in packages if p.coins == 3_500), largest)
        else:
            package = rng.choice(affordable)
        await payments.record_purchase(
            session,
            buyer,
            payments.PurchaseRequest(package, sandbox.SUCCESS_TOKEN, f"demo-coins-{n}"),
            charge_id=f"ch_demo_{buyer.id}_{n}",
            provider="sandbox",
            now=now - timedelta(days=2, minutes=n),
            settings=settings,
        )
    live = await lives.start_live(
        session,
        star,
        "Sunday bread, live from my kitchen",
        now=now - timedelta(minutes=40),
        rules=settings.rules,
    )
    catalog = [g for g in await gifting.gift_catalog(session) if g.coin_price <= 100]
    gifts = 0
    for n, fan in enumerate(rng.sample(fans, 8)):
        at = now - timedelta(minutes=35 - 3 * n)
        await lives.join_live(session, fan, live.id, now=at)
        gift = rng.choice(catalog)
        await gifting.send_gift(
            session,
            fan,
            gifting.GiftRequest(gift.id, rng.randint(1, 3), f"demo-live-gift-{n}", live_id=live.id),
            now=at + timedelta(minutes=1),
            settings=settings,
        )
        gifts += 1
    star_videos = await session.scalars(
        sa.select(Video.id).where(Video.owner_id == star.id).order_by(Video.id)
    )
    for n, (fan, video_id) in enumerate(zip(rng.sample(fans, 4), star_videos, strict=False)):
        await gifting.send_gift(
            session,
            fan,
            gifting.GiftRequest(catalog[0].id, 5, f"demo-video-gift-{n}", video_id=video_id),
            now=now - timedelta(hours=5, minutes=n),
            settings=settings,
        )
        gifts += 1
    sold = await _seed_series(session, star, by_handle["staff"], fans, settings=settings, now=now)
    return {
        "coin purchases": len(buyers),
        "gifts": gifts,
        "audience accounts": AUDIENCE,
        "Series sales": sold,
    }


async def _seed_series(
    session: AsyncSession,
    star: Account,
    staff: Account,
    fans: list[Account],
    *,
    settings: Settings,
    now: datetime,
) -> int:
    """chef.leo sells a Series (approved through the premium-content path: he has fewer than
    10,000 followers). Fans bought it by card: most over a week ago, so their refund windows
    have closed and his share is available to pay out; three recently, still pending."""
    rules = settings.rules
    evaluation = await programs.evaluate(session, star, Program.SERIES, now=now, rules=rules)
    if any(r.criterion is not Criterion.FOLLOWERS for r in evaluation.unmet):
        return 0
    application = await programs.apply(
        session, star, Program.SERIES,
        premium_content_url="https://chef-leo.example.com/masterclass",
        now=now - timedelta(days=9), rules=rules,
    )  # fmt: skip
    await programs.approve(session, staff, application.id, now=now - timedelta(days=9))
    series = await series_service.create_series(
        session,
        star,
        series_service.SeriesFields(
            title="Five-ingredient dinners",
            description="A week of dinners from five ingredients each.",
            price_cents=999,
        ),
        now=now - timedelta(days=9),
        rules=rules,
    )
    for title, seconds in (("Monday: lemon pasta", 420), ("Tuesday: shakshuka", 610),
                           ("Wednesday: miso salmon", 545)):  # fmt: skip
        await series_service.add_episode(
            session, star, series.id, title=title, duration_seconds=seconds,
            now=now - timedelta(days=9), rules=rules,
        )  # fmt: skip
    await series_service.publish_series(session, star, series.id, now=now - timedelta(days=9))
    for n, fan in enumerate(fans):
        recent = n < 3
        result = await series_sales.record_purchase(
            session,
            fan,
            series_sales.PurchaseRequest(
                series.id, PaidWith.CARD, f"demo-series-{n}", sandbox.SUCCESS_TOKEN
            ),
            now=now - (timedelta(days=3, hours=n) if recent else timedelta(days=9, minutes=-n)),
            settings=settings,
            charge_id=f"ch_demo_series_{fan.id}",
            provider="sandbox",
        )
        if not recent:  # the window has closed: what `reelpay jobs release-earnings` does
            await series_sales.release_one(session, result["purchaseId"], now=now)
    # He is paid weekly, on Mondays, to PayPal (the sandbox pays any ordinary address).
    await payout_methods.add_method(
        session, star, destinations.paypal("chef.leo@paypal.example", ("email",)),
        make_default=True, now=now - timedelta(days=9), settings=settings,
    )  # fmt: skip
    await payouts.set_schedule(
        session, star, frequency=PayoutFrequency.WEEKLY, weekday=1, day_of_month=None,
        now=now - timedelta(days=9),
    )  # fmt: skip
    return len(fans)


async def _add_audience(session: AsyncSession, creator: Account, at: datetime) -> None:
    """Bulk-insert followers that cannot log in (their password hash matches nothing)."""
    rows = [
        {
            "email": f"audience{i:04d}@demo.reelpay.dev",
            "password_hash": "!",
            "handle": f"audience{i:04d}",
            "handle_key": f"audience{i:04d}",
            "display_name": f"Audience {i}",
            "bio": "",
            "birth_date": date(1990, 1, 1),
            "country": "US",
            "visibility": Visibility.PUBLIC,
            "account_type": AccountType.PERSONAL,
            "role": Role.USER,
            "standing": Standing.GOOD,
            "is_political": False,
            "created_at": at,
        }
        for i in range(1, AUDIENCE + 1)
    ]
    await session.execute(sa.insert(Account), rows)
    ids = await session.scalars(
        sa.select(Account.id).where(Account.email.like("audience%@demo.reelpay.dev"))
    )
    await session.execute(
        sa.insert(Follow),
        [
            {
                "follower_id": follower,
                "followee_id": creator.id,
                "status": FollowStatus.ACCEPTED,
                "created_at": at,
                "accepted_at": at,
            }
            for follower in ids
        ],
    )
