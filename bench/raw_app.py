"""The raw baseline: each bench scenario as a plain Starlette route over SQLAlchemy Core.

It takes the same request body as Reelpay's /graphql (it reads only `variables`), runs the SQL
Reelpay's semantics need (the same tables, conditions and ledger postings, without the
statements that only repeat a read) and answers the bytes Reelpay answers, serialised with
orjson. The engine is built by `reelpay.db.create_engine` from the same REELPAY_* settings, so
pool, SQLite pragmas and BEGIN IMMEDIATE for writes match; tables are the models' Core tables.
Business rules are checked as far as the bench data can hit them (no PRIVATE accounts, no
events for subscribers: nobody listens).

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
from reelpay.gifting.models import Gift, GiftSend, LiveStatus, LiveStream
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
    legs: list[tuple[LedgerAccountKind, int | None, int]],
    *,
    actor_id: int,
    memo: str,
    now: datetime,
    source: EarningsSource | None = None,
) -> tuple[int, dict[str, int]]:
    """One balanced ledger transaction of (kind, owner or None, amount) legs, as `ledger.post`
    writes it; (its id, {key: balance after} of the user accounts)."""
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
                        "owner_id": keyed[key][1],
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


def ledger_key(kind: LedgerAccountKind, owner: int | None = None) -> str:
    return f"platform:{kind.value}" if owner is None else f"user:{owner}:{kind.value}"


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


async def typename(_: AsyncEngine, __: Settings, ___: dict[str, Any], ____: Request) -> Any:
    return {"__typename": "Query"}


ROUTES: dict[str, Handler] = {
    "profile": profile,
    "accounts": accounts,
    "series": series_page,
    "gift": send_gift,
    "purchase": purchase_series,
    "typename": typename,
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
