"""Buying Series, staff refunds, ratings, and what a viewer bought.

A purchase credits the creator's share (70% by default) to their *pending* earnings, held
until the refund window closes; the rest is platform revenue. A refund reverses the whole
ledger transaction (coins back to the buyer, or the card money back out), so nothing is
created or lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.content.models import Follow
from reelpay.content.visibility import ContentAccess, content_access
from reelpay.db import upsert, write_once
from reelpay.enums import FollowStatus
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.events import Event
from reelpay.notifications import money as money_notices
from reelpay.pagination import Page, PageRequest, paginate
from reelpay.payments import charging
from reelpay.payments.models import Payment, PaymentPurpose, RefundedCharge
from reelpay.programs import monetization
from reelpay.programs.models import Program
from reelpay.series import access
from reelpay.series.models import (
    PaidWith,
    PurchaseStatus,
    Series,
    SeriesPurchase,
    SeriesRating,
    SeriesStatus,
)
from reelpay.settings import Rules, Settings
from reelpay.wallet import idempotency, ledger
from reelpay.wallet import service as wallet
from reelpay.wallet.models import EarningsSource, LedgerAccountKind, TransactionKind
from reelpay.wallet.rules import check_spender, coins_for_cents

PURCHASE = "purchaseSeries"
SERIES_FIELD = ("input", "seriesId")
PURCHASE_FIELD = ("input", "purchaseId")


def creator_share(price_cents: int, rules: Rules) -> int:
    return price_cents * rules.series_creator_share_percent // 100


def refundable_until(bought_at: datetime, rules: Rules) -> datetime:
    """The end of the UTC day `series_refund_window_days` after the purchase."""
    last_day = bought_at.date() + timedelta(days=rules.series_refund_window_days)
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=bought_at.tzinfo)


async def purchase_statuses(
    session: AsyncSession, buyer_id: int, series_ids: Sequence[int]
) -> dict[int, PurchaseStatus]:
    """The buyer's purchase of each Series: ACTIVE if any is, else REFUNDED, else missing."""
    rows = await session.execute(
        sa.select(SeriesPurchase.series_id, SeriesPurchase.status).where(
            SeriesPurchase.buyer_id == buyer_id, SeriesPurchase.series_id.in_(set(series_ids))
        )
    )
    found: dict[int, PurchaseStatus] = {}
    for series_id, status in rows.all():
        if found.get(series_id) is not PurchaseStatus.ACTIVE:
            found[series_id] = status
    return found


@dataclass(frozen=True)
class SeriesFacts:
    """A Series with what deciding about it for one viewer needs, read in one statement."""

    series: Series
    creator: Account
    follow: FollowStatus | None  # the viewer's follow of the creator
    purchase: PurchaseStatus | None  # the viewer's: ACTIVE if any is (`purchase_statuses`)
    # What the creator's Series enrolment lets in (None: not enrolled).
    creator_receiving: monetization.Receiving | None = None


async def series_facts(
    session: AsyncSession, viewer: Account | None, series_id: int
) -> SeriesFacts | None:
    """The Series, its creator, and the viewer's follow and purchases (None if no Series)."""
    # NULL when the creator is not enrolled in Series, else what the enrolment lets in.
    enrolled = monetization.receiving(Series.creator_id, Program.SERIES)
    follow: sa.ColumnElement[Any] = sa.null()
    bought: sa.ColumnElement[bool] = sa.false()
    owns: sa.ColumnElement[bool] = sa.false()
    if viewer is not None:
        follow = (
            sa.select(Follow.status)
            .where(Follow.follower_id == viewer.id, Follow.followee_id == Series.creator_id)
            .scalar_subquery()
        )
        purchases = sa.select(SeriesPurchase.id).where(
            SeriesPurchase.series_id == Series.id, SeriesPurchase.buyer_id == viewer.id
        )
        bought = purchases.exists()
        owns = purchases.where(SeriesPurchase.status == PurchaseStatus.ACTIVE).exists()
    row = (
        await session.execute(
            sa.select(Series, Account, follow, bought, owns, enrolled)
            .join(Account, Account.id == Series.creator_id)
            .where(Series.id == series_id)
        )
    ).one_or_none()
    if row is None:
        return None
    series, creator, status, has_bought, has_active, is_enrolled = row
    purchase = (
        PurchaseStatus.ACTIVE if has_active else PurchaseStatus.REFUNDED if has_bought else None
    )
    return SeriesFacts(
        series=series,
        creator=creator,
        follow=None if status is None else FollowStatus(status),
        purchase=purchase,
        creator_receiving=monetization.receiving_of(is_enrolled),
    )


def may_see(viewer: Account | None, facts: SeriesFacts) -> bool:
    """`access.can_see_series`, the creator's content access deciding when it does not."""
    visible = access.can_see_series(viewer, facts.series, facts.purchase)
    if visible is None:
        visible = content_access(viewer, facts.creator, facts.follow) is not ContentAccess.NONE
    return visible


async def _visible_facts(
    session: AsyncSession,
    viewer: Account | None,
    series_id: int,
    field: tuple[str, ...] = SERIES_FIELD,
) -> SeriesFacts:
    facts = await series_facts(session, viewer, series_id)
    if facts is None or not may_see(viewer, facts):
        raise NotFound("No such Series.", field=field)
    return facts


@dataclass(frozen=True)
class PurchaseRequest:
    series_id: int
    paid_with: PaidWith
    key: str
    payment_token: str | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        return {
            "seriesId": self.series_id,
            "paidWith": self.paid_with.value,
            "paymentToken": self.payment_token,
        }


async def check_purchase(
    session: AsyncSession,
    buyer: Account,
    request: PurchaseRequest,
    *,
    now: datetime,
    settings: Settings,
) -> Series:
    """Every rule of buying a Series; returns it."""
    facts = await _visible_facts(session, buyer, request.series_id)
    series = facts.series
    if series.creator_id == buyer.id:
        raise DomainError(
            "This is your own Series.", code=ErrorCode.CANNOT_PAY_SELF, field=SERIES_FIELD
        )
    if series.status is not SeriesStatus.PUBLISHED:
        raise DomainError(
            "This Series is not on sale.", code=ErrorCode.SERIES_NOT_PUBLISHED, field=SERIES_FIELD
        )
    if facts.purchase is PurchaseStatus.ACTIVE:
        raise DomainError(
            "You already own this Series.", code=ErrorCode.ALREADY_PURCHASED, field=SERIES_FIELD
        )
    # Enrolled, not suspended, its terms accepted and not paused (read along with the Series).
    monetization.check_receiving(
        facts.creator, Program.SERIES, facts.creator_receiving, today=now.date(),
        rules=settings.rules, refusal="This Series cannot be bought right now.",
        field=SERIES_FIELD,
    )  # fmt: skip
    check_spender(buyer.birth_date, buyer.country, now.date(), settings.rules)
    if request.paid_with is PaidWith.CARD and not request.payment_token:
        raise DomainError(
            "A card payment needs a `paymentToken`.",
            code=ErrorCode.PAYMENT_METHOD_REQUIRED,
            field=("input", "paymentToken"),
        )
    return series


async def prepare_purchase(
    session: AsyncSession,
    buyer: Account,
    request: PurchaseRequest,
    *,
    now: datetime,
    settings: Settings,
) -> tuple[dict[str, Any] | None, int]:
    """(the first result if this key already bought, the price to charge)."""
    idempotency.check_key(request.key, settings.rules.idempotency_key_max_length)
    replayed = await idempotency.replay(
        session,
        account_id=buyer.id,
        key=request.key,
        operation=PURCHASE,
        arguments=request.arguments,
    )
    if replayed is not None:
        return replayed, 0
    try:
        series = await check_purchase(session, buyer, request, now=now, settings=settings)
    except DomainError:
        # A concurrent request with this key may have just bought it (READ COMMITTED sees
        # its purchase but, a statement earlier, not its key): that is a replay, not a refusal.
        replayed = await idempotency.replay(
            session, account_id=buyer.id, key=request.key, operation=PURCHASE,
            arguments=request.arguments,
        )  # fmt: skip
        if replayed is not None:
            return replayed, 0
        raise
    return None, series.price_cents


async def record_purchase(
    session: AsyncSession,
    buyer: Account,
    request: PurchaseRequest,
    *,
    now: datetime,
    settings: Settings,
    charge_id: str | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    """Record a purchase paid with coins (moved here) or by a card charge already made."""
    result, _ = await _record_purchase(
        session, buyer, request, now=now, settings=settings, charge_id=charge_id,
        provider=provider,
    )  # fmt: skip
    return result


async def buy_series(
    session: AsyncSession,
    buyer: Account,
    request: PurchaseRequest,
    *,
    now: datetime,
    settings: Settings,
    charge_id: str | None = None,
    provider: str | None = None,
) -> tuple[SeriesPurchase, Series, wallet.Balances]:
    """`record_purchase`, returning the purchase, its Series and the buyer's balances after it
    (on a replay, the first request's purchase and the balances now)."""
    result, bought = await _record_purchase(
        session, buyer, request, now=now, settings=settings, charge_id=charge_id,
        provider=provider,
    )  # fmt: skip
    if bought is not None:
        return bought
    purchase = await session.get(SeriesPurchase, result["purchaseId"])
    assert purchase is not None  # the key's result names a committed row
    series = await session.get(Series, purchase.series_id)
    assert series is not None
    return purchase, series, (await wallet.balances(session, [buyer.id]))[buyer.id]


async def _record_purchase(
    session: AsyncSession,
    buyer: Account,
    request: PurchaseRequest,
    *,
    now: datetime,
    settings: Settings,
    charge_id: str | None = None,
    provider: str | None = None,
) -> tuple[dict[str, Any], tuple[SeriesPurchase, Series, wallet.Balances] | None]:
    """The result, and the purchase recorded, its Series and the buyer's balances after it
    (None on a replay)."""
    idempotency.check_key(request.key, settings.rules.idempotency_key_max_length)
    replayed = await idempotency.claim(
        session, account_id=buyer.id, key=request.key, operation=PURCHASE,
        arguments=request.arguments, now=now,
    )  # fmt: skip
    if replayed is not None:
        return replayed, None
    if charge_id is not None:
        await charging.ensure_not_refunded(session, charge_id)
    series = await check_purchase(session, buyer, request, now=now, settings=settings)
    rules = settings.rules
    price = series.price_cents
    share = creator_share(price, rules)
    pending = (ledger.user(series.creator_id, LedgerAccountKind.EARNINGS_PENDING), share)
    coins = None
    if request.paid_with is PaidWith.COINS:
        coins = coins_for_cents(price, rules)
        legs = [
            (ledger.user(buyer.id, LedgerAccountKind.COINS), -coins),
            (ledger.platform(LedgerAccountKind.COINS_SPENT), coins),
            (ledger.platform(LedgerAccountKind.CREATOR_PAYABLES), -share),
            pending,
        ]
    else:
        assert charge_id is not None
        legs = [
            (ledger.platform(LedgerAccountKind.PAYMENT_CLEARING), -price),
            (ledger.platform(LedgerAccountKind.SERIES_REVENUE), price - share),
            pending,
        ]
    async with ledger.posting(
        session,
        kind=TransactionKind.SERIES_PURCHASE,
        legs=legs,
        now=now,
        actor_id=buyer.id,
        earnings_source=EarningsSource.SERIES,
        memo=f"Series: {series.title}"[:200],
    ) as posted:
        # Written before the creator's pending earnings are locked (see `ledger.posting`):
        # every sale of this creator waits for that row until we commit.
        purchase = SeriesPurchase(
            series_id=series.id,
            buyer_id=buyer.id,
            price_cents=price,
            creator_share_cents=share,
            paid_with=request.paid_with,
            coins=coins,
            provider_charge_id=charge_id,
            status=PurchaseStatus.ACTIVE,
            ledger_transaction_id=posted.transaction.id,
            created_at=now,
            refundable_until=refundable_until(now, rules),
        )
        session.add(purchase)
        if charge_id is not None:
            # Every card charge we keep has a payments row (that is how a failed retry knows
            # not to refund it).
            session.add(
                Payment(
                    account_id=buyer.id,
                    purpose=PaymentPurpose.SERIES_PURCHASE,
                    provider=provider or "unknown",
                    provider_charge_id=charge_id,
                    amount_cents=price,
                    currency="USD",
                    ledger_transaction_id=posted.transaction.id,
                    created_at=now,
                )
            )
        await session.flush()  # a concurrent purchase loses on the one-active index, retried
        result = {"purchaseId": purchase.id}
        await idempotency.finish(session, account_id=buyer.id, key=request.key, result=result)
    await money_notices.sale_done(session, purchase, series, now=now)
    return result, (purchase, series, wallet.Balances.of(posted.balances_of(buyer.id)))


async def refund_purchase(
    session: AsyncSession, staff: Account, purchase_id: int, *, now: datetime
) -> SeriesPurchase:
    """Staff: revoke access and reverse the ledger, within the refund window."""
    accounts.require_staff(staff)
    purchase = await session.get(SeriesPurchase, purchase_id)
    if purchase is None:
        raise NotFound("No such purchase.", field=PURCHASE_FIELD)
    if now >= purchase.refundable_until:
        raise DomainError(
            "The refund window of this purchase has closed.",
            code=ErrorCode.REFUND_WINDOW_CLOSED,
            field=PURCHASE_FIELD,
        )
    refunded = await session.execute(
        sa.update(SeriesPurchase)
        .where(
            SeriesPurchase.id == purchase_id,
            SeriesPurchase.status == PurchaseStatus.ACTIVE,
            SeriesPurchase.released_at.is_(None),
        )
        .values(status=PurchaseStatus.REFUNDED, refunded_at=now, refunded_by_id=staff.id)
        .returning(SeriesPurchase.id)
        .execution_options(synchronize_session=False)
    )
    if refunded.scalar_one_or_none() is None:
        if purchase.released_at is not None:
            raise DomainError(
                "The refund window of this purchase has closed.",
                code=ErrorCode.REFUND_WINDOW_CLOSED,
                field=PURCHASE_FIELD,
            )
        raise DomainError(
            "This purchase was already refunded.",
            code=ErrorCode.PURCHASE_NOT_ACTIVE,
            field=PURCHASE_FIELD,
        )
    await ledger.reverse(
        session, purchase.ledger_transaction_id, now=now, actor_id=staff.id,
        memo=f"Refund of Series purchase {purchase.id}",
    )  # fmt: skip
    if purchase.provider_charge_id is not None:
        # Written with the reversal: the charge is owed back (the caller refunds it through
        # the provider after the commit) and can never be credited again.
        provider = await session.scalar(
            sa.select(Payment.provider).where(
                Payment.provider_charge_id == purchase.provider_charge_id
            )
        )
        session.add(
            RefundedCharge(
                provider_charge_id=purchase.provider_charge_id,
                account_id=purchase.buyer_id,
                provider=provider or "unknown",
                amount_cents=purchase.price_cents,
                currency="USD",
                reason=f"Series purchase {purchase.id} refunded by staff",
                created_at=now,
            )
        )
    await session.flush()
    await session.refresh(purchase)
    await money_notices.refund_done(session, purchase, now=now)
    return purchase


async def rate_series(
    session: AsyncSession, buyer: Account, series_id: int, stars: int, *, now: datetime
) -> SeriesRating:
    """Buyers rate 1 to 5, once per Series (rating again changes it)."""
    if not 1 <= stars <= 5:
        raise DomainError(
            "Rate from 1 to 5 stars.", code=ErrorCode.INVALID_RATING, field=("input", "stars")
        )
    facts = await _visible_facts(session, buyer, series_id)
    series = facts.series
    if facts.purchase is not PurchaseStatus.ACTIVE:
        raise DomainError(
            "Only buyers rate a Series.", code=ErrorCode.NOT_PURCHASED, field=SERIES_FIELD
        )
    stmt = upsert(session, SeriesRating).values(
        series_id=series.id, buyer_id=buyer.id, stars=stars, updated_at=now
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["series_id", "buyer_id"], set_={"stars": stars, "updated_at": now}
        )
    )
    rating = await session.get(SeriesRating, (series.id, buyer.id), populate_existing=True)
    assert rating is not None
    return rating


async def ratings(
    session: AsyncSession, series_ids: Sequence[int]
) -> dict[int, tuple[int, float | None]]:
    """Series id -> (count, average) of ratings by buyers whose purchase is still active."""
    active = sa.exists().where(
        SeriesPurchase.series_id == SeriesRating.series_id,
        SeriesPurchase.buyer_id == SeriesRating.buyer_id,
        SeriesPurchase.status == PurchaseStatus.ACTIVE,
    )
    rows = await session.execute(
        sa.select(SeriesRating.series_id, sa.func.count(), sa.func.avg(SeriesRating.stars))
        .where(SeriesRating.series_id.in_(set(series_ids)), active)
        .group_by(SeriesRating.series_id)
    )
    found = {sid: (int(n), float(avg)) for sid, n, avg in rows.all()}
    return {sid: found.get(sid, (0, None)) for sid in series_ids}


async def purchased(
    session: AsyncSession, buyer_id: int, request: PageRequest
) -> Page[SeriesPurchase]:
    """The buyer's active purchases, newest first ("Purchased content")."""
    stmt = sa.select(SeriesPurchase).where(
        SeriesPurchase.buyer_id == buyer_id, SeriesPurchase.status == PurchaseStatus.ACTIVE
    )
    return await paginate(session, stmt, [SeriesPurchase.id], request, descending=True)


async def purchased_count(session: AsyncSession, buyer_id: int) -> int:
    stmt = (
        sa.select(sa.func.count())
        .select_from(SeriesPurchase)
        .where(SeriesPurchase.buyer_id == buyer_id, SeriesPurchase.status == PurchaseStatus.ACTIVE)
    )
    return int(await session.scalar(stmt) or 0)


def _following(viewer_id: int) -> sa.Select[Any]:
    followed = sa.select(Follow.followee_id).where(
        Follow.follower_id == viewer_id, Follow.status == FollowStatus.ACCEPTED
    )
    return sa.select(Series).where(
        Series.status == SeriesStatus.PUBLISHED, Series.creator_id.in_(followed)
    )


async def from_following(
    session: AsyncSession, viewer_id: int, request: PageRequest
) -> Page[Series]:
    """Published Series of creators the viewer follows, newest first."""
    return await paginate(session, _following(viewer_id), [Series.id], request, descending=True)


async def from_following_count(session: AsyncSession, viewer_id: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(_following(viewer_id).subquery())
    return int(await session.scalar(stmt) or 0)


async def purchases_by_ids(session: AsyncSession, ids: list[int]) -> dict[int, SeriesPurchase]:
    rows = await session.scalars(sa.select(SeriesPurchase).where(SeriesPurchase.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def release_due(
    maker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    publish: Callable[[list[Event]], Awaitable[None]] | None = None,
) -> tuple[int, int]:
    """Move the creator's share of every purchase whose refund window has closed from pending
    to available earnings. One transaction per purchase; safe to run again and concurrently.
    Returns (purchases released, cents released)."""
    async with maker() as session:
        due = list(
            await session.scalars(
                sa.select(SeriesPurchase.id)
                .where(
                    SeriesPurchase.status == PurchaseStatus.ACTIVE,
                    SeriesPurchase.released_at.is_(None),
                    SeriesPurchase.refundable_until <= now,
                )
                .order_by(SeriesPurchase.id)
            )
        )
    released = cents = 0
    for purchase_id in due:
        amount = await write_once(
            maker, partial(release_one, purchase_id=purchase_id, now=now), publish
        )
        if amount:
            released += 1
            cents += amount
    return released, cents


async def release_one(session: AsyncSession, purchase_id: int, *, now: datetime) -> int:
    """Release one sale's share if its window has closed (0 if not due or already done)."""
    claimed = await session.execute(
        sa.update(SeriesPurchase)
        .where(
            SeriesPurchase.id == purchase_id,
            SeriesPurchase.status == PurchaseStatus.ACTIVE,
            SeriesPurchase.released_at.is_(None),
            SeriesPurchase.refundable_until <= now,
        )
        .values(released_at=now)
        .returning(SeriesPurchase.creator_share_cents, SeriesPurchase.series_id)
        .execution_options(synchronize_session=False)
    )
    row = claimed.one_or_none()
    if row is None:
        return 0  # released (or refunded) by someone else meanwhile
    share, series_id = row
    series = await session.get(Series, series_id)
    assert series is not None
    if share > 0:
        await ledger.post(
            session,
            kind=TransactionKind.EARNINGS_RELEASE,
            legs=[
                (ledger.user(series.creator_id, LedgerAccountKind.EARNINGS_PENDING), -share),
                (ledger.user(series.creator_id, LedgerAccountKind.EARNINGS), share),
            ],
            now=now,
            earnings_source=EarningsSource.SERIES,
            memo=f"Series sale {purchase_id}: refund window closed",
        )
    return int(share)
