"""Sending gifts and tips, and who supports a creator most.

Every operation here claims its idempotency key first, so a replay returns the first result even
if the LIVE has ended or the balance has changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay import events
from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.content.models import Follow, Video
from reelpay.content.visibility import ContentAccess, can_see_video, content_access
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.gifting import live as lives
from reelpay.gifting.models import Gift, GiftSend, LiveStatus, LiveStream, Tip, TipMethod
from reelpay.notifications import money as money_notices
from reelpay.pagination import Page, PageRequest, paginate
from reelpay.payments import charging
from reelpay.payments.models import Payment, PaymentPurpose
from reelpay.programs import monetization
from reelpay.programs.models import Program
from reelpay.settings import Settings
from reelpay.wallet import earnings as earnings_account
from reelpay.wallet import idempotency, ledger
from reelpay.wallet import service as wallet
from reelpay.wallet.models import EarningsSource, LedgerAccountKind, TransactionKind
from reelpay.wallet.rules import check_spender, coins_for_cents, diamonds_for_gift

SEND_GIFT = "sendGift"
SEND_TIP = "sendTip"
GIFT_FIELD = ("input", "giftId")
QUANTITY_FIELD = ("input", "quantity")
AMOUNT_FIELD = ("input", "amountCents")
CREATOR_FIELD = ("input", "creatorId")
VIDEO_FIELD = ("input", "videoId")


async def gift_catalog(session: AsyncSession) -> list[Gift]:
    """Active gifts, cheapest first."""
    rows = await session.scalars(
        sa.select(Gift).where(Gift.is_active.is_(True)).order_by(Gift.coin_price, Gift.id)
    )
    return list(rows)


@dataclass(frozen=True)
class GiftRequest:
    gift_id: int
    quantity: int
    key: str
    live_id: int | None = None
    video_id: int | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        return {
            "giftId": self.gift_id,
            "quantity": self.quantity,
            "liveId": self.live_id,
            "videoId": self.video_id,
        }


async def send_gift(
    session: AsyncSession,
    sender: Account,
    request: GiftRequest,
    *,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Coins leave the sender; the creator receives diamonds. Returns {"giftSendId": ...}."""
    result, _ = await _send_gift(session, sender, request, now=now, settings=settings)
    return result


async def give_gift(
    session: AsyncSession,
    sender: Account,
    request: GiftRequest,
    *,
    now: datetime,
    settings: Settings,
) -> tuple[GiftSend, wallet.Balances]:
    """`send_gift`, returning the gift sent and the sender's balances after it (on a replay,
    the first request's gift and the balances now)."""
    result, sent = await _send_gift(session, sender, request, now=now, settings=settings)
    if sent is not None:
        return sent
    first = await session.get(GiftSend, result["giftSendId"])
    assert first is not None  # the key's result names a committed row
    return first, (await wallet.balances(session, [sender.id]))[sender.id]


async def _send_gift(
    session: AsyncSession,
    sender: Account,
    request: GiftRequest,
    *,
    now: datetime,
    settings: Settings,
) -> tuple[dict[str, Any], tuple[GiftSend, wallet.Balances] | None]:
    """The result, and the row sent with the sender's balances after it (None on a replay)."""
    rules = settings.rules
    idempotency.check_key(request.key, rules.idempotency_key_max_length)
    replayed = await idempotency.claim(
        session,
        account_id=sender.id,
        key=request.key,
        operation=SEND_GIFT,
        arguments=request.arguments,
        now=now,
    )
    if replayed is not None:
        return replayed, None
    check_spender(sender.birth_date, sender.country, now.date(), rules)
    if not 1 <= request.quantity <= rules.gift_max_quantity:
        raise DomainError(
            f"Send 1 to {rules.gift_max_quantity} of a gift at once.",
            code=ErrorCode.INVALID_QUANTITY,
            field=QUANTITY_FIELD,
        )
    gift = await session.get(Gift, request.gift_id)
    if gift is None or not gift.is_active:
        raise NotFound("No such gift.", field=GIFT_FIELD)

    target = await _gift_target(session, sender, request)
    if target.creator.id == sender.id:
        raise DomainError("You cannot send gifts to yourself.", code=ErrorCode.CANNOT_PAY_SELF)
    creator = target.creator
    # Receiving gifts (on a LIVE or a video) is the LIVE gifts program: enrolled, not suspended,
    # its terms accepted and not paused (the enrolment read along with the target).
    monetization.check_receiving(
        creator, Program.LIVE_GIFTS, target.receiving, today=now.date(), rules=rules,
        refusal=refusal(target.what),
    )  # fmt: skip

    coins = gift.coin_price * request.quantity
    diamonds = diamonds_for_gift(coins, rules)
    async with ledger.posting(
        session,
        kind=TransactionKind.GIFT,
        legs=[
            (ledger.user(sender.id, LedgerAccountKind.COINS), -coins),
            (ledger.platform(LedgerAccountKind.COINS_SPENT), coins),
            (ledger.platform(LedgerAccountKind.DIAMOND_ISSUANCE), -diamonds),
            (ledger.user(creator.id, LedgerAccountKind.DIAMONDS), diamonds),
        ],
        now=now,
        actor_id=sender.id,
        memo=f"{request.quantity} x {gift.name}",
    ) as posted:
        # Written before the creator's diamonds are locked (see `ledger.posting`): every gift
        # to this creator waits for that row, and the creator's notification, until we commit.
        sent = GiftSend(
            sender_id=sender.id,
            creator_id=creator.id,
            gift_id=gift.id,
            quantity=request.quantity,
            coins=coins,
            diamonds=diamonds,
            live_id=request.live_id,
            video_id=request.video_id,
            ledger_transaction_id=posted.transaction.id,
            created_at=now,
        )
        session.add(sent)
        await session.flush()
        result = {"giftSendId": sent.id}
        await idempotency.finish(session, account_id=sender.id, key=request.key, result=result)
    await money_notices.gift_sent(session, sent, now=now)
    if request.live_id is not None:
        events.emit(
            session, events.live_channel(request.live_id), {"type": "GIFT", "giftSendId": sent.id}
        )
    return result, (sent, wallet.Balances.of(posted.balances_of(sender.id)))


@dataclass(frozen=True)
class _Target:
    creator: Account
    receiving: monetization.Receiving | None  # in the LIVE gifts program (None: not enrolled)
    what: str  # what the creator would receive, for the refusal


async def _gift_target(session: AsyncSession, sender: Account, request: GiftRequest) -> _Target:
    """The LIVE (on air) or video the gift goes to, with its creator, in one statement.

    The rules are `lives.get_active_live_or_raise(hold=True)` and
    `content.get_visible_video_or_raise`, then `accounts.lock_parties(shared=[creator])`:
    the LIVE stays on air and the creator's standing cannot change until we commit (FOR SHARE
    on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers). The sender's follow
    status (for a private creator) and the creator's enrolment come with it.
    """
    follow = (
        sa.select(Follow.status)
        .where(Follow.follower_id == sender.id, Follow.followee_id == Account.id)
        .scalar_subquery()
    )
    # NULL when the creator is not enrolled in LIVE gifts, else what the enrolment lets in.
    enrolled = monetization.receiving(Account.id, Program.LIVE_GIFTS)
    if request.live_id is not None:
        row = (
            await session.execute(
                sa.select(LiveStream, Account, follow, enrolled)
                .join(Account, Account.id == LiveStream.creator_id)
                .where(LiveStream.id == request.live_id)
                .with_for_update(read=True, of=[LiveStream.__table__, Account.__table__])
                .execution_options(populate_existing=True)
            )
        ).one_or_none()
        if row is None or content_access(sender, row[1], row[2]) is ContentAccess.NONE:
            raise NotFound("No such LIVE.", field=lives.LIVE_FIELD)
        live: LiveStream = row[0]
        if live.status is not LiveStatus.LIVE:
            raise DomainError(
                "This LIVE has ended.", code=ErrorCode.LIVE_NOT_ACTIVE, field=lives.LIVE_FIELD
            )
        return _Target(
            creator=row[1], receiving=monetization.receiving_of(row[3]), what="LIVE gifts"
        )
    assert request.video_id is not None
    row = (
        await session.execute(
            sa.select(Video, Account, follow, enrolled)
            .join(Account, Account.id == Video.owner_id)
            .where(Video.id == request.video_id)
            .with_for_update(read=True, of=Account.__table__)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if row is None or not can_see_video(content_access(sender, row[1], row[2]), row[0]):
        raise NotFound("No such video.", field=VIDEO_FIELD)
    return _Target(creator=row[1], receiving=monetization.receiving_of(row[3]), what="gifts")


@dataclass(frozen=True)
class TipRequest:
    creator_id: int
    amount_cents: int
    method: TipMethod
    key: str
    anonymous: bool = False
    payment_token: str | None = None
    # The input field errors about the amount name (`amount` or the older `amountCents`); not
    # an argument: both forms of the same amount are the same request.
    amount_field: tuple[str, ...] = dataclass_field(default=AMOUNT_FIELD, compare=False)

    @property
    def arguments(self) -> dict[str, Any]:
        return {
            "creatorId": self.creator_id,
            "amountCents": self.amount_cents,
            "method": self.method.value,
            "anonymous": self.anonymous,
            "paymentToken": self.payment_token,
        }


async def check_tip(
    session: AsyncSession,
    tipper: Account,
    request: TipRequest,
    *,
    now: datetime,
    settings: Settings,
) -> Account:
    """Every tip rule; returns the creator. In a write, hold `accounts.lock_parties` first."""
    rules = settings.rules
    check_spender(tipper.birth_date, tipper.country, now.date(), rules)
    if not rules.tip_min_cents <= request.amount_cents <= rules.tip_max_cents:
        raise DomainError(
            f"A tip is {_usd(rules.tip_min_cents)} to {_usd(rules.tip_max_cents)}.",
            code=ErrorCode.INVALID_AMOUNT,
            field=request.amount_field,
        )
    if request.method is TipMethod.CARD and not request.payment_token:
        raise DomainError(
            "A card tip needs a `paymentToken`.",
            code=ErrorCode.PAYMENT_METHOD_REQUIRED,
            field=("input", "paymentToken"),
        )
    if request.creator_id == tipper.id:
        raise DomainError(
            "You cannot tip yourself.", code=ErrorCode.CANNOT_PAY_SELF, field=CREATOR_FIELD
        )
    creator = await session.get(Account, request.creator_id)
    if creator is None:
        raise NotFound("No such account.", field=CREATOR_FIELD)
    # Enrolled, its terms accepted and not paused, in one read; not suspended.
    receiving = await monetization.receiving_state(session, creator.id, Program.TIPS)
    monetization.check_receiving(
        creator, Program.TIPS, receiving, today=now.date(), rules=rules,
        refusal=refusal("tips"), field=CREATOR_FIELD,
    )  # fmt: skip

    day_start = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)
    count, total = (
        await session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Tip.amount_cents), 0)).where(
                Tip.tipper_id == tipper.id,
                Tip.created_at >= day_start,
                Tip.created_at < day_start + timedelta(days=1),
            )
        )
    ).one()
    if count + 1 > rules.tip_daily_max_count:
        raise DomainError(
            f"You can send at most {rules.tip_daily_max_count} tips a day (UTC).",
            code=ErrorCode.TIP_LIMIT_EXCEEDED,
        )
    if total + request.amount_cents > rules.tip_daily_max_cents:
        raise DomainError(
            f"You can tip at most {_usd(rules.tip_daily_max_cents)} a day (UTC); "
            f"{_usd(rules.tip_daily_max_cents - int(total))} is left today.",
            code=ErrorCode.TIP_LIMIT_EXCEEDED,
            field=request.amount_field,
        )
    return creator


async def prepare_tip(
    session: AsyncSession,
    tipper: Account,
    request: TipRequest,
    *,
    now: datetime,
    settings: Settings,
) -> dict[str, Any] | None:
    """The first result if this key already tipped, else None after checking the tip."""
    idempotency.check_key(request.key, settings.rules.idempotency_key_max_length)
    replayed = await idempotency.replay(
        session,
        account_id=tipper.id,
        key=request.key,
        operation=SEND_TIP,
        arguments=request.arguments,
    )
    if replayed is not None:
        return replayed
    await check_tip(session, tipper, request, now=now, settings=settings)
    return None


async def record_tip(
    session: AsyncSession,
    tipper: Account,
    request: TipRequest,
    *,
    now: datetime,
    settings: Settings,
    charge_id: str | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    """Credit the creator 100% of the tip, from coins or from a successful card charge."""
    await accounts.lock_parties(session, shared=[request.creator_id], updating=[tipper.id])
    replayed = await idempotency.claim(
        session,
        account_id=tipper.id,
        key=request.key,
        operation=SEND_TIP,
        arguments=request.arguments,
        now=now,
    )
    if replayed is not None:
        return replayed
    if charge_id is not None:
        await charging.ensure_not_refunded(session, charge_id)
    creator = await check_tip(session, tipper, request, now=now, settings=settings)
    cents = request.amount_cents
    earnings = (
        earnings_account.credit_account(creator.id, EarningsSource.TIPS, settings.rules),
        cents,
    )
    coins = None
    if request.method is TipMethod.COINS:
        coins = coins_for_cents(cents, settings.rules)
        legs = [
            (ledger.user(tipper.id, LedgerAccountKind.COINS), -coins),
            (ledger.platform(LedgerAccountKind.COINS_SPENT), coins),
            (ledger.platform(LedgerAccountKind.CREATOR_PAYABLES), -cents),
            earnings,
        ]
    else:
        assert charge_id is not None and provider is not None
        legs = [(ledger.platform(LedgerAccountKind.PAYMENT_CLEARING), -cents), earnings]
    transaction = await ledger.post(
        session,
        kind=TransactionKind.TIP,
        legs=legs,
        now=now,
        actor_id=tipper.id,
        earnings_source=EarningsSource.TIPS,
        memo=f"Tip of {_usd(cents)}",
    )
    await earnings_account.hold_if_configured(
        session, transaction, owner_id=creator.id, source=EarningsSource.TIPS, cents=cents,
        now=now, rules=settings.rules,
    )  # fmt: skip
    tip = Tip(
        tipper_id=tipper.id,
        creator_id=creator.id,
        amount_cents=cents,
        method=request.method,
        coins=coins,
        is_anonymous=request.anonymous,
        ledger_transaction_id=transaction.id,
        created_at=now,
    )
    session.add(tip)
    if charge_id is not None and provider is not None:
        session.add(
            Payment(
                account_id=tipper.id,
                purpose=PaymentPurpose.TIP,
                provider=provider,
                provider_charge_id=charge_id,
                amount_cents=cents,
                currency="USD",
                ledger_transaction_id=transaction.id,
                created_at=now,
            )
        )
    await session.flush()
    result = {"tipId": tip.id}
    await idempotency.finish(session, account_id=tipper.id, key=request.key, result=result)
    await money_notices.tip_sent(session, tip, tipper, now=now)
    return result


async def tips_received(session: AsyncSession, creator_id: int, request: PageRequest) -> Page[Tip]:
    """Tips a creator received, newest first."""
    stmt = sa.select(Tip).where(Tip.creator_id == creator_id)
    return await paginate(session, stmt, [Tip.id], request, descending=True)


async def tips_received_count(session: AsyncSession, creator_id: int) -> int:
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(Tip).where(Tip.creator_id == creator_id)
    )
    return int(count or 0)


@dataclass(frozen=True)
class Supporter:
    account_id: int
    coins: int
    gifts: int


async def top_supporters(
    session: AsyncSession, *, creator_id: int | None = None, live_id: int | None = None, limit: int
) -> list[Supporter]:
    """Senders ranked by coins spent on gifts to a creator (all time) or during one LIVE."""
    condition = (
        GiftSend.creator_id == creator_id if live_id is None else GiftSend.live_id == live_id
    )
    coins = sa.func.sum(GiftSend.coins)
    rows = await session.execute(
        sa.select(GiftSend.sender_id, coins, sa.func.sum(GiftSend.quantity))
        .where(condition)
        .group_by(GiftSend.sender_id)
        .order_by(coins.desc(), GiftSend.sender_id)
        .limit(limit)
    )
    return [Supporter(sender, int(c), int(g)) for sender, c, g in rows.all()]


async def gifts_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Gift]:
    rows = await session.scalars(sa.select(Gift).where(Gift.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def tips_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Tip]:
    rows = await session.scalars(sa.select(Tip).where(Tip.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def gift_sends_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, GiftSend]:
    rows = await session.scalars(sa.select(GiftSend).where(GiftSend.id.in_(set(ids))))
    return {row.id: row for row in rows}


def refusal(what: str) -> str:
    """What the sender is told: not why, which would reveal the creator's age or standing."""
    return f"This creator cannot receive {what} right now."


def _usd(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} USD"
