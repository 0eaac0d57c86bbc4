"""The order a payment locks rows in, and the balances its payload shows.

Every payment to one creator waits for that creator's balance row (diamonds, pending earnings)
and their batched notification until the payment commits. So the ledger locks a payment's
coins first and the creator's balance last (`ledger.posting`), the payment writes its own rows
(the gift or the purchase, its idempotency key's result) in between, and the payload's wallet
comes from what the ledger read and moved rather than from one more read. The statements and
their order are pinned in tests/test_write_costs.py; here: the ledger's two steps, the wallets
the payloads show, and that one lock order across payments and refunds never deadlocks.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay import db as reelpay_db
from reelpay.db import run_write
from reelpay.wallet import ledger
from reelpay.wallet.models import LedgerAccount, LedgerPosting, TransactionKind
from reelpay.wallet.models import LedgerAccountKind as K
from tests.factories import (
    SUCCESS_TOKEN,
    User,
    buy_coins,
    credit_earnings,
    enrol,
    make_staff,
    new_key,
    publish,
    sign_up,
)
from tests.test_gifts_live import gift_id
from tests.test_series_buying import make_series

pytestmark = pytest.mark.usefixtures("verify_ledger")

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
WALLET = (
    "coins diamonds earnings { minorUnits } pendingEarnings { minorUnits } inPayout { minorUnits }"
)


async def wallet(api: Any, user: User) -> dict[str, Any]:
    data = await api.data(f"{{ viewer {{ wallet {{ {WALLET} }} }} }}", token=user.token)
    return data["viewer"]["wallet"]


def shown(coins: int, diamonds: int = 0, earnings: int = 0, pending: int = 0) -> dict[str, Any]:
    return {
        "coins": coins,
        "diamonds": diamonds,
        "earnings": {"minorUnits": earnings},
        "pendingEarnings": {"minorUnits": pending},
        "inPayout": {"minorUnits": 0},
    }


async def balance(session: Any, owner: int, kind: K) -> int | None:
    return await session.scalar(
        sa.select(LedgerAccount.balance).where(LedgerAccount.key == ledger.user(owner, kind).key)
    )


def gift_legs(sender: int, creator: int, coins: int) -> list[tuple[ledger.Ref, int]]:
    return [
        (ledger.user(sender, K.COINS), -coins),
        (ledger.platform(K.COINS_SPENT), coins),
        (ledger.platform(K.DIAMOND_ISSUANCE), -coins),
        (ledger.user(creator, K.DIAMONDS), coins),
    ]


async def fund(db: Any, owner: int, coins: int) -> None:
    legs = [(ledger.platform(K.COIN_ISSUANCE), -coins), (ledger.user(owner, K.COINS), coins)]
    await run_write(
        db, lambda: ledger.post(db, kind=TransactionKind.COIN_PURCHASE, legs=legs, now=NOW)
    )


# --- the ledger's two steps ------------------------------------------------------------------


async def test_posting_moves_the_coins_before_the_block_and_the_creator_after_it(api, db):
    # given a fan with 100 coins and a creator who already holds 5 diamonds
    fan, creator = (await sign_up(api, "fan")).pk, (await sign_up(api, "creator")).pk
    await fund(db, fan, 100)
    await run_write(
        db,
        lambda: ledger.post(
            db, kind=TransactionKind.GIFT, legs=gift_legs(fan, creator, 5), now=NOW, actor_id=fan
        ),
    )
    seen: dict[str, Any] = {}

    async def gift() -> ledger.Posted:
        async with ledger.posting(
            db, kind=TransactionKind.GIFT, legs=gift_legs(fan, creator, 30), now=NOW,
            actor_id=fan,
        ) as posted:  # fmt: skip
            # inside the block the fan's coins have moved; the creator's diamonds have not
            seen["fan"] = await balance(db, fan, K.COINS)
            seen["creator"] = await balance(db, creator, K.DIAMONDS)
            seen["postings"] = await db.scalar(
                sa.select(sa.func.count())
                .select_from(LedgerPosting)
                .where(LedgerPosting.transaction_id == posted.transaction.id)
            )
        return posted

    # when the fan gifts 30 coins
    posted = await run_write(db, gift)

    # then the block ran between the two steps
    assert seen == {"fan": 65, "creator": 5, "postings": 0}
    # and the posting knows both users' balances as the transaction left them
    assert posted.balances_of(fan) == {K.COINS: 65}
    assert posted.balances_of(creator) == {K.DIAMONDS: 35}
    assert posted.balances_of(12345) == {}


async def test_a_block_that_raises_stops_the_posting_before_the_creator_is_locked(api, db):
    fan, creator = (await sign_up(api, "fan")).pk, (await sign_up(api, "creator")).pk
    await fund(db, fan, 100)
    seen: dict[str, Any] = {}

    async def gift() -> None:
        try:
            async with ledger.posting(
                db, kind=TransactionKind.GIFT, legs=gift_legs(fan, creator, 30), now=NOW
            ):
                raise LookupError("the caller's own row was refused")
        finally:
            # what the transaction wrote before it rolls back
            seen["creator"] = await balance(db, creator, K.DIAMONDS)
            seen["postings"] = await db.scalar(
                sa.select(sa.func.count()).select_from(LedgerPosting)
            )

    with pytest.raises(LookupError):
        await run_write(db, gift)

    # the creator's account was created but never moved (nor locked), no posting was written
    assert seen == {"creator": 0, "postings": 2}  # the fund's two only
    assert await balance(db, fan, K.COINS) == 100  # and the rollback undid the coins


async def test_the_actor_s_balances_come_with_the_posting_even_when_it_moves_none(api, db):
    # a card payment: the payer (the actor) has no leg; their wallet is read all the same
    buyer, creator = (await sign_up(api, "buyer")).pk, (await sign_up(api, "creator")).pk
    await fund(db, buyer, 70)
    legs = [
        (ledger.platform(K.PAYMENT_CLEARING), -499),
        (ledger.platform(K.SERIES_REVENUE), 150),
        (ledger.user(creator, K.EARNINGS_PENDING), 349),
    ]

    async def buy() -> ledger.Posted:
        async with ledger.posting(
            db, kind=TransactionKind.SERIES_PURCHASE, legs=legs, now=NOW, actor_id=buyer
        ) as posted:
            pass
        return posted

    posted = await run_write(db, buy)

    assert posted.balances_of(buyer) == {K.COINS: 70}
    assert posted.balances_of(creator) == {K.EARNINGS_PENDING: 349}


# --- the payloads' wallets -------------------------------------------------------------------


async def test_a_gift_s_wallet_shows_every_balance_of_the_sender(api, clean_db):
    # given a sender who is a creator too: diamonds, pending and available earnings
    ann, bob, cara = [await sign_up(api, handle) for handle in ("ann", "bob", "cara")]
    await enrol(clean_db, ann, "LIVE_GIFTS", "SERIES")
    await enrol(clean_db, cara, "LIVE_GIFTS")
    await buy_coins(api, ann, 700)
    await buy_coins(api, bob, 700)
    rose = await gift_id(api, "Rose")
    ann_video, cara_video = await publish(api, ann, "Ann's"), await publish(api, cara, "Cara's")
    sent = {"giftId": rose, "videoId": ann_video, "quantity": 7, "idempotencyKey": new_key()}
    assert (await api.mutate("sendGift", sent, "gift { id }", token=bob.token))["userErrors"] == []
    saga = await make_series(api, ann, 499)
    bought = {"seriesId": saga, "paidWith": "COINS", "idempotencyKey": new_key()}
    assert (await api.mutate("purchaseSeries", bought, "purchase { id }", bob.token))[
        "userErrors"
    ] == []
    await credit_earnings(clean_db, ann, 250)

    # when ann sends cara 3 roses
    input = {"giftId": rose, "videoId": cara_video, "quantity": 3, "idempotencyKey": new_key()}
    payload = await api.mutate("sendGift", input, f"wallet {{ {WALLET} }}", token=ann.token)

    # then the payload's wallet is ann's whole wallet after the gift
    assert payload["userErrors"] == []
    assert payload["wallet"] == shown(697, diamonds=7, earnings=250, pending=349)
    assert payload["wallet"] == await wallet(api, ann)
    # and a replay shows the same
    replay = await api.mutate("sendGift", input, f"wallet {{ {WALLET} }}", token=ann.token)
    assert replay == payload


@pytest.mark.parametrize("coins", [700, None], ids=["with-coins", "no-wallet-yet"])
async def test_a_card_purchase_s_wallet_is_the_buyer_s(api, clean_db, coins):
    creator, fan = await sign_up(api, "maker"), await sign_up(api, "fan")
    await enrol(clean_db, creator, "SERIES")
    if coins is not None:
        await buy_coins(api, fan, coins)
    saga = await make_series(api, creator, 499)
    input = {
        "seriesId": saga,
        "paidWith": "CARD",
        "paymentToken": SUCCESS_TOKEN,
        "idempotencyKey": new_key(),
    }

    payload = await api.mutate("purchaseSeries", input, f"wallet {{ {WALLET} }}", fan.token)

    assert payload["userErrors"] == []
    assert payload["wallet"] == shown(coins or 0) == await wallet(api, fan)
    assert await wallet(api, creator) == shown(0, pending=349)


# --- one lock order --------------------------------------------------------------------------


async def test_purchases_and_refunds_between_the_same_people_never_deadlock(
    api, clean_db, backend, monkeypatch
):
    """A purchase moves the fan's coins down and the creator's pending earnings up; a refund
    the other way round. Locking the paying side first would make them wait on each other in
    a cycle; the ledger's one order (coins, then the rest) never does."""
    if backend != "postgresql":
        pytest.skip("SQLite runs one writer at a time: nothing can wait in a cycle")
    deadlocks: list[BaseException] = []
    retryable = reelpay_db.is_retryable

    def counting(error: BaseException) -> bool:
        if "deadlock" in str(error).lower():
            deadlocks.append(error)
        return retryable(error)

    monkeypatch.setattr(reelpay_db, "is_retryable", counting)
    creator = await sign_up(api, "maker")
    await enrol(clean_db, creator, "SERIES")
    staff = await make_staff(api, clean_db)
    fans = [await sign_up(api, f"fan{n}") for n in range(4)]
    first = [await make_series(api, creator, 99, title=f"First {n}") for n in range(4)]
    second = [await make_series(api, creator, 99, title=f"Second {n}") for n in range(4)]
    purchases = []
    for fan in fans:
        await buy_coins(api, fan, 700)
        for series in first:
            input = {"seriesId": series, "paidWith": "COINS", "idempotencyKey": new_key()}
            bought = await api.mutate("purchaseSeries", input, "purchase { id }", fan.token)
            purchases.append(bought["purchase"]["id"])

    async def refund(purchase_id: str) -> list[Any]:
        payload = await api.mutate(
            "refundSeriesPurchase", {"purchaseId": purchase_id}, "purchase { id }", staff.token
        )
        return list(payload["userErrors"])

    async def buy(fan: User, series: str) -> list[Any]:
        input = {"seriesId": series, "paidWith": "COINS", "idempotencyKey": new_key()}
        payload = await api.mutate("purchaseSeries", input, "purchase { id }", fan.token)
        return list(payload["userErrors"])

    errors = await asyncio.gather(
        *(refund(p) for p in purchases),
        *(buy(fan, series) for fan in fans for series in second),
    )

    assert errors == [[]] * 32
    assert deadlocks == []
    # every fan paid 4 x 70 coins, got 4 x 70 back and paid 4 x 70 again
    assert {(await wallet(api, fan))["coins"] for fan in fans} == {700 - 4 * 70}
    assert await wallet(api, creator) == shown(0, pending=16 * 69)
