"""Buying Series through the API: `purchaseSeries` by card or with coins, staff refunds,
ratings and "Purchased content", on both backends.

Rules: a published Series of an enrolled, unsuspended creator is bought once (one active
purchase per buyer); coins pay ceil(cents * 70 / 99); the creator's share (price * 70 // 100)
goes to their *pending* earnings until the refund window closes (midnight UTC starting the 8th
day after the purchase day); staff refund inside the window, which revokes access and reverses
the ledger; active buyers rate 1 to 5 and only active buyers' ratings count.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.graphql.relay import encode_id
from tests.factories import (
    DECLINED_TOKEN,
    PROCESSING_ERROR_TOKEN,
    SUCCESS_TOKEN,
    User,
    buy_coins,
    decode_pk,
    enrol,
    make_staff,
    new_key,
    set_standing,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

NOW = "2026-06-15T12:00:00+00:00"
REFUNDABLE_UNTIL = "2026-06-23T00:00:00+00:00"
PURCHASE = (
    "purchase { id price { minorUnits } paidWith coins status createdAt refundableUntil "
    "refundedAt series { title } buyer { handle } } wallet { coins }"
)
WALLET = "coins earnings { minorUnits } pendingEarnings { minorUnits } history { totalCount }"
PLAYBACK = (
    "query($id: ID!) { node(id: $id) { ... on Series { viewerAccess { allowed reason } "
    "rating { count average } episodes { playback { allowed reason url expiresAt } } } } }"
)


# --- helpers -------------------------------------------------------------------------------


async def make_creator(api: Any, handle: str = "maker") -> User:
    creator = await sign_up(api, handle)
    await enrol(api.engine, creator, "SERIES")
    return creator


async def ok(api: Any, name: str, input: dict[str, Any], selection: str, user: User) -> Any:
    payload = await api.mutate(name, input, selection, token=user.token)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def make_series(
    api: Any, creator: User, cents: int = 499, title: str = "Saga", status: str = "PUBLISHED"
) -> str:
    """A Series with one episode, in `status`; returns its global ID."""
    created = await ok(
        api, "createSeries", {"title": title, "priceCents": cents}, "series { id }", creator
    )
    series_id = created["series"]["id"]
    episode = {"seriesId": series_id, "title": "Pilot", "durationSeconds": 60}
    await ok(api, "addSeriesEpisode", episode, "episode { id }", creator)
    if status != "DRAFT":
        await ok(api, "publishSeries", {"seriesId": series_id}, "series { id }", creator)
    if status == "ARCHIVED":
        await ok(api, "archiveSeries", {"seriesId": series_id}, "series { id }", creator)
    return series_id


async def buy(
    api: Any,
    buyer: User,
    series_id: str,
    paid_with: str = "COINS",
    *,
    key: str | None = None,
    token: str | None = SUCCESS_TOKEN,
) -> dict[str, Any]:
    """`token` is sent with CARD purchases only; None leaves it out."""
    input = {
        "seriesId": series_id,
        "paidWith": paid_with,
        "idempotencyKey": new_key() if key is None else key,
    }
    if paid_with == "CARD" and token is not None:
        input["paymentToken"] = token
    return await api.mutate("purchaseSeries", input, PURCHASE, token=buyer.token)


def refused(payload: dict[str, Any], code: str, field: list[str] | None = None) -> None:
    assert payload["purchase"] is None and payload["wallet"] is None, payload
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]


async def wallet(api: Any, user: User) -> dict[str, Any]:
    data = await api.data(f"{{ viewer {{ wallet {{ {WALLET} }} }} }}", token=user.token)
    return data["viewer"]["wallet"]


async def wallets(api: Any, *users: User) -> list[dict[str, Any]]:
    return [await wallet(api, u) for u in users]


def balances(coins: int = 0, pending: int = 0, entries: int = 0) -> dict[str, Any]:
    return {
        "coins": coins,
        "earnings": {"minorUnits": 0},
        "pendingEarnings": {"minorUnits": pending},
        "history": {"totalCount": entries},
    }


async def history(api: Any, user: User) -> list[tuple[str, str, int, str]]:
    query = "{ viewer { wallet { history { edges { node { kind asset amount description } } } } } }"
    data = await api.data(query, token=user.token)
    nodes = [e["node"] for e in data["viewer"]["wallet"]["history"]["edges"]]
    return [(n["kind"], n["asset"], n["amount"], n["description"]) for n in nodes]


async def purchased(api: Any, owner: User, viewer: User | None) -> Any:
    query = (
        "query($h: String!) { account(handle: $h) { purchasedSeries { totalCount "
        "edges { node { status series { title } } } } } }"
    )
    data = await api.data(query, {"h": owner.handle}, viewer.token if viewer else None)
    return data["account"]["purchasedSeries"]


def titles(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["series"]["title"] for e in connection["edges"]]


async def series_view(api: Any, series_id: str, viewer: User | None) -> dict[str, Any]:
    data = await api.data(PLAYBACK, {"id": series_id}, viewer.token if viewer else None)
    return data["node"]


async def refund(api: Any, staff: User, purchase_id: str) -> dict[str, Any]:
    return await api.mutate(
        "refundSeriesPurchase",
        {"purchaseId": purchase_id},
        "purchase { id status refundedAt }",
        token=staff.token,
    )


async def rate(api: Any, user: User, series_id: str, stars: int) -> dict[str, Any]:
    return await api.mutate(
        "rateSeries",
        {"seriesId": series_id, "stars": stars},
        "series { rating { count average } }",
        token=user.token,
    )


def provider(api: Any) -> Any:
    return api.client._transport.app.state.services.payments


def charges(api: Any) -> set[str]:
    """The provider keys of every charge attempted with a success token so far."""
    return set(provider(api)._seen)


async def rows(api: Any, sql: str) -> list[tuple[Any, ...]]:
    async with api.engine.connect() as connection:
        return [tuple(r) for r in (await connection.execute(sa.text(sql))).all()]


async def setup(api: Any, cents: int = 499, packages: tuple[int, ...] = (700,)):
    creator = await make_creator(api)
    series_id = await make_series(api, creator, cents)
    fan = await sign_up(api, "fan")
    for coins in packages:
        await buy_coins(api, fan, coins)
    return creator, series_id, fan


# --- buying ---------------------------------------------------------------------------------


async def test_coin_purchase_takes_353_coins_and_credits_349_cents_pending(api):
    creator, series_id, fan = await setup(api)

    payload = await buy(api, fan, series_id)

    assert payload["userErrors"] == []
    assert {k: v for k, v in payload["purchase"].items() if k != "id"} == {
        "price": {"minorUnits": 499},
        "paidWith": "COINS",
        "coins": 353,
        "status": "ACTIVE",
        "createdAt": NOW,
        "refundableUntil": REFUNDABLE_UNTIL,
        "refundedAt": None,
        "series": {"title": "Saga"},
        "buyer": {"handle": "fan"},
    }
    assert payload["wallet"] == {"coins": 347}
    assert await wallets(api, fan, creator) == [balances(347, 0, 2), balances(0, 349, 1)]
    assert (await history(api, fan))[0] == ("SERIES_PURCHASE", "COIN", -353, "Series: Saga")
    assert await history(api, creator) == [("SERIES_PURCHASE", "USD", 349, "Series: Saga")]
    view = await series_view(api, series_id, fan)
    assert view["viewerAccess"] == {"allowed": True, "reason": "PURCHASED"}
    assert view["episodes"][0]["playback"]["url"].startswith("/media/")


async def test_card_purchase_leaves_coins_alone_and_credits_349_cents_pending(api):
    creator, series_id, fan = await setup(api)

    payload = await buy(api, fan, series_id, "CARD")

    assert payload["userErrors"] == []
    assert payload["purchase"]["paidWith"] == "CARD"
    assert payload["purchase"]["coins"] is None
    assert payload["wallet"] == {"coins": 700}
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0, 349, 1)]
    charge = await rows(api, "SELECT provider_charge_id FROM series_purchases")
    assert len(charge) == 1 and charge[0][0].startswith("ch_sandbox_")
    assert provider(api).refunded == set()


@pytest.mark.parametrize(("cents", "coins", "share"), [(99, 70, 69), (18_999, 13_434, 13_299)])
@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_minimum_and_maximum_price_purchases(api, cents, coins, share, paid_with):
    creator, series_id, fan = await setup(api, cents, packages=(7000, 7000))

    payload = await buy(api, fan, series_id, paid_with)

    assert payload["userErrors"] == []
    assert payload["purchase"]["price"] == {"minorUnits": cents}
    left, entries = (14_000 - coins, 3) if paid_with == "COINS" else (14_000, 2)
    assert payload["purchase"]["coins"] == (coins if paid_with == "COINS" else None)
    assert await wallets(api, fan, creator) == [balances(left, 0, entries), balances(0, share, 1)]


@pytest.mark.parametrize(
    ("cents", "packages", "allowed"),
    [(99, (70,), True), (100, (70,), False), (495, (350,), True), (496, (350,), False)],
)
async def test_exact_coins_pay_and_one_coin_short_is_refused(api, cents, packages, allowed):
    # 99 -> 70 coins, 100 -> 71, 495 -> 350, 496 -> 351
    creator, series_id, fan = await setup(api, cents, packages)

    payload = await buy(api, fan, series_id)

    if allowed:
        assert payload["userErrors"] == []
        assert await wallet(api, fan) == balances(0, 0, 2)
    else:
        refused(payload, "INSUFFICIENT_COINS")
        assert await wallets(api, fan, creator) == [balances(packages[0], 0, 1), balances()]
        assert (await purchased(api, fan, fan))["totalCount"] == 0


# --- refusals -------------------------------------------------------------------------------


async def assert_nothing_moved(api: Any, fan: User, creator: User, coins: int = 700) -> None:
    assert await wallets(api, fan, creator) == [balances(coins, 0, 1), balances()]
    assert await rows(api, "SELECT id FROM series_purchases") == []
    assert provider(api).refunded == set()


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
@pytest.mark.parametrize(
    ("status", "who", "code"),
    [
        ("DRAFT", "stranger", "NOT_FOUND"),
        ("DRAFT", "staff", "SERIES_NOT_PUBLISHED"),
        ("ARCHIVED", "stranger", "SERIES_NOT_PUBLISHED"),
        ("ARCHIVED", "staff", "SERIES_NOT_PUBLISHED"),
    ],
)
async def test_only_published_series_are_sold(api, clean_db, paid_with, status, who, code):
    creator = await make_creator(api)
    series_id = await make_series(api, creator, status=status)
    fan = await (make_staff(api, clean_db, "fan") if who == "staff" else sign_up(api, "fan"))
    await buy_coins(api, fan, 700)
    charged = charges(api)

    payload = await buy(api, fan, series_id, paid_with)

    refused(payload, code, ["input", "seriesId"])
    await assert_nothing_moved(api, fan, creator)
    assert charges(api) == charged


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_buying_twice_is_refused(api, paid_with):
    creator, series_id, fan = await setup(api, packages=(700,))
    assert (await buy(api, fan, series_id, paid_with))["userErrors"] == []
    before = await wallets(api, fan, creator)
    charged = charges(api)

    again = await buy(api, fan, series_id, paid_with)

    refused(again, "ALREADY_PURCHASED", ["input", "seriesId"])
    assert await wallets(api, fan, creator) == before
    assert (await purchased(api, fan, fan))["totalCount"] == 1
    assert charges(api) == charged


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_creator_cannot_buy_their_own_series(api, paid_with):
    creator = await make_creator(api)
    series_id = await make_series(api, creator)
    await buy_coins(api, creator, 700)
    charged = charges(api)

    payload = await buy(api, creator, series_id, paid_with)

    refused(payload, "CANNOT_PAY_SELF", ["input", "seriesId"])
    assert await wallet(api, creator) == balances(700, 0, 1)
    assert charges(api) == charged


async def _ban(api, engine, creator):
    await set_standing(engine, creator, "BANNED")


async def _restrict(api, engine, creator):
    await set_standing(engine, creator, "RESTRICTED")


async def _political(api, engine, creator):
    staff = await make_staff(api, engine, "mod")
    await ok(
        api,
        "setAccountPolitical",
        {"accountId": creator.id, "isPolitical": True},
        "account { id }",
        staff,
    )


async def _unenrol(api, engine, creator):
    async with engine.begin() as connection:
        await connection.execute(
            sa.text("DELETE FROM enrolments WHERE account_id = :a"), {"a": creator.pk}
        )


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
@pytest.mark.parametrize("suspend", [_ban, _restrict, _political, _unenrol])
async def test_suspended_creator_sells_nothing(api, clean_db, paid_with, suspend):
    # Given a Series published while the creator was in good standing
    creator, series_id, fan = await setup(api)

    await suspend(api, clean_db, creator)
    charged = charges(api)
    payload = await buy(api, fan, series_id, paid_with)

    refused(payload, "CREATOR_NOT_ELIGIBLE", ["input", "seriesId"])
    await assert_nothing_moved(api, fan, creator)
    assert charges(api) == charged


@pytest.mark.parametrize(
    ("birth_date", "country", "allowed"),
    [
        ("2008-06-15", "US", True),  # 18 today
        ("2008-06-16", "US", False),  # 18 tomorrow
        ("2007-06-15", "KR", True),  # 19 today
        ("2007-06-16", "KR", False),  # 19 tomorrow
        ("2008-06-15", "KR", False),  # 18 is not enough in KR
    ],
)
@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_buyer_must_be_18_or_19_in_korea(api, birth_date, country, allowed, paid_with):
    creator = await make_creator(api)
    series_id = await make_series(api, creator)
    young = await sign_up(api, "young", birthDate=birth_date, country=country)
    if allowed and paid_with == "COINS":
        await buy_coins(api, young, 700)

    payload = await buy(api, young, series_id, paid_with)

    if allowed:
        assert payload["userErrors"] == []
        assert await wallet(api, creator) == balances(0, 349, 1)
    else:
        # Refused before the coins are even counted, and before any card is charged.
        refused(payload, "SPENDER_TOO_YOUNG")
        assert await wallets(api, young, creator) == [balances(), balances()]
        assert charges(api) == set()
        assert await rows(api, "SELECT id FROM series_purchases") == []


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "PAYMENT_METHOD_REQUIRED"),
        ("", "PAYMENT_METHOD_REQUIRED"),
        (DECLINED_TOKEN, "CARD_DECLINED"),
        (PROCESSING_ERROR_TOKEN, "PAYMENT_PROCESSING_ERROR"),
        ("tok_made_up", "INVALID_PAYMENT_TOKEN"),
    ],
)
async def test_failed_card_payment_moves_nothing(api, token, code):
    creator, series_id, fan = await setup(api)
    key = new_key()

    payload = await buy(api, fan, series_id, "CARD", key=key, token=token)

    refused(payload, code, ["input", "paymentToken"])
    await assert_nothing_moved(api, fan, creator)
    # The refusal did not consume the key: a corrected retry may reuse it.
    retried = await buy(api, fan, series_id, "CARD", key=key)
    assert retried["userErrors"] == []
    assert await wallet(api, creator) == balances(0, 349, 1)


async def test_anonymous_caller_must_log_in(api):
    creator = await make_creator(api)
    series_id = await make_series(api, creator)
    query = (
        "mutation($i: PurchaseSeriesInput!) { purchaseSeries(input: $i) { userErrors { code } } }"
    )

    error = await api.error(query, {"i": {"seriesId": series_id, "paidWith": "COINS",
                                          "idempotencyKey": "k"}})  # fmt: skip

    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await wallet(api, creator) == balances()


# --- idempotency ----------------------------------------------------------------------------


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_replay_returns_the_same_purchase_and_moves_nothing(api, clock, paid_with):
    creator, series_id, fan = await setup(api)
    first = await buy(api, fan, series_id, paid_with, key="buy-1")
    after_first = await wallets(api, fan, creator)

    clock.advance(timedelta(minutes=5))
    replay = await buy(api, fan, series_id, paid_with, key="buy-1")

    assert first["userErrors"] == []
    assert replay == first
    assert await wallets(api, fan, creator) == after_first
    assert after_first[1] == balances(0, 349, 1)
    assert len(await rows(api, "SELECT id FROM series_purchases")) == 1


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_same_key_for_another_series_is_refused(api, paid_with):
    creator, series_id, fan = await setup(api)
    other_id = await make_series(api, creator, 299, "Other")
    assert (await buy(api, fan, series_id, paid_with, key="buy-1"))["userErrors"] == []
    before = await wallets(api, fan, creator)

    payload = await buy(api, fan, other_id, paid_with, key="buy-1")

    refused(payload, "IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
    assert await wallets(api, fan, creator) == before
    assert titles(await purchased(api, fan, fan)) == ["Saga"]


# --- concurrency ----------------------------------------------------------------------------


async def raw_buy(api: Any, buyer: User, series_id: str, paid_with: str, key: str) -> str:
    """The outcome code: an unexpected error must not abort the other racers."""
    input = {"seriesId": series_id, "paidWith": paid_with, "idempotencyKey": key}
    if paid_with == "CARD":
        input["paymentToken"] = SUCCESS_TOKEN
    query = (
        "mutation($i: PurchaseSeriesInput!) { purchaseSeries(input: $i) { userErrors { code } } }"
    )
    body = await api.execute(query, {"i": input}, buyer.token)
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    return ",".join(e["code"] for e in body["data"]["purchaseSeries"]["userErrors"]) or "OK"


async def test_same_buyer_twice_at_once_with_coins_is_charged_once(api):
    creator, series_id, fan = await setup(api, packages=(700, 700))

    outcomes = await asyncio.gather(
        *(raw_buy(api, fan, series_id, "COINS", new_key()) for _ in range(2))
    )

    assert sorted(outcomes) == ["ALREADY_PURCHASED", "OK"]
    assert await wallets(api, fan, creator) == [balances(1400 - 353, 0, 3), balances(0, 349, 1)]
    assert await rows(api, "SELECT status FROM series_purchases") == [("ACTIVE",)]


async def test_same_buyer_twice_at_once_by_card_keeps_one_charge_and_refunds_the_other(api):
    creator, series_id, fan = await setup(api)

    outcomes = await asyncio.gather(
        *(raw_buy(api, fan, series_id, "CARD", new_key()) for _ in range(2))
    )

    assert sorted(outcomes) == ["ALREADY_PURCHASED", "OK"]
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0, 349, 1)]
    recorded = await rows(api, "SELECT provider_charge_id, status FROM series_purchases")
    assert len(recorded) == 1 and recorded[0][1] == "ACTIVE"
    # Every charge made is recorded (the coins in `payments`, the Series in its purchase) or
    # refunded, never both.
    made = {f"ch_sandbox_{_digest(k)}" for k in charges(api)}
    kept = recorded[0][0]
    coins = {
        r[0]
        for r in await rows(
            api, "SELECT provider_charge_id FROM payments WHERE purpose = 'COIN_PURCHASE'"
        )
    }
    assert len(coins) == 1
    # The kept Series charge has its payments row too.
    assert {r[0] for r in await rows(
        api, "SELECT provider_charge_id FROM payments WHERE purpose = 'SERIES_PURCHASE'"
    )} == {kept}  # fmt: skip
    assert len(provider(api).refunded) == 1
    assert made - coins - {kept} == provider(api).refunded
    assert not (coins | {kept}) & provider(api).refunded
    written_off = {r[0] for r in await rows(api, "SELECT provider_charge_id FROM refunded_charges")}
    assert written_off == provider(api).refunded


async def test_concurrent_replays_of_one_card_key_buy_once_and_refund_nothing(api):
    creator, series_id, fan = await setup(api)

    outcomes = await asyncio.gather(
        *(raw_buy(api, fan, series_id, "CARD", "once") for _ in range(4))
    )

    assert outcomes == ["OK"] * 4
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0, 349, 1)]
    assert len(await rows(api, "SELECT id FROM series_purchases")) == 1
    assert provider(api).refunded == set()


def _digest(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:24]


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_six_buyers_at_once_all_get_access_and_the_ledger_balances(api, paid_with):
    creator = await make_creator(api)
    series_id = await make_series(api, creator)
    fans = [await sign_up(api, f"fan{n}") for n in range(6)]
    for fan in fans:
        await buy_coins(api, fan, 700)

    outcomes = await asyncio.gather(
        *(raw_buy(api, fan, series_id, paid_with, new_key()) for fan in fans)
    )

    assert outcomes == ["OK"] * 6
    assert await wallet(api, creator) == balances(0, 6 * 349, 6)
    left, entries = (347, 2) if paid_with == "COINS" else (700, 1)
    assert await wallets(api, *fans) == [balances(left, 0, entries)] * 6
    for fan in fans:
        assert (await series_view(api, series_id, fan))["viewerAccess"]["reason"] == "PURCHASED"


# --- refunds --------------------------------------------------------------------------------


async def bought(api: Any, clean_db: Any, paid_with: str = "COINS") -> tuple[Any, ...]:
    creator, series_id, fan = await setup(api)
    payload = await buy(api, fan, series_id, paid_with)
    assert payload["userErrors"] == []
    staff = await make_staff(api, clean_db)
    return creator, series_id, fan, staff, payload["purchase"]["id"]


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_refund_on_the_last_moment_of_the_window_reverses_everything(
    api, clean_db, clock, paid_with
):
    creator, series_id, fan, staff, purchase_id = await bought(api, clean_db, paid_with)
    clock.set(datetime(2026, 6, 22, 23, 59, 59, tzinfo=UTC))  # refundableUntil - 1 s

    payload = await refund(api, staff, purchase_id)

    assert payload == {
        "purchase": {
            "id": purchase_id,
            "status": "REFUNDED",
            "refundedAt": "2026-06-22T23:59:59+00:00",
        },
        "userErrors": [],
    }
    memo = f"Refund of Series purchase {decode_pk(purchase_id)}"
    if paid_with == "COINS":
        assert await wallets(api, fan, creator) == [balances(700, 0, 3), balances(0, 0, 2)]
        assert (await history(api, fan))[0] == ("REVERSAL", "COIN", 353, memo)
    else:
        assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0, 0, 2)]
        [(charge,)] = await rows(api, "SELECT provider_charge_id FROM series_purchases")
        assert provider(api).refunded == {charge}
    assert (await history(api, creator))[0] == ("REVERSAL", "USD", -349, memo)
    view = await series_view(api, series_id, fan)
    assert view["viewerAccess"] == {"allowed": False, "reason": "REFUNDED"}
    assert view["episodes"][0]["playback"] == {
        "allowed": False,
        "reason": "REFUNDED",
        "url": None,
        "expiresAt": None,
    }
    assert await purchased(api, fan, fan) == {"totalCount": 0, "edges": []}


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_refund_at_refundable_until_is_refused(api, clean_db, clock, paid_with):
    creator, series_id, fan, staff, purchase_id = await bought(api, clean_db, paid_with)
    before = await wallets(api, fan, creator)
    clock.set(datetime(2026, 6, 23, tzinfo=UTC))

    payload = await refund(api, staff, purchase_id)

    assert payload["purchase"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("REFUND_WINDOW_CLOSED", ["input", "purchaseId"])
    ]
    assert await wallets(api, fan, creator) == before
    assert provider(api).refunded == set()
    assert (await series_view(api, series_id, fan))["viewerAccess"]["reason"] == "PURCHASED"


async def test_refunding_twice_is_refused_and_moves_nothing(api, clean_db):
    creator, _, fan, staff, purchase_id = await bought(api, clean_db)
    assert (await refund(api, staff, purchase_id))["userErrors"] == []
    before = await wallets(api, fan, creator)

    again = await refund(api, staff, purchase_id)

    assert [e["code"] for e in again["userErrors"]] == ["PURCHASE_NOT_ACTIVE"]
    assert again["purchase"] is None
    assert await wallets(api, fan, creator) == before == [balances(700, 0, 3), balances(0, 0, 2)]


@pytest.mark.parametrize("who", ["fan", "creator", "stranger", None])
async def test_only_staff_refund(api, clean_db, who):
    creator, series_id, fan, _, purchase_id = await bought(api, clean_db)
    stranger = await sign_up(api, "stranger")
    caller = {"fan": fan, "creator": creator, "stranger": stranger, None: None}[who]
    query = (
        "mutation($i: RefundSeriesPurchaseInput!) { refundSeriesPurchase(input: $i) "
        "{ userErrors { code } } }"
    )

    error = await api.error(query, {"i": {"purchaseId": purchase_id}}, caller and caller.token)

    assert error["extensions"]["code"] == ("UNAUTHENTICATED" if who is None else "FORBIDDEN")
    assert await wallets(api, fan, creator) == [balances(347, 0, 2), balances(0, 349, 1)]
    assert (await series_view(api, series_id, fan))["viewerAccess"]["reason"] == "PURCHASED"


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_two_staff_refunds_at_once_reverse_once(api, clean_db, paid_with):
    creator, _, fan, staff, purchase_id = await bought(api, clean_db, paid_with)
    query = (
        "mutation($i: RefundSeriesPurchaseInput!) { refundSeriesPurchase(input: $i) "
        "{ userErrors { code } } }"
    )

    bodies = await asyncio.gather(
        *(api.data(query, {"i": {"purchaseId": purchase_id}}, staff.token) for _ in range(3))
    )

    codes = sorted(
        ",".join(e["code"] for e in b["refundSeriesPurchase"]["userErrors"]) or "OK" for b in bodies
    )
    assert codes == ["OK", "PURCHASE_NOT_ACTIVE", "PURCHASE_NOT_ACTIVE"]
    coins, entries = (700, 3) if paid_with == "COINS" else (700, 1)
    assert await wallets(api, fan, creator) == [balances(coins, 0, entries), balances(0, 0, 2)]
    assert len(provider(api).refunded) == (1 if paid_with == "CARD" else 0)


async def test_refunding_an_unknown_purchase_is_not_found(api, clean_db):
    staff = await make_staff(api, clean_db)

    payload = await refund(api, staff, encode_id("SeriesPurchase", 999_999))

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_FOUND", ["input", "purchaseId"])
    ]


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_refunded_buyer_can_buy_again(api, clean_db, paid_with):
    creator, series_id, fan, staff, purchase_id = await bought(api, clean_db, paid_with)
    assert (await refund(api, staff, purchase_id))["userErrors"] == []

    again = await buy(api, fan, series_id, paid_with)

    assert again["userErrors"] == []
    assert again["purchase"]["id"] != purchase_id
    assert again["purchase"]["status"] == "ACTIVE"
    coins, entries = (347, 4) if paid_with == "COINS" else (700, 1)
    assert await wallets(api, fan, creator) == [balances(coins, 0, entries), balances(0, 349, 3)]
    assert (await series_view(api, series_id, fan))["viewerAccess"]["reason"] == "PURCHASED"
    assert titles(await purchased(api, fan, fan)) == ["Saga"]


# --- ratings --------------------------------------------------------------------------------


@pytest.mark.parametrize("stars", [1, 5])
async def test_buyer_rates_1_to_5(api, stars):
    _, series_id, fan = await setup(api)
    assert (await buy(api, fan, series_id))["userErrors"] == []

    payload = await rate(api, fan, series_id, stars)

    assert payload == {
        "series": {"rating": {"count": 1, "average": float(stars)}},
        "userErrors": [],
    }


@pytest.mark.parametrize("stars", [0, 6, -1])
async def test_rating_outside_1_to_5_is_refused_and_changes_nothing(api, stars):
    _, series_id, fan = await setup(api)
    assert (await buy(api, fan, series_id))["userErrors"] == []
    assert (await rate(api, fan, series_id, 3))["userErrors"] == []

    payload = await rate(api, fan, series_id, stars)

    assert payload["series"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_RATING", ["input", "stars"])
    ]
    assert (await series_view(api, series_id, None))["rating"] == {"count": 1, "average": 3.0}


@pytest.mark.parametrize("who", ["stranger", "creator"])
async def test_only_buyers_rate(api, who):
    creator, series_id, _ = await setup(api)
    rater = creator if who == "creator" else await sign_up(api, "stranger")

    payload = await rate(api, rater, series_id, 5)

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_PURCHASED", ["input", "seriesId"])
    ]
    assert (await series_view(api, series_id, None))["rating"] == {"count": 0, "average": None}


async def test_average_counts_active_buyers_once_each(api, clean_db):
    _, series_id, fan, staff, purchase_id = await bought(api, clean_db)
    other = await sign_up(api, "other")
    assert (await buy(api, other, series_id, "CARD"))["userErrors"] == []
    assert (await rate(api, fan, series_id, 2))["userErrors"] == []
    assert (await rate(api, other, series_id, 5))["userErrors"] == []

    changed = await rate(api, fan, series_id, 4)  # rating again replaces the first

    assert changed["series"]["rating"] == {"count": 2, "average": 4.5}

    assert (await refund(api, staff, purchase_id))["userErrors"] == []

    # The refunded buyer's rating no longer counts, and they cannot rate any more.
    assert (await series_view(api, series_id, None))["rating"] == {"count": 1, "average": 5.0}
    late = await rate(api, fan, series_id, 1)
    assert [e["code"] for e in late["userErrors"]] == ["NOT_PURCHASED"]
    assert (await series_view(api, series_id, other))["rating"] == {"count": 1, "average": 5.0}


# --- purchased content and node lookups -----------------------------------------------------


async def test_purchased_series_lists_active_purchases_newest_first_to_the_owner(
    api, clean_db, clock
):
    creator = await make_creator(api)
    first_id = await make_series(api, creator, 199, "First")
    second_id = await make_series(api, creator, 299, "Second")
    third_id = await make_series(api, creator, 399, "Third")
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 1400)
    staff = await make_staff(api, clean_db)
    stranger = await sign_up(api, "stranger")
    bought_ids = []
    for series_id in (first_id, second_id, third_id):
        payload = await buy(api, fan, series_id)
        assert payload["userErrors"] == []
        bought_ids.append(payload["purchase"]["id"])
        clock.advance(timedelta(minutes=1))

    assert titles(await purchased(api, fan, fan)) == ["Third", "Second", "First"]
    assert (await purchased(api, fan, fan))["totalCount"] == 3

    assert (await refund(api, staff, bought_ids[1]))["userErrors"] == []

    mine = await purchased(api, fan, fan)
    assert titles(mine) == ["Third", "First"]
    assert mine["totalCount"] == 2
    assert {e["node"]["status"] for e in mine["edges"]} == {"ACTIVE"}
    for viewer in (None, stranger, creator, staff):
        assert await purchased(api, fan, viewer) is None


async def test_a_purchase_node_is_seen_by_its_buyer_and_staff_only(api, clean_db):
    creator, _, fan, staff, purchase_id = await bought(api, clean_db)
    stranger = await sign_up(api, "stranger")
    query = (
        "query($id: ID!) { node(id: $id) { ... on SeriesPurchase { id status "
        "buyer { handle } series { title } } } }"
    )
    expected = {
        "id": purchase_id,
        "status": "ACTIVE",
        "buyer": {"handle": "fan"},
        "series": {"title": "Saga"},
    }

    for viewer in (fan, staff):
        assert (await api.data(query, {"id": purchase_id}, viewer.token))["node"] == expected
    for viewer in (None, creator, stranger):
        token = viewer.token if viewer else None
        assert (await api.data(query, {"id": purchase_id}, token))["node"] is None
