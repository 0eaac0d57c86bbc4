"""What people are told about their money: refunds to fans; tips, gifts, Series sales and
Creator Rewards to creators. Written in the transaction that moves the money, so a refused
or rolled-back operation tells no one. Tips, gifts and sales are batched per subject and UTC
day (gifts on a LIVE per LIVE): one "12 gifts on your video today" rather than twelve."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.content.models import Video
from reelpay.gifting.models import GiftSend, LiveStream, Tip
from reelpay.notifications import service
from reelpay.notifications.models import NotificationKind
from reelpay.notifications.templates import Plural, Slot, Title, usd
from reelpay.series.models import Series, SeriesPurchase

# Titles of videos, LIVEs and Series are cut to this many characters in a body.
SUBJECT_MAX = 100


def _quoted(title: str) -> str:
    title = title if len(title) <= SUBJECT_MAX else title[: SUBJECT_MAX - 3] + "..."
    return f'"{title}"'


def _key(kind: NotificationKind, *parts: object) -> str:
    return ":".join([kind.value, *(str(p) for p in parts)])


async def gifts_on_video(
    session: AsyncSession,
    creator_id: int,
    *,
    video_id: int,
    gifts: int,
    diamonds: int,
    now: datetime,
) -> None:
    """Gifts (a quantity) worth `diamonds` were sent on the creator's video."""
    day = now.date()
    await service.notify_batched(
        session, creator_id, NotificationKind.GIFTS_RECEIVED,
        batch_key=_key(NotificationKind.GIFTS_RECEIVED, "video", video_id, day),
        title="Gifts on your video",
        body=(Slot.COUNT, Plural(" gift", " gifts"), " on ",
              Title(Video.title, Video.id, video_id, SUBJECT_MAX), " today (UTC): ", Slot.TOTAL,
              Plural(" diamond.", " diamonds.", of_total=True)),
        data={"videoId": video_id, "day": day.isoformat()},
        count=gifts, total=diamonds, now=now,
    )  # fmt: skip


async def gifts_on_live(
    session: AsyncSession,
    creator_id: int,
    *,
    live_id: int,
    gifts: int,
    diamonds: int,
    now: datetime,
) -> None:
    """Gifts worth `diamonds` were sent during the creator's LIVE (one batch per LIVE)."""
    await service.notify_batched(
        session, creator_id, NotificationKind.GIFTS_RECEIVED,
        batch_key=_key(NotificationKind.GIFTS_RECEIVED, "live", live_id),
        title="Gifts on your LIVE",
        body=(Slot.COUNT, Plural(" gift", " gifts"), " during ",
              Title(LiveStream.title, LiveStream.id, live_id, SUBJECT_MAX),
              ": ", Slot.TOTAL, Plural(" diamond.", " diamonds.", of_total=True)),
        data={"liveId": live_id},
        count=gifts, total=diamonds, now=now,
    )  # fmt: skip


async def tip_received(
    session: AsyncSession,
    creator_id: int,
    *,
    tip_id: int,
    cents: int,
    tipper_handle: str | None,
    now: datetime,
) -> None:
    """A tip of `cents`; `tipper_handle` is None for an anonymous tip, which names no one
    (neither in the text nor in the data)."""
    day = now.date()
    sender = f"@{tipper_handle}" if tipper_handle is not None else "someone who tipped anonymously"
    await service.notify_batched(
        session, creator_id, NotificationKind.TIP_RECEIVED,
        batch_key=_key(NotificationKind.TIP_RECEIVED, day),
        title="Tips received",
        body=(Slot.COUNT, Plural(" tip", " tips"), " today (UTC), ", Slot.USD,
              f" in all. Latest: {usd(cents)} from {sender}."),
        data={"day": day.isoformat(), "latestTipId": tip_id},
        count=1, total=cents, now=now,
    )  # fmt: skip


async def series_sold(
    session: AsyncSession,
    creator_id: int,
    *,
    series_id: int,
    series_title: str,
    share_cents: int,
    now: datetime,
) -> None:
    """A sale of the creator's Series; buyers are not named (a purchase is the fan's)."""
    day = now.date()
    await service.notify_batched(
        session, creator_id, NotificationKind.SERIES_SOLD,
        batch_key=_key(NotificationKind.SERIES_SOLD, series_id, day),
        title="Series sales",
        body=(Slot.COUNT, Plural(" sale", " sales"), f" of {_quoted(series_title)} today (UTC): ",
              Slot.USD, " to your pending earnings, available once the refund window closes."),
        data={"seriesId": series_id, "day": day.isoformat()},
        count=1, total=share_cents, now=now,
    )  # fmt: skip


async def purchase_refunded(
    session: AsyncSession,
    buyer_id: int,
    *,
    purchase_id: int,
    series_id: int,
    series_title: str,
    coins: int | None,
    price_cents: int,
    now: datetime,
) -> None:
    """The fan's Series purchase was refunded: coins are back, or the card is refunded."""
    back = (
        f"{coins} coins are back in your wallet."
        if coins is not None
        else f"{usd(price_cents)} is being refunded to your card."
    )
    await service.notify(
        session, buyer_id, NotificationKind.SERIES_PURCHASE_REFUNDED,
        title="Purchase refunded",
        body=f"Your purchase of {_quoted(series_title)} was refunded and its episodes are "
        f"locked again. {back}",
        data={"purchaseId": purchase_id, "seriesId": series_id, "coins": coins,
              "amountCents": price_cents},
        now=now,
    )  # fmt: skip


async def rewards_credited(
    session: AsyncSession, creator_id: int, *, day: date, views: int, cents: int, now: datetime
) -> None:
    """A day of Creator Rewards was credited (once per creator and day by construction)."""
    await service.notify(
        session, creator_id, NotificationKind.REWARDS_CREDITED,
        title="Creator Rewards credited",
        body=f"{views:,} qualified views on {day.isoformat()} earned you {usd(cents)}.",
        data={"day": day.isoformat(), "qualifiedViews": views, "cents": cents},
        now=now,
    )  # fmt: skip


async def gift_sent(session: AsyncSession, sent: GiftSend, *, now: datetime) -> None:
    """Tell the creator of a gift just sent."""
    if sent.live_id is not None:
        await gifts_on_live(
            session, sent.creator_id, live_id=sent.live_id, gifts=sent.quantity,
            diamonds=sent.diamonds, now=now,
        )  # fmt: skip
    elif sent.video_id is not None:
        await gifts_on_video(
            session, sent.creator_id, video_id=sent.video_id, gifts=sent.quantity,
            diamonds=sent.diamonds, now=now,
        )  # fmt: skip


async def tip_sent(session: AsyncSession, tip: Tip, tipper: Account, *, now: datetime) -> None:
    """Tell the creator of a tip just recorded."""
    await tip_received(
        session, tip.creator_id, tip_id=tip.id, cents=tip.amount_cents,
        tipper_handle=None if tip.is_anonymous else tipper.handle, now=now,
    )  # fmt: skip


async def sale_done(
    session: AsyncSession, purchase: SeriesPurchase, series: Series, *, now: datetime
) -> None:
    """Tell the creator of a Series sale just recorded."""
    await series_sold(
        session, series.creator_id, series_id=series.id, series_title=series.title,
        share_cents=purchase.creator_share_cents, now=now,
    )  # fmt: skip


async def refund_done(session: AsyncSession, purchase: SeriesPurchase, *, now: datetime) -> None:
    """Tell the fan their Series purchase was refunded."""
    series = await session.get(Series, purchase.series_id)
    assert series is not None
    await purchase_refunded(
        session, purchase.buyer_id, purchase_id=purchase.id, series_id=series.id,
        series_title=series.title, coins=purchase.coins, price_cents=purchase.price_cents,
        now=now,
    )  # fmt: skip
