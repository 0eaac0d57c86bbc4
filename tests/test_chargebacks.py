"""Chargebacks (`payments.chargebacks`): a card holder's dispute, opened and closed by the
provider's webhook, on both backends.

Purchases are arranged through the API with the sandbox provider; the dispute's outcome is
given to `dispute_opened` / `dispute_closed` as the webhook route gives it (the route itself is
tested end to end with the provider adapters). Rules: an open dispute moves nothing; a lost one
posts one CHARGEBACK transaction: a coin purchase takes the unspent coins back and the spent
ones become a coin debt that blocks spending coins until a purchase settles it; a Series
purchase or card tip takes the creator's share back from pending, else available earnings,
else records a creator debt settled before any payout; campaign funding is a platform loss.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.db import create_sessionmaker, run_write, write_once
from reelpay.payments import chargebacks
from reelpay.payments.models import DisputeStatus, Payment, PaymentDispute, PaymentPurpose
from reelpay.payouts import processing
from reelpay.series import purchases as series_purchases
from reelpay.wallet.models import LedgerAccountKind as K
from reelpay.wallet.models import LedgerTransaction, TransactionKind
from tests.conftest import START
from tests.factories import (
    SUCCESS_TOKEN,
    User,
    add_paypal,
    buy_coins,
    credit_earnings,
    enrol,
    new_key,
    publish,
    sign_up,
)
from tests.marketplace_factories import funded_campaign, make_brand
from tests.test_gifts_live import gift_id
from tests.test_series_buying import make_series

pytestmark = pytest.mark.usefixtures("verify_ledger")

WALLET = (
    "coins coinDebt earnings { minorUnits } pendingEarnings { minorUnits } "
    "inPayout { minorUnits } earningsDebt { minorUnits }"
)
FORECAST = "amount { minorUnits } requestableNow { minorUnits } debt { minorUnits } "
FORECAST += "reasons { code message }"
PLAYBACK = "query($id: ID!) { node(id: $id) { ... on Series { viewerAccess { allowed } } } }"


# --- helpers -------------------------------------------------------------------------------


async def wallet(api: Any, user: User) -> dict[str, Any]:
    return (await api.data(f"{{ viewer {{ wallet {{ {WALLET} }} }} }}", token=user.token))[
        "viewer"
    ]["wallet"]


def shown(
    coins: int = 0, debt: int = 0, earnings: int = 0, pending: int = 0, in_payout: int = 0,
    earnings_debt: int = 0,
) -> dict[str, Any]:  # fmt: skip
    return {
        "coins": coins, "coinDebt": debt, "earnings": {"minorUnits": earnings},
        "pendingEarnings": {"minorUnits": pending}, "inPayout": {"minorUnits": in_payout},
        "earningsDebt": {"minorUnits": earnings_debt},
    }  # fmt: skip


async def charges(api: Any, user: User, purpose: PaymentPurpose) -> list[str]:
    """The provider charge ids of the user's payments for `purpose`, oldest first."""
    async with create_sessionmaker(api.engine)() as session:
        rows = await session.scalars(
            sa.select(Payment.provider_charge_id)
            .where(Payment.account_id == user.pk, Payment.purpose == purpose)
            .order_by(Payment.id)
        )
        return list(rows)


async def close(
    api: Any, charge: str, status: str = "lost", dispute: str = "dp_1", amount: int = 0
) -> PaymentDispute | None:
    """`dispute_closed` in its own write transaction, as the webhook route calls it."""
    return await write_once(
        create_sessionmaker(api.engine),
        lambda s: chargebacks.dispute_closed(
            s,
            provider="sandbox",
            charge_id=charge,
            dispute_id=dispute,
            status=status,
            amount_cents=amount,
            now=START,
        ),
    )


async def open_(api: Any, charge: str, dispute: str = "dp_1", amount: int = 0) -> Any:
    return await write_once(
        create_sessionmaker(api.engine),
        lambda s: chargebacks.dispute_opened(
            s,
            provider="sandbox",
            charge_id=charge,
            dispute_id=dispute,
            amount_cents=amount,
            reason="fraudulent",
            now=START,
        ),
    )


async def chargeback_legs(api: Any) -> list[list[tuple[str, int]]]:
    """Every CHARGEBACK transaction's postings as (account key, amount), in posting order."""
    from reelpay.wallet.models import LedgerAccount, LedgerPosting

    async with api.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(LedgerPosting.transaction_id, LedgerAccount.key, LedgerPosting.amount)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
            .where(LedgerTransaction.kind == TransactionKind.CHARGEBACK)
            .order_by(LedgerPosting.transaction_id, LedgerAccount.key)
        )
        found: dict[int, list[tuple[str, int]]] = {}
        for tx, key, amount in rows.all():
            found.setdefault(tx, []).append((key, int(amount)))
        return list(found.values())


async def count(api: Any, table: Any, *where: Any) -> int:
    async with api.engine.connect() as connection:
        return int(
            await connection.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
            or 0
        )


async def spend_coins(api: Any, fan: User, coins: int) -> dict[str, Any]:
    """Gift `coins` coins' worth of Hand Hearts (100 coins) or Finger Hearts (5) on a video."""
    creator = await sign_up(api, f"star{new_key()}".replace("-", ""))
    await enrol(api.engine, creator, "LIVE_GIFTS")
    video = await publish(api, creator, "Clip")
    if coins % 100 == 0:
        return await gift(api, fan, video, "Hand Hearts", coins // 100)
    return await gift(api, fan, video, "Finger Heart", coins // 5)


async def gift(api: Any, fan: User, video: str, name: str, quantity: int) -> dict[str, Any]:
    chosen = await gift_id(api, name)
    input = {"giftId": chosen, "videoId": video, "quantity": quantity, "idempotencyKey": new_key()}
    return await api.mutate("sendGift", input, "gift { coins } wallet { coins }", token=fan.token)


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


# --- coin purchases ------------------------------------------------------------------------


async def test_a_lost_coin_purchase_with_every_coin_unspent_takes_them_all_back(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)  # 9.99 USD
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)

    opened = await open_(api, charge)
    assert opened is not None and opened.status is DisputeStatus.OPEN
    assert await wallet(api, fan) == shown(coins=700)  # an open dispute moves nothing

    dispute = await close(api, charge)

    assert dispute is not None and dispute.status is DisputeStatus.LOST
    assert (dispute.amount_cents, dispute.coins_owed, dispute.provider_status) == (999, 0, "lost")
    assert dispute.reason == "fraudulent"
    assert await wallet(api, fan) == shown(coins=0, debt=0)
    assert await chargeback_legs(api) == [
        [
            ("platform:COIN_ISSUANCE", 700),
            ("platform:COIN_SALES", -999),
            ("platform:PAYMENT_CLEARING", 999),
            (f"user:{fan.pk}:COINS", -700),
        ]
    ]


async def test_a_lost_coin_purchase_partly_spent_leaves_a_debt_that_blocks_spending(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    assert codes(await spend_coins(api, fan, 350)) == []
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)

    dispute = await close(api, charge)

    assert dispute is not None and dispute.coins_owed == 350
    assert await wallet(api, fan) == shown(coins=0, debt=350)
    assert await chargeback_legs(api) == [
        [
            ("platform:COIN_DEBTS_OWED", -350),
            ("platform:COIN_ISSUANCE", 350),
            ("platform:COIN_SALES", -999),
            ("platform:PAYMENT_CLEARING", 999),
            (f"user:{fan.pk}:COINS", -350),
            (f"user:{fan.pk}:COIN_DEBT", 350),
        ]
    ]
    # spending coins is refused, saying how much is owed and how to settle it
    refused = await spend_coins(api, fan, 5)
    assert codes(refused) == ["OUTSTANDING_DEBT"] and refused["gift"] is None
    message = refused["userErrors"][0]["message"]
    assert "350 coins" in message and "Buying coins settles the debt" in message

    # a purchase smaller than the debt pays part of it and credits nothing
    await buy_coins(api, fan, 70)
    assert await wallet(api, fan) == shown(coins=0, debt=280)
    assert codes(await spend_coins(api, fan, 5)) == ["OUTSTANDING_DEBT"]

    # the next one settles the rest and credits what is left over
    payload = await buy_coins(api, fan, 350)
    assert payload["wallet"] == {"coins": 70}
    assert await wallet(api, fan) == shown(coins=70, debt=0)
    assert codes(await spend_coins(api, fan, 5)) == []
    assert await wallet(api, fan) == shown(coins=65)


async def test_a_purchase_of_exactly_the_debt_leaves_no_coins_and_unblocks_spending(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    assert codes(await spend_coins(api, fan, 350)) == []
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)
    await close(api, charge)

    await buy_coins(api, fan, 350)

    assert await wallet(api, fan) == shown(coins=0, debt=0)
    # not blocked any more: only short of coins
    assert codes(await spend_coins(api, fan, 5)) == ["INSUFFICIENT_COINS"]
    await buy_coins(api, fan, 70)
    assert codes(await spend_coins(api, fan, 5)) == []


async def test_coin_tips_and_series_with_coins_are_refused_while_owing(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    assert codes(await spend_coins(api, fan, 700)) == []
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)
    await close(api, charge)
    creator = await sign_up(api, "maker")
    await enrol(api.engine, creator, "SERIES", "TIPS")
    series = await make_series(api, creator, 99)

    tip = await api.mutate(
        "sendTip",
        {"creatorId": creator.id, "amountCents": 500, "method": "COINS", "anonymous": False,
         "idempotencyKey": new_key()},
        "tip { id }", token=fan.token,
    )  # fmt: skip
    bought = await api.mutate(
        "purchaseSeries",
        {"seriesId": series, "paidWith": "COINS", "idempotencyKey": new_key()},
        "purchase { id }", token=fan.token,
    )  # fmt: skip

    assert codes(tip) == ["OUTSTANDING_DEBT"] and codes(bought) == ["OUTSTANDING_DEBT"]
    # paying by card is not spending coins: allowed
    by_card = await api.mutate(
        "purchaseSeries",
        {"seriesId": series, "paidWith": "CARD", "paymentToken": SUCCESS_TOKEN,
         "idempotencyKey": new_key()},
        "purchase { id }", token=fan.token,
    )  # fmt: skip
    assert codes(by_card) == []
    assert await wallet(api, fan) == shown(coins=0, debt=700)


async def test_a_won_or_warning_closed_dispute_moves_nothing(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    await buy_coins(api, fan, 70)
    first, second = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)

    won = await close(api, first, status="won", dispute="dp_won")
    closed = await close(api, second, status="warning_closed", dispute="dp_warn")

    assert won is not None and won.status is DisputeStatus.WON
    assert closed is not None and closed.status is DisputeStatus.CLOSED
    assert (won.ledger_transaction_id, closed.ledger_transaction_id) == (None, None)
    assert await wallet(api, fan) == shown(coins=770)
    assert await chargeback_legs(api) == []
    # decided: a late "lost" for the same dispute changes nothing
    again = await close(api, first, status="lost", dispute="dp_won")
    assert again is not None and again.status is DisputeStatus.WON
    assert await wallet(api, fan) == shown(coins=770)


async def test_a_replayed_close_posts_one_chargeback(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)

    first = await close(api, charge)
    second = await close(api, charge)
    await open_(api, charge)  # a late "created" event too

    assert first is not None and second is not None and first.id == second.id
    assert second.status is DisputeStatus.LOST
    assert len(await chargeback_legs(api)) == 1
    assert await count(api, PaymentDispute) == 1
    assert await wallet(api, fan) == shown(coins=0)


async def test_a_close_delivered_before_the_open_is_recorded_once(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)

    closed = await close(api, charge, amount=999)
    opened = await open_(api, charge, amount=999)

    assert closed is not None and opened is not None and opened.id == closed.id
    assert opened.status is DisputeStatus.LOST  # the open did not reopen it
    assert opened.opened_at == START and opened.reason == "fraudulent"
    assert len(await chargeback_legs(api)) == 1


async def test_an_unknown_charge_is_ignored_and_writes_nothing(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)

    assert await open_(api, "ch_not_ours") is None
    assert await close(api, "ch_not_ours") is None

    assert await count(api, PaymentDispute) == 0
    assert await count(api, LedgerTransaction, LedgerTransaction.kind == "CHARGEBACK") == 0
    assert await wallet(api, fan) == shown(coins=700)


async def test_two_concurrent_closes_of_one_dispute_post_one_chargeback(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)
    await open_(api, charge)

    results = await asyncio.gather(close(api, charge), close(api, charge))

    assert {r.id for r in results if r is not None} == {results[0].id}  # type: ignore[union-attr]
    assert all(r is not None and r.status is DisputeStatus.LOST for r in results)
    assert len(await chargeback_legs(api)) == 1
    assert await wallet(api, fan) == shown(coins=0)


async def test_two_concurrent_first_deliveries_create_one_dispute(api):
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)

    await asyncio.gather(close(api, charge), close(api, charge), open_(api, charge))

    assert await count(api, PaymentDispute) == 1
    assert len(await chargeback_legs(api)) == 1


# --- Series purchases, tips, campaigns ------------------------------------------------------


async def series_bought_by_card(api: Any, cents: int = 499) -> tuple[User, User, str, str]:
    """A creator's Series bought by card by a fan: (creator, fan, Series ID, charge id)."""
    creator = await sign_up(api, "maker")
    await enrol(api.engine, creator, "SERIES")
    fan = await sign_up(api, "fan")
    series = await make_series(api, creator, cents)
    payload = await api.mutate(
        "purchaseSeries",
        {"seriesId": series, "paidWith": "CARD", "paymentToken": SUCCESS_TOKEN,
         "idempotencyKey": new_key()},
        "purchase { id }", token=fan.token,
    )  # fmt: skip
    assert codes(payload) == []
    (charge,) = await charges(api, fan, PaymentPurpose.SERIES_PURCHASE)
    return creator, fan, series, charge


async def can_watch(api: Any, fan: User, series: str) -> bool:
    node = (await api.data(PLAYBACK, {"id": series}, token=fan.token))["node"]
    return bool(node["viewerAccess"]["allowed"])


async def release_series(api: Any, clock: Any) -> None:
    clock.advance(timedelta(days=9))  # past the refund window
    await series_purchases.release_due(create_sessionmaker(api.engine), now=clock.now())


async def forecast(api: Any, user: User) -> dict[str, Any]:
    query = f"{{ viewer {{ payouts {{ forecast {{ {FORECAST} }} }} }} }}"
    return (await api.data(query, token=user.token))["viewer"]["payouts"]["forecast"]


async def test_a_lost_series_purchase_still_held_revokes_access_and_the_pending_share(api):
    creator, fan, series, charge = await series_bought_by_card(api, 499)
    assert await can_watch(api, fan, series)
    assert await wallet(api, creator) == shown(pending=349)

    dispute = await close(api, charge)

    assert dispute is not None and dispute.cents_owed == 0
    assert not await can_watch(api, fan, series)
    assert await wallet(api, creator) == shown()
    assert await chargeback_legs(api) == [
        [
            ("platform:PAYMENT_CLEARING", 499),
            ("platform:SERIES_REVENUE", -150),
            (f"user:{creator.pk}:EARNINGS_PENDING", -349),
        ]
    ]
    # revoked, the fan may buy it again
    again = await api.mutate(
        "purchaseSeries",
        {"seriesId": series, "paidWith": "CARD", "paymentToken": SUCCESS_TOKEN,
         "idempotencyKey": new_key()},
        "purchase { id }", token=fan.token,
    )  # fmt: skip
    assert codes(again) == []


async def test_a_lost_series_purchase_released_takes_the_share_from_available_earnings(api, clock):
    creator, fan, series, charge = await series_bought_by_card(api, 499)
    await release_series(api, clock)
    assert await wallet(api, creator) == shown(earnings=349)

    await close(api, charge)

    assert await wallet(api, creator) == shown()
    assert not await can_watch(api, fan, series)
    (legs,) = await chargeback_legs(api)
    assert (f"user:{creator.pk}:EARNINGS", -349) in legs


async def test_a_lost_series_purchase_paid_out_becomes_a_creator_debt_settled_first(
    api, clock, settings
):
    creator, _, _, charge = await series_bought_by_card(api, 18999)  # share 13299
    await release_series(api, clock)
    await add_paypal(api, creator)
    requested = await api.mutate(
        "requestPayout", {"amountCents": 13299, "idempotencyKey": new_key()}, "payout { id }",
        token=creator.token,
    )  # fmt: skip
    assert codes(requested) == []
    summary = await processing.run(
        create_sessionmaker(api.engine), api.app.state.services.payouts, now=clock.now(),
        settings=settings, create_scheduled=False,
    )  # fmt: skip
    assert summary.paid == 1

    dispute = await close(api, charge)

    assert dispute is not None and dispute.cents_owed == 13299
    assert await wallet(api, creator) == shown(earnings_debt=13299)
    assert await chargeback_legs(api) == [
        [
            ("platform:CHARGEBACK_LOSSES", -13299),
            ("platform:EARNINGS_DEBTS_OWED", -13299),
            ("platform:PAYMENT_CLEARING", 18999),
            ("platform:SERIES_REVENUE", -5700),
            (f"user:{creator.pk}:EARNINGS_DEBT", 13299),
        ]
    ]
    # new earnings: the debt comes off first, which leaves less than the threshold
    await credit_earnings(api.engine, creator, 20000)
    found = await forecast(api, creator)
    assert found["debt"] == {"minorUnits": 13299}
    assert found["requestableNow"] == {"minorUnits": 0}
    assert [r["code"] for r in found["reasons"]] == ["OUTSTANDING_DEBT", "MANUAL_SCHEDULE"]
    assert "132.99 USD" in found["reasons"][0]["message"]
    refused = await api.mutate(
        "requestPayout", {"amountCents": 10000, "idempotencyKey": new_key()}, "payout { id }",
        token=creator.token,
    )  # fmt: skip
    assert codes(refused) == ["INSUFFICIENT_EARNINGS"]
    assert "67.01 USD" in refused["userErrors"][0]["message"]
    assert "132.99 USD you owe" in refused["userErrors"][0]["message"]

    # more earnings: the payout is reduced by the debt, settled in the payout's transaction
    await credit_earnings(api.engine, creator, 10000)
    found = await forecast(api, creator)
    assert found["requestableNow"] == {"minorUnits": 16701}
    assert [r["code"] for r in found["reasons"]] == ["MANUAL_SCHEDULE"]
    payout = await api.mutate(
        "requestPayout", {"amountCents": 16701, "idempotencyKey": new_key()}, "payout { id }",
        token=creator.token,
    )  # fmt: skip
    assert codes(payout) == []
    assert await wallet(api, creator) == shown(in_payout=16701)
    assert (await forecast(api, creator))["debt"] == {"minorUnits": 0}
    async with api.engine.connect() as connection:
        settled = (
            await connection.execute(
                sa.select(LedgerTransaction.kind, LedgerTransaction.earnings_source).where(
                    LedgerTransaction.kind == TransactionKind.DEBT_SETTLEMENT
                )
            )
        ).all()
    assert [(k, s) for k, s in settled] == [("DEBT_SETTLEMENT", "SERIES")]


async def test_a_scheduled_payout_settles_the_debt_first(api, clock, settings):
    creator, _, _, charge = await series_bought_by_card(api, 18999)
    await release_series(api, clock)
    await add_paypal(api, creator)
    await api.mutate(
        "requestPayout", {"amountCents": 13299, "idempotencyKey": new_key()}, "payout { id }",
        token=creator.token,
    )  # fmt: skip
    maker = create_sessionmaker(api.engine)
    await processing.run(
        maker, api.app.state.services.payouts, now=clock.now(), settings=settings,
        create_scheduled=False,
    )  # fmt: skip
    await close(api, charge)
    await credit_earnings(api.engine, creator, 30000)
    schedule = await api.mutate(
        "setPayoutSchedule", {"frequency": "WEEKLY", "weekday": 1}, "schedule { frequency }",
        token=creator.token,
    )  # fmt: skip
    assert codes(schedule) == []

    clock.advance(timedelta(days=7))
    summary = await processing.run(maker, api.app.state.services.payouts, now=clock.now(),
                                   settings=settings)  # fmt: skip

    assert (summary.scheduled, summary.paid) == (1, 1)
    assert await wallet(api, creator) == shown()  # 300.00 - 132.99 paid out, debt settled


async def test_a_lost_card_tip_takes_the_creators_share_back(api):
    creator = await sign_up(api, "star")
    await enrol(api.engine, creator, "TIPS")
    fan = await sign_up(api, "tipper")
    tip = await api.mutate(
        "sendTip",
        {"creatorId": creator.id, "amountCents": 1500, "method": "CARD", "anonymous": False,
         "idempotencyKey": new_key(), "paymentToken": SUCCESS_TOKEN},
        "tip { id }", token=fan.token,
    )  # fmt: skip
    assert codes(tip) == []
    await credit_earnings(api.engine, creator, 1000)  # from elsewhere, spent on the chargeback
    (charge,) = await charges(api, fan, PaymentPurpose.TIP)

    dispute = await close(api, charge)

    assert dispute is not None and dispute.cents_owed == 0
    assert await wallet(api, creator) == shown(earnings=1000)
    assert await chargeback_legs(api) == [
        [("platform:PAYMENT_CLEARING", 1500), (f"user:{creator.pk}:EARNINGS", -1500)]
    ]


async def test_a_lost_campaign_funding_is_a_platform_loss_and_leaves_the_escrow(api):
    brand = await make_brand(api, api.engine)
    campaign = await funded_campaign(api.engine, brand, now=START, budget_cents=50_000)
    (charge,) = await charges(api, brand, PaymentPurpose.CAMPAIGN_FUNDING)

    dispute = await close(api, charge)

    assert dispute is not None and dispute.status is DisputeStatus.LOST
    assert await chargeback_legs(api) == [
        [("platform:CHARGEBACK_LOSSES", -50_000), ("platform:PAYMENT_CLEARING", 50_000)]
    ]
    from tests.marketplace_factories import escrow_balances

    assert (await escrow_balances(api.engine, campaign))["free"] == 50_000


async def test_ledger_verify_finds_a_lost_dispute_without_its_chargeback(api):
    from reelpay.wallet import audit

    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    (charge,) = await charges(api, fan, PaymentPurpose.COIN_PURCHASE)
    dispute = await close(api, charge)
    assert dispute is not None
    async with create_sessionmaker(api.engine)() as session:
        # a CHARGEBACK transaction no dispute points to (as if a second one were posted)
        from reelpay.wallet import ledger

        async def extra() -> None:
            await ledger.post(
                session, kind=TransactionKind.CHARGEBACK, now=START,
                legs=[(ledger.platform(K.PAYMENT_CLEARING), 1),
                      (ledger.platform(K.CHARGEBACK_LOSSES), -1)],
            )  # fmt: skip

        await run_write(session, extra)
        problems = await audit.verify(session)
        assert any("belongs to no dispute" in p for p in problems), problems

        async def undo() -> None:  # leave the ledger sound for the fixture's check
            await session.execute(sa.text("DELETE FROM ledger_postings WHERE amount IN (1, -1)"))
            await session.execute(
                sa.delete(LedgerTransaction).where(
                    LedgerTransaction.kind == TransactionKind.CHARGEBACK,
                    LedgerTransaction.id != dispute.ledger_transaction_id,
                )
            )

        await run_write(session, undo)
