"""The demo's money: chef.leo's audience and programs, coins, a LIVE with gifts, a Series fans
bought, and his weekly PayPal payouts. Everything goes through the services, so the ledger holds
exactly what the API would have written."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.content.models import Follow, Video
from reelpay.demo.people import People
from reelpay.demo.timeline import (
    AUDIENCE_FOLLOWED_DAYS_AGO,
    COINS_DAYS_AGO,
    ENROLLED_DAYS_AGO,
    LIVE_MINUTES_AGO,
    RECENT_SALES_DAYS_AGO,
    SERIES_DAYS_AGO,
    DemoError,
    born,
    days_ago,
    step,
)
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
from reelpay.programs import terms as program_terms
from reelpay.programs.eligibility import PROGRAM_NAMES, Criterion
from reelpay.programs.models import Program
from reelpay.series import links as series_links
from reelpay.series import purchases as series_sales
from reelpay.series import service as series_service
from reelpay.series.models import PaidWith
from reelpay.settings import Settings

LIVE_CREATOR = "chef.leo"
# LIVE gifts need 1,000 followers: the LIVE creator gets a crowd of audience accounts.
AUDIENCE = 1_200
SERIES_PRICE_CENTS = 999
SERIES_EPISODES = (
    ("Monday: lemon pasta", 420),
    ("Tuesday: shakshuka", 610),
    ("Wednesday: miso salmon", 545),
)
RECENT_BUYERS = 3
# chef.leo's video that links his Series (`Video.series`), from the day he published it.
SERIES_VIDEO = "Ratatouille in 5"
# chef.leo's next weekly payout is this many days from today.
PAYDAY_IN_DAYS = 3


async def seed_money(
    session: AsyncSession,
    people: People,
    *,
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> dict[str, int]:
    """Coins for the fans and mia.dances; chef.leo enrolled, LIVE with gifts, selling a Series."""
    star = people.creators[LIVE_CREATOR]
    await _add_audience(session, star, days_ago(now, AUDIENCE_FOLLOWED_DAYS_AGO))
    enrolled = days_ago(now, ENROLLED_DAYS_AGO)
    await enrol(session, star, people.staff, Program.LIVE_GIFTS, at=enrolled, settings=settings)
    # Tips need 100,000 followers by default: chef.leo takes tips only where the rules are
    # lowered (the README's REELPAY_TIPS_MIN_FOLLOWERS=10).
    await enrol(
        session, star, people.staff, Program.TIPS, at=enrolled, settings=settings, optional=True
    )
    buyers = [*people.fans, people.creators["mia.dances"]]
    await _buy_coins(session, buyers, settings=settings, now=now, rng=rng)
    gifts = await _gifts(session, star, people.fans, settings=settings, now=now, rng=rng)
    sold = await _series(session, star, people.staff, people.fans, settings=settings, now=now)
    await _payouts(session, star, settings=settings, now=now)
    return {
        "coin purchases": len(buyers),
        "gifts": gifts,
        "audience accounts": AUDIENCE,
        "Series sales": sold,
    }


async def enrol(
    session: AsyncSession,
    creator: Account,
    staff: Account,
    program: Program,
    *,
    at: datetime,
    settings: Settings,
    optional: bool = False,
    premium_content_url: str | None = None,
) -> None:
    """Apply (accepting the program's current terms and confirming the age) and be approved at
    `at`. An optional program is left out only when the follower count alone is short; any
    other unmet criterion stops the seed."""
    rules = settings.rules
    if optional:
        unmet = (await programs.evaluate(session, creator, program, now=at, rules=rules)).unmet
        if [r.criterion for r in unmet] == [Criterion.FOLLOWERS]:
            return
    with step(f"{creator.handle} cannot join {PROGRAM_NAMES[program]} as the demo needs"):
        version = (await program_terms.current(session, program)).version
        application = await programs.apply(
            session, creator, program, premium_content_url=premium_content_url,
            accept_terms_version=version, confirm_age=True, now=at, rules=rules,
        )  # fmt: skip
        await programs.approve(session, staff, application.id, now=at)


async def _buy_coins(
    session: AsyncSession,
    buyers: list[Account],
    *,
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> None:
    packages = list(settings.coin_packages)
    largest = max(packages, key=lambda p: p.coins)
    # Enough for a few gifts each (the dearest demo gift costs 3 x 100 coins).
    affordable = [p for p in packages if p.coins >= 300] or [largest]
    for n, buyer in enumerate(buyers):
        if buyer.handle == "mia.dances":
            package = next((p for p in packages if p.coins == 3_500), largest)
        else:
            package = rng.choice(affordable)
        with step(f"{buyer.handle}'s coins"):
            await payments.record_purchase(
                session,
                buyer,
                payments.PurchaseRequest(package, sandbox.SUCCESS_TOKEN, f"demo-coins-{n}"),
                charge_id=f"ch_demo_{buyer.id}_{n}",
                provider="sandbox",
                now=days_ago(now, COINS_DAYS_AGO) - timedelta(minutes=n),
                settings=settings,
            )


async def _gifts(
    session: AsyncSession,
    star: Account,
    fans: list[Account],
    *,
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> int:
    """chef.leo is LIVE; eight fans joined and sent gifts; four sent gifts on his videos."""
    with step(f"{star.handle}'s LIVE"):
        live = await lives.start_live(
            session,
            star,
            "Sunday bread, live from my kitchen",
            now=now - timedelta(minutes=LIVE_MINUTES_AGO),
            rules=settings.rules,
        )
    catalog = [g for g in await gifting.gift_catalog(session) if g.coin_price <= 100]
    if not catalog:
        raise DemoError("the gift catalog has no gift of 100 coins or less")
    gifts = 0
    for n, fan in enumerate(rng.sample(fans, 8)):
        at = now - timedelta(minutes=LIVE_MINUTES_AGO - 5 - 3 * n)
        gift = rng.choice(catalog)
        with step(f"{fan.handle}'s gift on {star.handle}'s LIVE"):
            await lives.join_live(session, fan, live.id, now=at)
            await gifting.send_gift(
                session,
                fan,
                gifting.GiftRequest(
                    gift.id, rng.randint(1, 3), f"demo-live-gift-{n}", live_id=live.id
                ),
                now=at + timedelta(minutes=1),
                settings=settings,
            )
        gifts += 1
    star_videos = list(
        await session.scalars(
            sa.select(Video.id).where(Video.owner_id == star.id).order_by(Video.id)
        )
    )
    for n, (fan, video_id) in enumerate(zip(rng.sample(fans, 4), star_videos, strict=False)):
        with step(f"{fan.handle}'s gift on {star.handle}'s video"):
            await gifting.send_gift(
                session,
                fan,
                gifting.GiftRequest(catalog[0].id, 5, f"demo-video-gift-{n}", video_id=video_id),
                now=now - timedelta(hours=5, minutes=n),
                settings=settings,
            )
        gifts += 1
    return gifts


async def _series(
    session: AsyncSession,
    star: Account,
    staff: Account,
    fans: list[Account],
    *,
    settings: Settings,
    now: datetime,
) -> int:
    """chef.leo sells a Series (approved through the premium-content path: he has fewer than
    10,000 followers). Every fan bought it by card: most 9 days ago, so their refund windows
    have closed and his share is available to pay out; three recently, still pending."""
    rules = settings.rules
    window = timedelta(days=rules.series_refund_window_days)
    published = days_ago(now, SERIES_DAYS_AGO)
    if not timedelta(days=RECENT_SALES_DAYS_AGO + 1) <= window < now - published:
        raise DemoError(
            f"the demo's Series sales from {SERIES_DAYS_AGO} and {RECENT_SALES_DAYS_AGO} days "
            f"ago need a refund window of {RECENT_SALES_DAYS_AGO + 1} to {SERIES_DAYS_AGO - 1} "
            f"days; REELPAY_SERIES_REFUND_WINDOW_DAYS is {rules.series_refund_window_days}"
        )
    await enrol(
        session, star, staff, Program.SERIES, at=published, settings=settings,
        premium_content_url="https://chef-leo.example.com/masterclass",
    )  # fmt: skip
    with step(f"{star.handle}'s Series"):
        series = await series_service.create_series(
            session,
            star,
            series_service.SeriesFields(
                title="Five-ingredient dinners",
                description="A week of dinners from five ingredients each.",
                price_cents=SERIES_PRICE_CENTS,
            ),
            now=published,
            rules=rules,
        )
        for title, seconds in SERIES_EPISODES:
            await series_service.add_episode(
                session, star, series.id, title=title, duration_seconds=seconds,
                now=published, rules=rules,
            )  # fmt: skip
        await series_service.publish_series(session, star, series.id, now=published, rules=rules)
    with step(f"{star.handle}'s link to his Series from {SERIES_VIDEO!r}"):
        video_id = await session.scalar(
            sa.select(Video.id).where(Video.owner_id == star.id, Video.title == SERIES_VIDEO)
        )
        if video_id is None:
            raise DemoError(f"{star.handle} has no video {SERIES_VIDEO!r} to link his Series from")
        await series_links.link_video_series(session, star, video_id, series.id, now=published)
    for n, fan in enumerate(fans):
        recent = n < RECENT_BUYERS
        bought = (
            days_ago(now, RECENT_SALES_DAYS_AGO, hours=n)
            if recent
            else published + timedelta(minutes=n)
        )
        with step(f"{fan.handle}'s purchase of {star.handle}'s Series"):
            result = await series_sales.record_purchase(
                session,
                fan,
                series_sales.PurchaseRequest(
                    series.id, PaidWith.CARD, f"demo-series-{n}", sandbox.SUCCESS_TOKEN
                ),
                now=bought,
                settings=settings,
                charge_id=f"ch_demo_series_{fan.id}",
                provider="sandbox",
            )
        # What `reelpay jobs release-earnings` does once the refund window has closed.
        if not recent and not await series_sales.release_one(
            session, result["purchaseId"], now=now
        ):
            raise DemoError(f"{fan.handle}'s Series purchase could not be released")
    return len(fans)


async def _payouts(
    session: AsyncSession, star: Account, *, settings: Settings, now: datetime
) -> None:
    """He linked PayPal (the sandbox pays any ordinary address) when his Series went on sale,
    and yesterday chose weekly payouts on the weekday three days from today: no payout date
    has passed since, so the next one pays out his available Series earnings."""
    payday = now.date() + timedelta(days=PAYDAY_IN_DAYS)
    with step(f"{star.handle}'s payout method and schedule"):
        await payout_methods.add_method(
            session, star, destinations.paypal("chef.leo@paypal.example", ("email",)),
            make_default=True, now=days_ago(now, SERIES_DAYS_AGO), settings=settings,
        )  # fmt: skip
        await payouts.set_schedule(
            session, star, frequency=PayoutFrequency.WEEKLY, weekday=payday.isoweekday(),
            day_of_month=None, now=days_ago(now, 1),
        )  # fmt: skip
    forecast = await payouts.forecast(session, star, now=now, rules=settings.rules)
    if forecast.blockers:
        raise DemoError(
            f"{star.handle} would have no Series earnings to withdraw "
            f"({', '.join(b.value for b in forecast.blockers)}): check "
            "REELPAY_PAYOUT_THRESHOLD_CENTS and REELPAY_SERIES_CREATOR_SHARE_PERCENT"
        )


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
            "birth_date": born(at.date(), 36, 150),
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
