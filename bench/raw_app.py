"""The raw baseline: each bench scenario as a plain Starlette route over SQLAlchemy Core.

It takes the same request body as Reelpay's /graphql (it reads only `variables`), runs the SQL
Reelpay's semantics need (the same tables, conditions and ledger postings, without the
statements that only repeat a read) and answers the bytes Reelpay answers, serialised with
orjson. The engine is built by `reelpay.db.create_engine` from the same REELPAY_* settings, so
pool, SQLite pragmas and BEGIN IMMEDIATE for writes match; tables are the models' Core tables.
Business rules are checked as far as the bench data can hit them (no PRIVATE accounts, no
events for subscribers: nobody listens; but `approveDeal` writes its notifications and live
events (outbox rows) as Reelpay does, so (h) and (i) compare the whole transaction).

    uvicorn bench.raw_app:create_app --factory ...
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
import sqlalchemy as sa
from bench.statements import STATS_PATH, count_statements
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelpay.accounts.models import Account, AuthSession
from reelpay.content.models import Follow, PinnedVideo, Video
from reelpay.db import WRITE_OPTION, create_engine
from reelpay.enums import AccountType, FollowStatus, Standing, Visibility
from reelpay.events.models import OutboxEvent
from reelpay.events.outbox import PG_WAKE_CHANNEL
from reelpay.gifting.models import Gift, GiftSend, LiveStatus, LiveStream
from reelpay.marketplace.models import (
    BrandProfile,
    Campaign,
    CampaignKind,
    CampaignStatus,
    CreatorCategory,
    Deal,
    DealStatus,
    TermsKind,
)
from reelpay.notifications.models import Notification, NotificationKind
from reelpay.programs.models import Enrolment, Program
from reelpay.series.models import (
    PaidWith,
    PurchaseStatus,
    Series,
    SeriesEpisode,
    SeriesPurchase,
    SeriesStatus,
)
from reelpay.settings import Settings
from reelpay.wallet.models import (
    ASSET_OF,
    EarningsSource,
    IdempotencyKey,
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)

A, F, V, P = Account.__table__, Follow.__table__, Video.__table__, PinnedVideo.__table__
LEDGER_ACCOUNTS, POSTINGS = LedgerAccount.__table__, LedgerPosting.__table__
C, D, BP = Campaign.__table__, Deal.__table__, BrandProfile.__table__
Handler = Callable[[AsyncEngine, Settings, dict[str, Any], Request], Awaitable[Any]]
# SQLite has one writer at a time: like `reelpay.db.run_write`, writers of this process queue
# here in order instead of polling SQLite's lock.
_sqlite_writers = asyncio.Lock()


class Refused(Exception):
    """A request the bench never sends on purpose (bad token, unknown ID, rule broken)."""


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def global_id(type_name: str, pk: int) -> str:
    return b64(f"{type_name}:{pk}")


def pk_of(value: str, type_name: str) -> int:
    name, _, pk = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode().partition(":")
    if name != type_name or not pk.isdigit():
        raise Refused(f"not a {type_name} ID")
    return int(pk)


def cursor(*values: Any) -> str:
    return b64(json.dumps(list(values), separators=(",", ":")))


def money(cents: int) -> dict[str, Any]:
    return {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD", "minorUnits": cents}


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused("no token")
    return token


async def viewer(conn: AsyncConnection, token: str, now: datetime) -> sa.Row[Any]:
    """The account of a live token (as `accounts.authenticate`)."""
    row = (
        await conn.execute(
            sa.select(A.c.id, A.c.birth_date, A.c.country)
            .join(AuthSession.__table__, AuthSession.account_id == A.c.id)
            .where(
                AuthSession.token_hash == hashlib.sha256(token.encode()).hexdigest(),
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
        )
    ).one_or_none()
    if row is None:
        raise Refused("unknown token")
    return row


# --- reads -------------------------------------------------------------------------------


async def profile(engine: AsyncEngine, _: Settings, variables: dict[str, Any], __: Request) -> Any:
    """`account(handle:)` with counts, pins and the first 20 videos, for an anonymous viewer."""
    handle = variables["handle"].strip().lstrip("@").lower()
    async with engine.connect() as conn:
        account = (
            await conn.execute(
                sa.select(
                    A.c.id, A.c.handle, A.c.display_name, A.c.bio, A.c.account_type, A.c.visibility
                ).where(A.c.handle_key == handle)
            )
        ).one_or_none()
        if account is None:
            return {"account": None}
        followers, following = (
            await conn.execute(
                sa.select(
                    follow_count(F.c.followee_id, account.id),
                    follow_count(F.c.follower_id, account.id),
                )
            )
        ).one()
        pins = []
        if account.account_type is AccountType.BUSINESS:
            pins = (
                await conn.execute(
                    sa.select(V.c.id, V.c.title, V.c.duration_seconds)
                    .join(P, P.c.video_id == V.c.id)
                    .where(P.c.account_id == account.id, V.c.deleted_at.is_(None))
                    .order_by(P.c.position)
                )
            ).all()
        videos = None
        if account.visibility is Visibility.PUBLIC:
            rows = (
                await conn.execute(
                    sa.select(
                        V.c.id, V.c.title, V.c.duration_seconds, V.c.view_count, V.c.published_at
                    )
                    .where(public_videos(account.id))
                    .order_by(V.c.published_at.desc(), V.c.id.desc())
                    .limit(21)
                )
            ).all()
            videos = video_page(rows, 20)
    return {
        "account": {
            "id": global_id("Account", account.id),
            "handle": account.handle,
            "displayName": account.display_name,
            "bio": account.bio,
            "followerCount": followers,
            "followingCount": following,
            "pinnedVideos": [
                {
                    "id": global_id("Video", v.id),
                    "title": v.title,
                    "durationSeconds": v.duration_seconds,
                }
                for v in pins
            ],
            "videos": videos,
        }
    }


def follow_count(column: sa.Column[Any], account_id: int) -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.count())
        .where(column == account_id, F.c.status == FollowStatus.ACCEPTED)
        .scalar_subquery()
    )


def public_videos(owner_id: Any) -> sa.ColumnElement[bool]:
    return sa.and_(
        V.c.owner_id == owner_id, V.c.deleted_at.is_(None), V.c.visibility == Visibility.PUBLIC
    )


def video_page(rows: list[sa.Row[Any]], first: int) -> dict[str, Any]:
    edges = [
        {
            "cursor": cursor(v.published_at.isoformat(), v.id),
            "node": {
                "id": global_id("Video", v.id),
                "title": v.title,
                "durationSeconds": v.duration_seconds,
                "viewCount": v.view_count,
                "publishedAt": v.published_at.isoformat(),
            },
        }
        for v in rows[:first]
    ]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": len(rows) > first,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


async def accounts(engine: AsyncEngine, _: Settings, __: dict[str, Any], ___: Request) -> Any:
    """`accounts(first: 100)`, oldest first, with each one's 10 newest videos (two queries)."""
    async with engine.connect() as conn:
        people = (
            await conn.execute(
                sa.select(A.c.id, A.c.handle, A.c.visibility).order_by(A.c.id).limit(100)
            )
        ).all()
        ids = [p.id for p in people if p.visibility is Visibility.PUBLIC]
        rank = (
            sa.func.row_number()
            .over(partition_by=V.c.owner_id, order_by=(V.c.published_at.desc(), V.c.id.desc()))
            .label("rank")
        )
        ranked = (
            sa.select(V.c.id, V.c.owner_id, V.c.title, rank)
            .where(V.c.owner_id.in_(ids), V.c.deleted_at.is_(None))
            .where(V.c.visibility == Visibility.PUBLIC)
            .subquery()
        )
        videos: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for v in await conn.execute(
            sa.select(ranked.c.id, ranked.c.owner_id, ranked.c.title)
            .where(ranked.c.rank <= 10)
            .order_by(ranked.c.owner_id, ranked.c.rank)
        ):
            videos[v.owner_id].append({"node": {"id": global_id("Video", v.id), "title": v.title}})
    return {
        "accounts": {
            "edges": [
                {
                    "node": {
                        "handle": p.handle,
                        "videos": {"edges": videos[p.id]} if p.id in videos else None,
                    }
                }
                for p in people
            ]
        }
    }


async def series_page(
    engine: AsyncEngine, settings: Settings, variables: dict[str, Any], request: Request
) -> Any:
    """A Series with its episodes and signed playback links, for a logged-in buyer."""
    series_id = pk_of(variables["id"], "Series")
    now = datetime.now(UTC)
    async with engine.connect() as conn:
        me = await viewer(conn, bearer(request), now)
        series = (
            await conn.execute(
                sa.select(
                    Series.id, Series.title, Series.description, Series.price_cents,
                    Series.status, Series.creator_id, A.c.visibility,
                )
                .join(A, A.c.id == Series.creator_id)
                .where(Series.id == series_id)
            )
        ).one_or_none()  # fmt: skip
        if series is None or series.status is SeriesStatus.DRAFT:
            return {"node": None}
        status = await conn.scalar(
            sa.select(SeriesPurchase.status)
            .where(SeriesPurchase.buyer_id == me.id, SeriesPurchase.series_id == series_id)
            .order_by(SeriesPurchase.status)  # ACTIVE sorts before REFUNDED
            .limit(1)
        )
        if status is None and series.visibility is not Visibility.PUBLIC:
            return {"node": None}
        episodes = (
            await conn.execute(
                sa.select(
                    SeriesEpisode.id, SeriesEpisode.position, SeriesEpisode.title,
                    SeriesEpisode.duration_seconds, SeriesEpisode.media_key,
                )
                .where(SeriesEpisode.series_id == series_id)
                .order_by(SeriesEpisode.position)
            )
        ).all()  # fmt: skip
    access = watch(me.id, series.creator_id, status)
    ttl = settings.rules.playback_url_ttl_seconds
    return {
        "node": {
            "id": global_id("Series", series.id),
            "title": series.title,
            "description": series.description,
            "price": money(series.price_cents),
            "episodeCount": len(episodes),
            "viewerAccess": access,
            "episodes": [
                {
                    "id": global_id("SeriesEpisode", e.id),
                    "position": e.position,
                    "title": e.title,
                    "durationSeconds": e.duration_seconds,
                    "playback": {
                        **access,
                        **playback(settings.secret_key, e.media_key, bearer(request), now, ttl),
                    }
                    if access["allowed"]
                    else {**access, "url": None, "expiresAt": None},
                }
                for e in episodes
            ],
        }
    }


def watch(viewer_id: int, creator_id: int, status: PurchaseStatus | None) -> dict[str, Any]:
    """`series.access.can_watch` as the GraphQL type shows it."""
    if viewer_id == creator_id:
        return {"allowed": True, "reason": "OWNER"}
    if status is PurchaseStatus.ACTIVE:
        return {"allowed": True, "reason": "PURCHASED"}
    if status is PurchaseStatus.REFUNDED:
        return {"allowed": False, "reason": "REFUNDED"}
    return {"allowed": False, "reason": "NOT_PURCHASED"}


def playback(secret: str, key: str, token: str, now: datetime, ttl: int) -> dict[str, Any]:
    """A link bound to the session of bearer `token`, as `series.access.playback_url` makes it."""
    expires_at = now + timedelta(seconds=ttl)
    expires = int(expires_at.timestamp())
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    message = f"playback\n{key}\n{token_hash}\n{expires}".encode()
    sig = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    query = urlencode({"expires": expires, "sig": sig})
    return {"url": f"/media/{key}?{query}", "expiresAt": expires_at.isoformat()}


# --- writes: one transaction each ----------------------------------------------------------


def fingerprint(operation: str, arguments: dict[str, Any]) -> str:
    canonical = json.dumps({"operation": operation, "arguments": arguments}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim_key(
    conn: AsyncConnection, account_id: int, key: str, operation: str, args: dict[str, Any]
) -> None:
    """Insert the idempotency key (a replay is not a bench case: refused)."""
    if not 1 <= len(key) <= 128:
        raise Refused("bad idempotency key")
    table = IdempotencyKey.__table__
    stmt = insert_for(conn, table).values(
        account_id=account_id,
        key=key,
        operation=operation,
        fingerprint=fingerprint(operation, args),
        result=None,
        created_at=datetime.now(UTC),
    )
    inserted = await conn.scalar(
        stmt.on_conflict_do_nothing(index_elements=["account_id", "key"]).returning(table.c.id)
    )
    if inserted is None:
        raise Refused("replayed idempotency key")


async def finish_key(conn: AsyncConnection, account_id: int, key: str, result: Any) -> None:
    table = IdempotencyKey.__table__
    await conn.execute(
        sa.update(table)
        .where(table.c.account_id == account_id, table.c.key == key)
        .values(result=result)
    )


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One write transaction (BEGIN IMMEDIATE on SQLite, where writers take turns)."""
    if engine.dialect.name == "sqlite":
        async with _sqlite_writers, engine.connect() as conn:
            await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                yield conn
        return
    async with engine.connect() as conn, conn.begin():
        yield conn


def insert_for(conn: AsyncConnection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def spender_ok(me: sa.Row[Any], today: date) -> bool:
    born: date = me.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age >= (19 if me.country == "KR" else 18)


def may_earn(creator: sa.Row[Any]) -> bool:
    """Enrolled and not suspended (`programs.earning_problems`, as far as the data goes)."""
    return (
        bool(creator.enrolled)
        and creator.standing not in (Standing.BANNED, Standing.RESTRICTED)
        and not creator.is_political
        and creator.visibility is Visibility.PUBLIC
    )


def enrolled(program: Program, account_id: Any) -> sa.Exists:
    return sa.exists().where(Enrolment.account_id == account_id, Enrolment.program == program)


async def post(
    conn: AsyncConnection,
    kind: TransactionKind,
    legs: list[tuple[LedgerAccountKind, int | Escrow | None, int]],
    *,
    actor_id: int,
    memo: str,
    now: datetime,
    source: EarningsSource | None = None,
) -> tuple[int, dict[str, int]]:
    """One balanced ledger transaction of (kind, owner, amount) legs, as `ledger.post` writes
    it; the owner is a user's id, an `Escrow` (a campaign's account) or None (the platform's).
    (Its id, {key: balance after} of the accounts that cache a balance.)"""
    keyed = {ledger_key(kind, owner): (kind, owner, amount) for kind, owner, amount in legs}
    keys = list(keyed)
    ids = await ledger_ids(conn, keys)
    missing = sorted(key for key in keys if key not in ids)
    if missing:  # first use of an account: created as `ledger.account_ids` does
        await conn.execute(
            insert_for(conn, LEDGER_ACCOUNTS)
            .values(
                [
                    {
                        "key": key,
                        "owner_id": owner_of(keyed[key][1]),
                        "campaign_id": campaign_of(keyed[key][1]),
                        "kind": keyed[key][0],
                        "asset": ASSET_OF[keyed[key][0]],
                        "balance": None if keyed[key][1] is None else 0,
                    }
                    for key in missing
                ]
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        ids = await ledger_ids(conn, keys)
    transaction_id = await conn.scalar(
        sa.insert(LedgerTransaction.__table__)
        .values(kind=kind, actor_id=actor_id, earnings_source=source, memo=memo, created_at=now)
        .returning(LedgerTransaction.__table__.c.id)
    )
    balances: dict[str, int] = {}
    postings = []
    for key in sorted(keys, key=ids.__getitem__):
        kind_of, owner, amount = keyed[key]
        after = None
        if owner is not None:
            after = await conn.scalar(
                sa.update(LEDGER_ACCOUNTS)
                .where(LEDGER_ACCOUNTS.c.id == ids[key], LEDGER_ACCOUNTS.c.balance + amount >= 0)
                .values(balance=LEDGER_ACCOUNTS.c.balance + amount)
                .returning(LEDGER_ACCOUNTS.c.balance)
            )
            if after is None:
                raise Refused("insufficient balance")
            balances[key] = after
        postings.append(
            {
                "transaction_id": transaction_id,
                "ledger_account_id": ids[key],
                "asset": ASSET_OF[kind_of],
                "amount": amount,
                "balance_after": after,
            }
        )
    await conn.execute(sa.insert(POSTINGS), postings)
    return transaction_id, balances


async def ledger_ids(conn: AsyncConnection, keys: list[str]) -> dict[str, int]:
    rows = await conn.execute(
        sa.select(LEDGER_ACCOUNTS.c.key, LEDGER_ACCOUNTS.c.id).where(
            LEDGER_ACCOUNTS.c.key.in_(keys)
        )
    )
    return {key: id_ for key, id_ in rows.all()}


@dataclass(frozen=True)
class Escrow:
    """Names a campaign's escrow account in `post`'s legs."""

    campaign_id: int


def ledger_key(kind: LedgerAccountKind, owner: int | Escrow | None = None) -> str:
    if isinstance(owner, Escrow):
        return f"campaign:{owner.campaign_id}:{kind.value}"
    return f"platform:{kind.value}" if owner is None else f"user:{owner}:{kind.value}"


def owner_of(owner: int | Escrow | None) -> int | None:
    return None if isinstance(owner, Escrow) else owner


def campaign_of(owner: int | Escrow | None) -> int | None:
    return owner.campaign_id if isinstance(owner, Escrow) else None


async def send_gift(
    engine: AsyncEngine, settings: Settings, variables: dict[str, Any], request: Request
) -> Any:
    """`sendGift` to a LIVE: key, gift, LIVE and creator checks, the ledger, the gift row."""
    data = variables["input"]
    gift_id, live_id = pk_of(data["giftId"], "Gift"), pk_of(data["liveId"], "LiveStream")
    quantity, key = data.get("quantity", 1), data["idempotencyKey"]
    token, now = bearer(request), datetime.now(UTC)
    async with write_transaction(engine) as conn:
        me = await viewer(conn, token, now)
        args = {"giftId": gift_id, "quantity": quantity, "liveId": live_id, "videoId": None}
        await claim_key(conn, me.id, key, "sendGift", args)
        if not spender_ok(me, now.date()) or not 1 <= quantity <= settings.rules.gift_max_quantity:
            raise Refused("spender or quantity")  # fmt: skip
        gift = (
            await conn.execute(
                sa.select(Gift.name, Gift.coin_price, Gift.is_active).where(Gift.id == gift_id)
            )
        ).one_or_none()
        live = (
            await conn.execute(
                sa.select(
                    LiveStream.creator_id, LiveStream.status, A.c.visibility, A.c.standing,
                    A.c.is_political, enrolled(Program.LIVE_GIFTS, A.c.id).label("enrolled"),
                )
                .join(A, A.c.id == LiveStream.creator_id)
                .where(LiveStream.id == live_id)
            )
        ).one_or_none()  # fmt: skip
        if gift is None or not gift.is_active or live is None:
            raise Refused("no such gift or LIVE")
        if live.status is not LiveStatus.LIVE or live.creator_id == me.id or not may_earn(live):
            raise Refused("LIVE ended, own LIVE or creator not eligible")
        coins = gift.coin_price * quantity
        diamonds = coins * settings.rules.gift_diamonds_per_coin
        transaction_id, balances = await post(
            conn,
            TransactionKind.GIFT,
            [
                (LedgerAccountKind.COINS, me.id, -coins),
                (LedgerAccountKind.COINS_SPENT, None, coins),
                (LedgerAccountKind.DIAMOND_ISSUANCE, None, -diamonds),
                (LedgerAccountKind.DIAMONDS, live.creator_id, diamonds),
            ],
            actor_id=me.id,
            memo=f"{quantity} x {gift.name}",
            now=now,
        )
        sent = await conn.scalar(
            sa.insert(GiftSend.__table__)
            .values(
                sender_id=me.id, creator_id=live.creator_id, gift_id=gift_id,
                quantity=quantity, coins=coins, diamonds=diamonds, live_id=live_id,
                video_id=None, ledger_transaction_id=transaction_id, created_at=now,
            )
            .returning(GiftSend.__table__.c.id)
        )  # fmt: skip
        await finish_key(conn, me.id, key, {"giftSendId": sent})
    return {
        "sendGift": {
            "gift": {"quantity": quantity, "coins": coins, "diamonds": diamonds},
            "wallet": {"coins": balances[ledger_key(LedgerAccountKind.COINS, me.id)]},
            "userErrors": [],
        }
    }


async def purchase_series(
    engine: AsyncEngine, settings: Settings, variables: dict[str, Any], request: Request
) -> Any:
    """`purchaseSeries` with coins: key, Series and creator checks, the ledger, the purchase."""
    data = variables["input"]
    series_id, key = pk_of(data["seriesId"], "Series"), data["idempotencyKey"]
    if data["paidWith"] != PaidWith.COINS.value:
        raise Refused("the bench buys with coins")
    token, now, rules = bearer(request), datetime.now(UTC), settings.rules
    async with write_transaction(engine) as conn:
        me = await viewer(conn, token, now)
        args = {"seriesId": series_id, "paidWith": "COINS", "paymentToken": None}
        await claim_key(conn, me.id, key, "purchaseSeries", args)
        owned = (
            sa.exists()
            .where(
                SeriesPurchase.series_id == Series.id,
                SeriesPurchase.buyer_id == me.id,
                SeriesPurchase.status == PurchaseStatus.ACTIVE,
            )
            .label("owned")
        )
        series = (
            await conn.execute(
                sa.select(
                    Series.title, Series.price_cents, Series.status, Series.creator_id,
                    A.c.visibility, A.c.standing, A.c.is_political, owned,
                    enrolled(Program.SERIES, A.c.id).label("enrolled"),
                )
                .join(A, A.c.id == Series.creator_id)
                .where(Series.id == series_id)
            )
        ).one_or_none()  # fmt: skip
        if series is None or series.status is not SeriesStatus.PUBLISHED or series.owned:
            raise Refused("not on sale or already owned")
        if series.creator_id == me.id or not may_earn(series) or not spender_ok(me, now.date()):
            raise Refused("own Series, creator not eligible or spender too young")
        price = series.price_cents
        share = price * rules.series_creator_share_percent // 100
        coins = -(-price * rules.base_rate_coins // rules.base_rate_cents)
        transaction_id, balances = await post(
            conn,
            TransactionKind.SERIES_PURCHASE,
            [
                (LedgerAccountKind.COINS, me.id, -coins),
                (LedgerAccountKind.COINS_SPENT, None, coins),
                (LedgerAccountKind.CREATOR_PAYABLES, None, -share),
                (LedgerAccountKind.EARNINGS_PENDING, series.creator_id, share),
            ],
            actor_id=me.id,
            memo=f"Series: {series.title}"[:200],
            now=now,
            source=EarningsSource.SERIES,
        )  # fmt: skip
        last_day = now.date() + timedelta(days=rules.series_refund_window_days + 1)
        purchase = await conn.scalar(
            sa.insert(SeriesPurchase.__table__)
            .values(
                series_id=series_id, buyer_id=me.id, price_cents=price,
                creator_share_cents=share, paid_with=PaidWith.COINS, coins=coins,
                provider_charge_id=None, status=PurchaseStatus.ACTIVE,
                ledger_transaction_id=transaction_id, created_at=now,
                refundable_until=datetime.combine(last_day, time.min, tzinfo=UTC),
            )
            .returning(SeriesPurchase.__table__.c.id)
        )  # fmt: skip
        await finish_key(conn, me.id, key, {"purchaseId": purchase})
    return {
        "purchaseSeries": {
            "purchase": {
                "id": global_id("SeriesPurchase", purchase),
                "coins": coins,
                "status": "ACTIVE",
                "price": {"amount": money(price)["amount"], "currency": "USD"},
            },
            "wallet": {"coins": balances[ledger_key(LedgerAccountKind.COINS, me.id)]},
            "userErrors": [],
        }
    }


# --- the Creator Marketplace ---------------------------------------------------------------


def json_list_any(column: Any, codes: list[str]) -> sa.ColumnElement[bool]:
    """The JSON list of codes in `column` is empty or names one of `codes` (its text matched,
    as `marketplace.browse` does)."""
    text = sa.cast(column, sa.Text)
    return sa.or_(text == "[]", *(text.contains(f'"{code}"') for code in codes))


def price(cents: int | None) -> dict[str, Any] | None:
    return None if cents is None else {"amount": money(cents)["amount"], "currency": "USD"}


async def campaigns(
    engine: AsyncEngine, settings: Settings, _: dict[str, Any], request: Request
) -> Any:
    """`campaigns(first: 20)` for a logged-in creator: DEAL campaigns taking applications
    (OPEN or IN_PROGRESS, not paused, before the deadline, a slot free) whose requirements the
    creator meets, most recently opened first, with brand, profile name, terms and slots."""
    now, size = datetime.now(UTC), settings.limits.default_page_size
    followers = (
        sa.select(sa.func.count())
        .where(F.c.followee_id == A.c.id, F.c.status == FollowStatus.ACCEPTED)
        .scalar_subquery()
    )
    taken = (
        sa.select(sa.func.count())
        .where(D.c.campaign_id == C.c.id, D.c.status != DealStatus.CANCELLED)
        .scalar_subquery()
    )
    token_hash = hashlib.sha256(bearer(request).encode()).hexdigest()
    async with engine.connect() as conn:
        me = (
            await conn.execute(
                sa.select(A.c.id, A.c.account_type, A.c.country, followers.label("followers"))
                .join(AuthSession.__table__, AuthSession.account_id == A.c.id)
                .where(
                    AuthSession.token_hash == token_hash,
                    AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > now,
                )
            )
        ).one_or_none()
        if me is None:
            raise Refused("unknown token")
        conditions = [
            C.c.status.in_([CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS]),
            C.c.kind == CampaignKind.DEAL,
            C.c.applications_paused.is_(False),
            C.c.application_deadline > now,
            taken < C.c.creator_slots,
        ]
        if me.account_type is not AccountType.BUSINESS:  # a creator: what they qualify for
            categories = list(
                await conn.scalars(
                    sa.select(CreatorCategory.category).where(CreatorCategory.account_id == me.id)
                )
            )
            conditions += [
                C.c.min_followers <= me.followers,
                json_list_any(C.c.countries, [me.country]),
                json_list_any(C.c.categories, [c.value for c in categories]),
            ]
        rows = (
            await conn.execute(
                sa.select(
                    C.c.id, C.c.title, C.c.category, C.c.terms_kind, C.c.flat_fee_cents,
                    C.c.application_deadline, C.c.creator_slots, C.c.opened_at, A.c.handle,
                    BP.c.name, taken.label("taken"),
                )
                .join(A, A.c.id == C.c.brand_id)
                .outerjoin(BP, BP.c.account_id == C.c.brand_id)
                .where(*conditions)
                .order_by(C.c.opened_at.desc(), C.c.id.desc())
                .limit(size + 1)
            )
        ).all()  # fmt: skip
    edges = [
        {
            "node": {
                "id": global_id("Campaign", c.id),
                "title": c.title,
                "brand": {"handle": c.handle},
                "brandProfile": None if c.name is None else {"name": c.name},
                "category": c.category.value,
                "terms": None
                if c.terms_kind is None
                else {"kind": c.terms_kind.value, "flatFee": price(c.flat_fee_cents)},
                "applicationDeadline": c.application_deadline.isoformat(),
                "creatorSlots": c.creator_slots,
                "slotsTaken": c.taken,
            }
        }
        for c in rows[:size]
    ]
    last = rows[min(len(rows), size) - 1] if rows else None
    return {
        "campaigns": {
            "edges": edges,
            "pageInfo": {
                "hasNextPage": len(rows) > size,
                "endCursor": None if last is None else cursor(last.opened_at.isoformat(), last.id),
            },
        }
    }


def quoted(title: str) -> str:
    """A campaign's title as its notifications quote it (`marketplace.notices.quoted`)."""
    return f'"{title if len(title) <= 60 else title[:57] + "..."}"'


def outbox_rows(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {"channel": channel, "payload": json.dumps(payload, separators=(",", ":"))}
        for channel, payload in events
    ]


async def approve_deal(
    engine: AsyncEngine, _: Settings, variables: dict[str, Any], request: Request
) -> Any:
    """`approveDeal` by the campaign's brand: the campaign's row locked first, the deal
    claimed SUBMITTED -> APPROVED by a conditional UPDATE, its fee paid from the reservation
    (FLAT_FEE releases the rest), the campaign's amounts, three notifications and the live
    events (outbox), in one transaction."""
    deal_id = pk_of(variables["input"]["dealId"], "Deal")
    token, now = bearer(request), datetime.now(UTC)
    async with write_transaction(engine) as conn:
        me = await viewer(conn, token, now)
        found = (
            await conn.execute(
                sa.select(C.c.id, C.c.brand_id, C.c.title, C.c.terms_kind, D.c.status)
                .join(D, D.c.campaign_id == C.c.id)
                .where(D.c.id == deal_id)
                .with_for_update(of=C)
            )
        ).one_or_none()
        if found is None or found.brand_id != me.id:
            raise Refused("no such deal, or not the brand's")
        if found.status is not DealStatus.SUBMITTED:
            raise Refused("the deal is not SUBMITTED")
        deal = (
            await conn.execute(
                sa.update(D)
                .where(D.c.id == deal_id, D.c.status == DealStatus.SUBMITTED)
                .values(
                    status=DealStatus.APPROVED, approved_at=now, ended_at=now, updated_at=now,
                    auto_approved=False, paid_cents=D.c.paid_cents + D.c.fee_cents,
                    reserved_cents=D.c.reserved_cents - D.c.fee_cents,
                )
                .returning(D.c.creator_id, D.c.fee_cents, D.c.reserved_cents, D.c.paid_cents)
            )
        ).one_or_none()  # fmt: skip
        if deal is None:
            raise Refused("the deal is not SUBMITTED")
        campaign_id, creator_id, fee = found.id, deal.creator_id, deal.fee_cents
        events: list[tuple[str, dict[str, Any]]] = []
        if fee > 0:
            transaction_id, balances = await post(
                conn,
                TransactionKind.CAMPAIGN_PAYMENT,
                [
                    (LedgerAccountKind.ESCROW_RESERVED, Escrow(campaign_id), -fee),
                    (LedgerAccountKind.EARNINGS, creator_id, fee),
                ],
                actor_id=me.id,
                memo=f"Campaign {campaign_id}: deal {deal_id} approved",
                now=now,
                source=EarningsSource.MARKETPLACE,
            )
            wallet = {
                "transactionId": transaction_id, "kind": TransactionKind.CAMPAIGN_PAYMENT.value,
                "asset": "USD", "amount": fee,
                "balanceAfter": balances[ledger_key(LedgerAccountKind.EARNINGS, creator_id)],
            }  # fmt: skip
            events.append((f"wallet:{creator_id}", wallet))
        reserved = deal.reserved_cents
        rest = reserved if found.terms_kind is TermsKind.FLAT_FEE else 0
        if rest > 0:  # not in the bench's data: a FLAT_FEE reservation is the fee
            await post(
                conn,
                TransactionKind.CAMPAIGN_RELEASE,
                [
                    (LedgerAccountKind.ESCROW_RESERVED, Escrow(campaign_id), -rest),
                    (LedgerAccountKind.ESCROW, Escrow(campaign_id), rest),
                ],
                actor_id=me.id,
                memo=f"Campaign {campaign_id}: deal {deal_id} approved, rest",
                now=now,
            )
            reserved = await conn.scalar(
                sa.update(D)
                .where(D.c.id == deal_id)
                .values(reserved_cents=D.c.reserved_cents - rest)
                .returning(D.c.reserved_cents)
            )
        await conn.execute(
            sa.update(C)
            .where(C.c.id == campaign_id)
            .values(paid_cents=C.c.paid_cents + fee, reserved_cents=C.c.reserved_cents - fee - rest)
        )
        title = quoted(found.title)
        about = {"campaignId": campaign_id, "dealId": deal_id, "proposalId": None}
        approved = {
            "kind": NotificationKind.DEAL_APPROVED, "title": "Deal approved",
            "body": f"The videos for {title} were approved by the brand.",
            "data": {**about, "auto": False}, "created_at": now, "updated_at": now,
        }  # fmt: skip
        told = [{**approved, "account_id": me.id}, {**approved, "account_id": creator_id}]
        if fee > 0:
            told.append(
                {
                    "account_id": creator_id, "kind": NotificationKind.MARKETPLACE_PAYMENT,
                    "title": "Campaign payment",
                    "body": f"{fee // 100}.{fee % 100:02d} USD from {title} reached your "
                    "earnings (deal approved).",
                    "data": {**about, "cents": fee}, "created_at": now, "updated_at": now,
                }
            )  # fmt: skip
        await conn.execute(sa.insert(Notification.__table__), told)
        announced = {"campaignId": campaign_id, "dealId": deal_id, "event": "DEAL_APPROVED"}
        events += [(f"marketplace:{me.id}", announced), (f"marketplace:{creator_id}", announced)]
        outbox = sa.insert(OutboxEvent.__table__).values(outbox_rows(events))
        if conn.dialect.name == "postgresql":  # wakes the API processes at COMMIT
            (await conn.execute(outbox.returning(sa.func.pg_notify(PG_WAKE_CHANNEL, "")))).all()
        else:
            await conn.execute(outbox)
    return {
        "approveDeal": {
            "deal": {
                "id": global_id("Deal", deal_id),
                "status": "APPROVED",
                "fee": price(fee),
                "paid": price(deal.paid_cents),
                "reserved": price(reserved),
            },
            "userErrors": [],
        }
    }


async def typename(_: AsyncEngine, __: Settings, ___: dict[str, Any], ____: Request) -> Any:
    return {"__typename": "Query"}


ROUTES: dict[str, Handler] = {
    "profile": profile,
    "accounts": accounts,
    "series": series_page,
    "gift": send_gift,
    "purchase": purchase_series,
    "typename": typename,
    "campaigns": campaigns,
    "approve": approve_deal,
    "approve_hot": approve_deal,
}


def endpoint(handler: Handler, engine: AsyncEngine, settings: Settings) -> Callable[..., Any]:
    async def serve(request: Request) -> Response:
        body = orjson.loads(await request.body())
        try:
            data = await handler(engine, settings, body.get("variables") or {}, request)
        except Refused as problem:
            return Response(
                orjson.dumps({"error": str(problem)}), 400, media_type="application/json"
            )
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    return serve


def create_app() -> Starlette:
    """The raw routes, POST /raw/<scenario>, on an engine configured like Reelpay's."""
    settings = Settings.from_env()
    engine = create_engine(settings.database_url, limits=settings.limits, pool_pre_ping=True)
    counter = count_statements(engine)
    routes = [
        Route(f"/raw/{name}", endpoint(handler, engine, settings), methods=["POST"])
        for name, handler in ROUTES.items()
    ]
    routes.append(Route(STATS_PATH, counter.endpoint))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    return Starlette(routes=routes, lifespan=lifespan)
