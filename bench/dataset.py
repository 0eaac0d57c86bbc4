"""The benchmark's data set: bulk SQL inserts for the bulk, Reelpay's services for the money.

Run after `reelpay migrate` on an empty database:

    .venv/bin/python bench/dataset.py --url sqlite+aiosqlite:///bench.db --scale 0.1 \
        --manifest /tmp/manifest.json

At scale 1: 2,000 creators (BUSINESS, public, 3 pinned videos each) with 50 videos each
(100,000), 7 days of daily views per video (700,000 rows), 200,000 follows, and 2,000 fans who
each bought 14,000 coins through the sandbox purchase path (`payments.record_purchase`) and
hold a login token. One star creator (followed by every fan, so past the LIVE gifts threshold)
is enrolled in LIVE gifts and Series through `programs.apply`/`approve`, is LIVE, sells a
10-episode Series that the first fans bought with coins (the "Series page" scenario), and
`SALE_SERIES` one-episode Series at the minimum price that nobody owns yet (the "purchase"
scenario: each request buys a new (fan, Series) pair). Ledger rows are written by the ledger
only, so `reelpay ledger verify` holds. Everything is ASCII, so Python's `json.dumps` and orjson
write the same bytes. The Creator Marketplace's part (brands, marketplace creators, campaigns to
browse and SUBMITTED deals to approve) is bench/marketplace.py's. The manifest (JSON) tells the
runner the IDs and tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from reelpay.accounts import tokens
from reelpay.accounts.models import Account, AuthSession
from reelpay.content.models import Follow, PinnedVideo, Video, VideoDailyViews
from reelpay.db import create_engine, create_sessionmaker, run_write
from reelpay.enums import AccountType, FollowStatus, Role, Standing, Visibility
from reelpay.gifting import live as lives
from reelpay.gifting.models import Gift
from reelpay.graphql.relay import encode_id
from reelpay.payments import sandbox
from reelpay.payments import service as payments
from reelpay.programs import service as programs
from reelpay.programs import terms as program_terms
from reelpay.programs.models import Program
from reelpay.series import purchases as series_sales
from reelpay.series import service as series_service
from reelpay.series.models import PaidWith
from reelpay.settings import CoinPackage, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too

from bench import marketplace

CREATORS = 2_000
VIDEOS_PER_CREATOR = 50
VIEW_DAYS = 7
FOLLOWS = 200_000
FANS = 2_000
AUDIENCE = 1_000  # followers of the star only: LIVE gifts need 1,000 followers at any scale
PAGE_EPISODES = 10
PAGE_BUYERS = 200  # fans who own the 10-episode Series (the Series page scenario)
SALE_SERIES = 100  # capacity of the purchase scenario: fans x SALE_SERIES purchases
COIN_PACKAGE = CoinPackage(14_000, 19_999)  # one purchase per fan: enough for the whole run
CHUNK = 10_000
STAR = "star"
PASSWORD_HASH = "!"  # matches no password: bench accounts log in with tokens only


@dataclass
class Manifest:
    """What the scenarios need: handles, global IDs and tokens."""

    scale: float
    creators: int  # handles creator00000 .. creator{n-1:05d}
    star_handle: str
    live_id: str
    gift_id: str
    page_series_id: str
    sale_series_ids: list[str]
    fan_tokens: list[str]  # every fan; the first `page_buyers` own the page Series
    page_buyers: int
    fan_ids: list[int]
    counts: dict[str, int]
    # Tokens and IDs of the marketplace scenarios (see bench/marketplace.py `generate`).
    marketplace: dict[str, Any]


def scaled(n: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(n * scale))


def account_row(handle: str, *, at: datetime, business: bool, role: Role = Role.USER) -> dict:
    """An adult, public, US account in good standing that cannot log in with a password."""
    return {
        "email": f"{handle}@bench.reelpay.dev",
        "password_hash": PASSWORD_HASH,
        "handle": handle,
        "handle_key": handle,
        "display_name": handle.replace(".", " ").title(),
        "bio": f"Bench account {handle}",
        "avatar_url": None,
        "birth_date": date(1990, 1, 1),
        "country": "US",
        "visibility": Visibility.PUBLIC,
        "account_type": AccountType.BUSINESS if business else AccountType.PERSONAL,
        "role": role,
        "standing": Standing.GOOD,
        "is_political": False,
        "contact_email": None,
        "website_url": None,
        "created_at": at,
    }


async def insert_rows(conn: AsyncConnection, table: Any, rows: Iterable[dict]) -> int:
    """Insert in chunks (executemany); returns how many rows."""
    batch: list[dict] = []
    total = 0
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            await conn.execute(sa.insert(table), batch)
            total += len(batch)
            batch = []
    if batch:
        await conn.execute(sa.insert(table), batch)
        total += len(batch)
    return total


async def ids_by_handle(conn: AsyncConnection, prefix: str) -> list[int]:
    rows = await conn.execute(
        sa.select(Account.id).where(Account.handle.like(f"{prefix}%")).order_by(Account.id)
    )
    return list(rows.scalars())


async def bulk(
    conn: AsyncConnection, scale: float, now: datetime, rng: random.Random
) -> tuple[dict[str, int], list[str]]:
    """Accounts, videos, daily views, pins, follows and fans' tokens; (counts, fan tokens)."""
    creators, fans = scaled(CREATORS, scale, 10), scaled(FANS, scale, 50)
    joined = now - timedelta(days=400)
    await insert_rows(
        conn,
        Account,
        [
            account_row("staff", at=joined, business=False, role=Role.STAFF),
            account_row(STAR, at=joined, business=True),
            *(account_row(f"creator{i:05d}", at=joined, business=True) for i in range(creators)),
            *(account_row(f"fan{i:05d}", at=joined, business=False) for i in range(fans)),
            *(account_row(f"aud{i:05d}", at=joined, business=False) for i in range(AUDIENCE)),
        ],
    )
    star_id = (await ids_by_handle(conn, STAR))[0]
    creator_ids = [star_id, *await ids_by_handle(conn, "creator")]
    fan_ids = await ids_by_handle(conn, "fan")
    audience = await ids_by_handle(conn, "aud")
    await insert_rows(conn, Video, video_rows(creator_ids, now, rng))
    days = [now.date() - timedelta(days=d) for d in range(1, VIEW_DAYS + 1)]
    views = await daily_views(conn, days)
    pins = await pin_videos(conn)
    follows = await insert_rows(
        conn, Follow, follow_rows(creator_ids, fan_ids, audience, scale, now, rng)
    )
    fan_tokens = [tokens.new_token() for _ in fan_ids]
    await insert_rows(
        conn,
        AuthSession,
        (
            {
                "account_id": fan_id,
                "token_hash": tokens.hash_token(token),
                "created_at": now,
                "expires_at": now + timedelta(days=7),
                "revoked_at": None,
            }
            for fan_id, token in zip(fan_ids, fan_tokens, strict=True)
        ),
    )
    counts = {
        "creators": len(creator_ids),
        "fans": len(fan_ids),
        "audience (followers of the star only)": len(audience),
        "videos": len(creator_ids) * VIDEOS_PER_CREATOR,
        "daily view rows": views,
        "pinned videos": pins,
        "follows": follows,
    }
    return counts, fan_tokens


def video_rows(creator_ids: Sequence[int], now: datetime, rng: random.Random) -> Iterable[dict]:
    """50 public videos per creator, one every ~2 days back from now (the newest minutes old)."""
    for owner in creator_ids:
        for n in range(VIDEOS_PER_CREATOR):
            published = now - timedelta(days=2 * n, minutes=rng.randint(5, 600))
            yield {
                "owner_id": owner,
                "title": f"Video {n} of creator {owner}",
                "description": "A bench video.",
                "duration_seconds": rng.randint(5, 600),
                "visibility": Visibility.PUBLIC,
                "is_original": True,
                "published_at": published,
                "updated_at": published,
                "deleted_at": None,
                "view_count": rng.randint(0, 100_000),
            }


async def daily_views(conn: AsyncConnection, days: Sequence[date]) -> int:
    """One row per video and day, in one INSERT ... SELECT per day."""
    total = 0
    for n, day in enumerate(days):
        result = await conn.execute(
            sa.insert(VideoDailyViews).from_select(
                ["video_id", "day", "views"],
                sa.select(
                    Video.id,
                    sa.literal(day, sa.Date),
                    (Video.id * 7 + n * 13) % 500 + 1,
                ),
            )
        )
        total += result.rowcount
    return total


async def pin_videos(conn: AsyncConnection) -> int:
    """Each creator pins their three oldest videos."""
    oldest = (
        sa.select(
            Video.owner_id,
            Video.id,
            sa.func.row_number()
            .over(partition_by=Video.owner_id, order_by=(Video.published_at, Video.id))
            .label("position"),
        )
    ).subquery()
    result = await conn.execute(
        sa.insert(PinnedVideo).from_select(
            ["account_id", "video_id", "position"],
            sa.select(oldest.c.owner_id, oldest.c.id, oldest.c.position).where(
                oldest.c.position <= 3
            ),
        )
    )
    return result.rowcount


def follow_rows(
    creator_ids: Sequence[int],
    fan_ids: Sequence[int],
    audience: Sequence[int],
    scale: float,
    now: datetime,
    rng: random.Random,
) -> Iterable[dict]:
    """Every fan and the audience follow the star; the rest are random (follower, creator)."""
    star, *_ = creator_ids
    everyone = [*creator_ids, *fan_ids]
    pairs = {(follower, star) for follower in [*fan_ids, *audience]}
    target = max(scaled(FOLLOWS, scale), len(pairs))
    while len(pairs) < target:
        follower, followee = rng.choice(everyone), rng.choice(creator_ids)
        if follower != followee:
            pairs.add((follower, followee))
    for follower, followee in sorted(pairs):
        at = now - timedelta(days=rng.randint(31, 300))
        yield {
            "follower_id": follower,
            "followee_id": followee,
            "status": FollowStatus.ACCEPTED,
            "created_at": at,
            "accepted_at": at,
        }


@dataclass
class Money:
    live_id: int
    page_series_id: int
    sale_series_ids: list[int]


async def money(
    session: AsyncSession, fan_ids: Sequence[int], settings: Settings, now: datetime
) -> Money:
    """Through the services: programs, the LIVE, the Series, coins and the page's buyers."""
    rules = settings.rules
    staff = await by_handle(session, "staff")
    star = await by_handle(session, STAR)
    for program in (Program.LIVE_GIFTS, Program.SERIES):
        link = "https://star.example.com/course" if program is Program.SERIES else None
        terms = await program_terms.current(session, program)
        application = await programs.apply(
            session, star, program, premium_content_url=link,
            accept_terms_version=terms.version, confirm_age=True, now=now, rules=rules,
        )  # fmt: skip
        await programs.approve(session, staff, application.id, now=now)
    live = await lives.start_live(session, star, "Bench LIVE", now=now, rules=rules)
    page = await new_series(session, star, "The bench Series", 999, PAGE_EPISODES, now, settings)
    sale = [
        await new_series(session, star, f"Sale Series {n}", 99, 1, now, settings)
        for n in range(SALE_SERIES)
    ]
    for fan_id in fan_ids:
        fan = await session.get(Account, fan_id)
        assert fan is not None
        await payments.record_purchase(
            session,
            fan,
            payments.PurchaseRequest(COIN_PACKAGE, sandbox.SUCCESS_TOKEN, "bench-coins"),
            charge_id=f"ch_bench_{fan_id}",
            provider="sandbox",
            now=now,
            settings=settings,
        )
    for fan_id in fan_ids[:PAGE_BUYERS]:
        fan = await session.get(Account, fan_id)
        assert fan is not None
        await series_sales.record_purchase(
            session,
            fan,
            series_sales.PurchaseRequest(page, PaidWith.COINS, "bench-page-series"),
            now=now,
            settings=settings,
        )
    return Money(live.id, page, sale)


async def by_handle(session: AsyncSession, handle: str) -> Account:
    account = await session.scalar(sa.select(Account).where(Account.handle_key == handle))
    assert account is not None, handle
    return account


async def new_series(
    session: AsyncSession,
    creator: Account,
    title: str,
    price_cents: int,
    episodes: int,
    now: datetime,
    settings: Settings,
) -> int:
    """A published Series with `episodes` episodes; its id."""
    rules = settings.rules
    series = await series_service.create_series(
        session,
        creator,
        series_service.SeriesFields(title=title, description="Bench.", price_cents=price_cents),
        now=now,
        rules=rules,
    )
    for n in range(episodes):
        await series_service.add_episode(
            session, creator, series.id, title=f"Episode {n + 1}", duration_seconds=60 + n,
            now=now, rules=rules,
        )  # fmt: skip
    await series_service.publish_series(session, creator, series.id, now=now, rules=rules)
    return series.id


async def settle(engine: AsyncEngine) -> None:
    """Leave the database as a running one is: planner statistics gathered and, on
    PostgreSQL, the visibility map set (autovacuum's work), so index-only scans skip the heap.
    A bulk load measured straight away makes every count read heap pages a live server would
    not, and the timings say more about the load than about either contender."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE")
    else:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")


async def generate(
    url: str,
    scale: float,
    seed: int = 1,
    deal_pools: Sequence[str] = marketplace.APPROVE_SCENARIOS,
) -> Manifest:
    """Fill a freshly migrated database (the SUBMITTED deals of the `deal_pools` scenarios
    only); the manifest of what it holds."""
    settings = Settings(database_url=url)
    engine = create_engine(url, limits=settings.limits)
    now = datetime.now(UTC)
    rng = random.Random(seed)
    try:
        async with engine.begin() as conn:
            counts, fan_tokens = await bulk(conn, scale, now, rng)
            fan_ids = await ids_by_handle(conn, "fan")
            gift_id = await conn.scalar(sa.select(Gift.id).order_by(Gift.coin_price, Gift.id))
        async with create_sessionmaker(engine)() as session:
            made = await run_write(session, lambda: money(session, fan_ids, settings, now))
        market, market_counts = await marketplace.generate(
            engine, account_row, fan_ids, scale, now, rng, deal_pools
        )
        await settle(engine)
    finally:
        await engine.dispose()
    assert gift_id is not None
    counts["coin purchases (14,000 coins each)"] = len(fan_ids)
    counts["page Series buyers"] = min(PAGE_BUYERS, len(fan_ids))
    counts["sale Series"] = SALE_SERIES
    counts.update(market_counts)
    return Manifest(
        scale=scale,
        creators=counts["creators"] - 1,
        star_handle=STAR,
        live_id=encode_id("LiveStream", made.live_id),
        gift_id=encode_id("Gift", gift_id),
        page_series_id=encode_id("Series", made.page_series_id),
        sale_series_ids=[encode_id("Series", i) for i in made.sale_series_ids],
        fan_tokens=fan_tokens,
        page_buyers=min(PAGE_BUYERS, len(fan_ids)),
        fan_ids=fan_ids,
        counts=counts,
        marketplace=market,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a migrated, empty database")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--manifest", required=True, help="where to write the manifest (JSON)")
    parser.add_argument(
        "--deal-pools",
        nargs="*",
        choices=marketplace.APPROVE_SCENARIOS,
        default=list(marketplace.APPROVE_SCENARIOS),
        help="the approveDeal scenarios to make SUBMITTED deals for (most of the time it takes)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    manifest = asyncio.run(generate(args.url, args.scale, deal_pools=args.deal_pools))
    with open(args.manifest, "w") as out:
        json.dump(asdict(manifest), out)
    print(f"data set generated in {time.perf_counter() - started:.1f} s: {manifest.counts}")


if __name__ == "__main__":
    main()
