"""Tips through the API: `sendTip` by card or with coins, limits, anonymity, idempotency, races.

Rules: the creator is enrolled in the Tips program and not suspended (BANNED or RESTRICTED,
political, or a BUSINESS account; followers and age were checked when they joined); the tipper
is 18+ (19+ in KR); 100 to 10,000 cents a tip; per tipper per UTC day at most 100 tips and
50,000 cents; coins pay ceil(cents * 70 / 99); the creator receives 100% of the amount.
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
    enrol,
    make_staff,
    new_key,
    publish,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

TIP = (
    "tip { amount { currency minorUnits amount } method coins isAnonymous createdAt "
    "creator { handle } tipper { handle } } wallet { coins diamonds earnings { minorUnits } }"
)
WALLET = "coins diamonds earnings { minorUnits } history { totalCount }"
NOW = "2026-06-15T12:00:00+00:00"


REFUSAL = "This creator cannot receive tips right now."


async def make_creator(api: Any, handle: str = "star", **fields: Any) -> User:
    """A creator enrolled in the Tips program (no followers: they do not matter at tip time)."""
    creator = await sign_up(api, handle, **fields)
    await enrol(api.engine, creator, "TIPS")
    return creator


async def make_tipper(api: Any, handle: str = "fan", packages: tuple[int, ...] = (), **fields):
    tipper = await sign_up(api, handle, **fields)
    for coins in packages:
        await buy_coins(api, tipper, coins)
    return tipper


async def tip(
    api: Any,
    tipper: User,
    creator_id: str,
    cents: int,
    method: str = "COINS",
    *,
    key: str | None = None,
    anonymous: bool = False,
    token: str | None = SUCCESS_TOKEN,
) -> dict[str, Any]:
    """`token` is sent with CARD tips only; None leaves the field out."""
    input = {
        "creatorId": creator_id,
        "amountCents": cents,
        "method": method,
        "anonymous": anonymous,
        "idempotencyKey": new_key() if key is None else key,
    }
    if method == "CARD" and token is not None:
        input["paymentToken"] = token
    return await api.mutate("sendTip", input, TIP, token=tipper.token)


async def card_tip(api: Any, tipper: User, creator_id: str, cents: int, **kw: Any):
    return await tip(api, tipper, creator_id, cents, "CARD", **kw)


async def raw_tip(api: Any, bearer: str | None, creator_id: str, cents: int, method: str, key: str):
    """The whole response body: an unexpected error must not abort the other racers."""
    input = {
        "creatorId": creator_id,
        "amountCents": cents,
        "method": method,
        "idempotencyKey": key,
        "paymentToken": SUCCESS_TOKEN if method == "CARD" else None,
    }
    query = "mutation($i: SendTipInput!) { sendTip(input: $i) { userErrors { code } } }"
    return await api.execute(query, {"i": input}, bearer)


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    return ",".join(e["code"] for e in body["data"]["sendTip"]["userErrors"]) or "OK"


async def wallet(api: Any, user: User) -> dict[str, Any]:
    data = await api.data(f"{{ viewer {{ wallet {{ {WALLET} }} }} }}", token=user.token)
    return data["viewer"]["wallet"]


async def wallets(api: Any, *users: User) -> list[dict[str, Any]]:
    return [await wallet(api, u) for u in users]


def balances(coins: int, earnings: int = 0, entries: int = 0) -> dict[str, Any]:
    return {
        "coins": coins,
        "diamonds": 0,
        "earnings": {"minorUnits": earnings},
        "history": {"totalCount": entries},
    }


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def refused(payload: dict[str, Any], code: str, field: list[str] | None = None) -> None:
    assert payload["tip"] is None and payload["wallet"] is None, payload
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]


async def history(api: Any, user: User) -> list[dict[str, Any]]:
    query = "{ viewer { wallet { history { edges { node { kind asset amount description } } } } } }"
    data = await api.data(query, token=user.token)
    return [e["node"] for e in data["viewer"]["wallet"]["history"]["edges"]]


def entry(asset: str, amount: int, description: str) -> dict[str, Any]:
    return {"kind": "TIP", "asset": asset, "amount": amount, "description": description}


def tips_only(cents: int) -> dict[str, int]:
    """earningsBySource lists every source, zeros included."""
    return {"REWARDS": 0, "GIFTS": 0, "TIPS": cents, "SERIES": 0, "MARKETPLACE": 0}


async def by_source(api: Any, user: User) -> dict[str, int]:
    query = "{ viewer { wallet { earningsBySource { source amount { minorUnits } } } } }"
    data = await api.data(query, token=user.token)
    rows = data["viewer"]["wallet"]["earningsBySource"]
    return {r["source"]: r["amount"]["minorUnits"] for r in rows}


# --- tipOptions ------------------------------------------------------------------------------


async def test_tip_options_lists_presets_and_limits_to_anyone(api):
    data = await api.data(
        "{ tipOptions { presets { currency minorUnits amount } minimum { minorUnits amount } "
        "maximum { minorUnits amount } dailyMaximum { minorUnits amount } dailyCountMaximum } }"
    )

    assert data["tipOptions"] == {
        "presets": [
            {"currency": "USD", "minorUnits": 500, "amount": "5.00"},
            {"currency": "USD", "minorUnits": 1000, "amount": "10.00"},
            {"currency": "USD", "minorUnits": 1500, "amount": "15.00"},
        ],
        "minimum": {"minorUnits": 100, "amount": "1.00"},
        "maximum": {"minorUnits": 10000, "amount": "100.00"},
        "dailyMaximum": {"minorUnits": 50000, "amount": "500.00"},
        "dailyCountMaximum": 100,
    }


# --- paying --------------------------------------------------------------------------------


async def test_coin_tip_moves_coins_and_credits_the_creator_in_full(api):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(700,))

    payload = await tip(api, fan, creator.id, 500)

    assert payload == {
        "tip": {
            "amount": {"currency": "USD", "minorUnits": 500, "amount": "5.00"},
            "method": "COINS",
            "coins": 354,
            "isAnonymous": False,
            "createdAt": NOW,
            "creator": {"handle": "star"},
            "tipper": {"handle": "fan"},
        },
        "wallet": {"coins": 346, "diamonds": 0, "earnings": {"minorUnits": 0}},
        "userErrors": [],
    }
    assert await wallets(api, fan, creator) == [balances(346, 0, 2), balances(0, 500, 1)]
    assert await by_source(api, creator) == tips_only(500)
    assert (await history(api, fan))[0] == entry("COIN", -354, "Tip of 5.00 USD")
    assert await history(api, creator) == [entry("USD", 500, "Tip of 5.00 USD")]


@pytest.mark.parametrize(
    ("cents", "coins"),
    [(100, 71), (198, 140), (495, 350), (496, 351), (1000, 708), (1500, 1061), (10_000, 7071)],
)
async def test_coin_price_of_a_tip_is_ceil_cents_times_70_over_99(api, cents, coins):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(7000, 350))

    payload = await tip(api, fan, creator.id, cents)

    assert payload["userErrors"] == []
    assert payload["tip"]["coins"] == coins
    assert await wallets(api, fan, creator) == [
        balances(7350 - coins, 0, 3),
        balances(0, cents, 1),
    ]


async def test_card_tip_credits_the_creator_and_takes_no_coins(api):
    creator = await make_creator(api)
    fan = await make_tipper(api)

    payload = await card_tip(api, fan, creator.id, 1500)

    assert payload["userErrors"] == []
    assert payload["tip"]["method"] == "CARD"
    assert payload["tip"]["coins"] is None
    assert payload["tip"]["amount"]["minorUnits"] == 1500
    assert await wallets(api, fan, creator) == [balances(0), balances(0, 1500, 1)]
    assert await by_source(api, creator) == tips_only(1500)


async def test_exact_coin_balance_pays_and_one_coin_short_is_refused(api):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(350,))
    key = new_key()

    short = await tip(api, fan, creator.id, 496, key=key)  # 351 coins

    refused(short, "INSUFFICIENT_COINS")
    assert await wallets(api, fan, creator) == [balances(350, 0, 1), balances(0)]

    # The refusal did not consume the key: a corrected request may reuse it.
    exact = await tip(api, fan, creator.id, 495, key=key)  # 350 coins

    assert exact["userErrors"] == []
    assert await wallets(api, fan, creator) == [balances(0, 0, 2), balances(0, 495, 1)]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("cents", [99, 10_001, 0, -500])
@pytest.mark.parametrize("method", ["COINS", "CARD"])
async def test_amount_outside_100_to_10000_cents_is_refused(api, cents, method):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(7000, 3500))

    payload = await tip(api, fan, creator.id, cents, method)

    refused(payload, "INVALID_AMOUNT", ["input", "amountCents"])
    assert await wallets(api, fan, creator) == [balances(10500, 0, 2), balances(0)]


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
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(700,))

    payload = await card_tip(api, fan, creator.id, 500, token=token)

    refused(payload, code, ["input", "paymentToken"])
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0)]


async def test_declined_card_does_not_consume_the_key(api):
    creator = await make_creator(api)
    fan = await make_tipper(api)

    declined = await card_tip(api, fan, creator.id, 500, key="tip-1", token=DECLINED_TOKEN)
    retried = await card_tip(api, fan, creator.id, 500, key="tip-1")

    assert codes(declined) == ["CARD_DECLINED"]
    assert retried["userErrors"] == []
    assert await wallets(api, fan, creator) == [balances(0), balances(0, 500, 1)]


@pytest.mark.parametrize(
    ("birth_date", "country", "allowed"),
    [
        ("2008-06-15", "US", True),  # 18 today
        ("2008-06-16", "US", False),  # 18 tomorrow
        ("2007-06-15", "KR", True),  # 19 today
        ("2007-06-16", "KR", False),  # 19 tomorrow
        ("2008-06-15", "KR", False),
    ],
)
async def test_tipper_must_be_18_or_19_in_korea(api, birth_date, country, allowed):
    creator = await make_creator(api)
    fan = await make_tipper(api, birthDate=birth_date, country=country)

    payload = await card_tip(api, fan, creator.id, 500)

    if allowed:
        assert payload["userErrors"] == []
        assert await wallets(api, fan, creator) == [balances(0), balances(0, 500, 1)]
    else:
        refused(payload, "SPENDER_TOO_YOUNG")
        assert await wallets(api, fan, creator) == [balances(0), balances(0)]


async def switch_type(api: Any, user: User, to: str) -> None:
    p = await api.mutate("switchAccountType", {"accountType": to}, "account { id }", user.token)
    assert p["userErrors"] == []


async def staff_sets(api: Any, staff: User, creator: User, mutation: str, **value: Any) -> None:
    payload = await api.mutate(
        mutation, {"accountId": creator.id, **value}, "account { id }", token=staff.token
    )
    assert payload["userErrors"] == []


def not_eligible(payload: dict[str, Any]) -> None:
    refused(payload, "CREATOR_NOT_ELIGIBLE", ["input", "creatorId"])
    assert payload["userErrors"][0]["message"] == REFUSAL


@pytest.mark.parametrize("method", ["COINS", "CARD"])
async def test_creator_must_be_enrolled_in_tips(api, method):
    # Given an adult creator enrolled in other programs but not in Tips
    creator = await sign_up(api, "star")
    await enrol(api.engine, creator, "LIVE_GIFTS", "CREATOR_REWARDS")
    fan = await make_tipper(api, packages=(700,))

    not_eligible(await tip(api, fan, creator.id, 500, method))
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0)]

    await enrol(api.engine, creator, "TIPS")
    payload = await tip(api, fan, creator.id, 500, method)

    assert payload["userErrors"] == []
    coins, entries = (346, 2) if method == "COINS" else (700, 1)
    assert await wallets(api, fan, creator) == [balances(coins, 0, entries), balances(0, 500, 1)]


@pytest.mark.parametrize(
    ("mutation", "suspend", "restore"),
    [
        ("setAccountStanding", {"standing": "BANNED"}, {"standing": "GOOD"}),
        ("setAccountStanding", {"standing": "RESTRICTED"}, {"standing": "GOOD"}),
        ("setAccountPolitical", {"isPolitical": True}, {"isPolitical": False}),
    ],
)
async def test_suspended_creator_cannot_be_tipped_until_restored(
    api, clean_db, mutation, suspend, restore
):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(700,))
    staff = await make_staff(api, clean_db)
    assert (await tip(api, fan, creator.id, 100, "CARD"))["userErrors"] == []

    await staff_sets(api, staff, creator, mutation, **suspend)
    suspended = await tip(api, fan, creator.id, 500)

    not_eligible(suspended)
    # Nothing moved, and the tip already earned stays.
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0, 100, 1)]

    await staff_sets(api, staff, creator, mutation, **restore)
    resumed = await tip(api, fan, creator.id, 500)

    assert resumed["userErrors"] == []
    assert await wallets(api, fan, creator) == [balances(346, 0, 2), balances(0, 600, 2)]


async def test_warned_creator_can_still_be_tipped(api, clean_db):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(700,))
    staff = await make_staff(api, clean_db)
    await staff_sets(api, staff, creator, "setAccountStanding", standing="WARNED")

    payload = await tip(api, fan, creator.id, 500)

    assert payload["userErrors"] == []
    assert await wallets(api, fan, creator) == [balances(346, 0, 2), balances(0, 500, 1)]


async def test_business_account_cannot_be_tipped_until_it_is_personal_again(api):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(700,))

    await switch_type(api, creator, "BUSINESS")
    as_business = await tip(api, fan, creator.id, 500, method="CARD")

    not_eligible(as_business)
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0)]

    await switch_type(api, creator, "PERSONAL")
    as_personal = await tip(api, fan, creator.id, 500, method="CARD")

    assert as_personal["userErrors"] == []
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0, 500, 1)]


async def test_nobody_can_tip_themselves(api):
    creator = await make_creator(api)
    await buy_coins(api, creator, 700)

    payload = await tip(api, creator, creator.id, 500)

    refused(payload, "CANNOT_PAY_SELF", ["input", "creatorId"])
    assert await wallet(api, creator) == balances(700, 0, 1)


async def test_unknown_creator_is_not_found_and_other_ids_are_invalid(api):
    fan = await make_tipper(api, packages=(700,))
    video = await publish(api, fan)

    missing = await tip(api, fan, encode_id("Account", 999_999), 500)
    a_video = await tip(api, fan, video, 500)

    refused(missing, "NOT_FOUND", ["input", "creatorId"])
    refused(a_video, "INVALID_ID", ["input", "creatorId"])
    assert await wallet(api, fan) == balances(700, 0, 1)


async def test_anonymous_caller_must_log_in(api):
    creator = await make_creator(api)

    body = await raw_tip(api, None, creator.id, 500, "CARD", "k")

    assert outcome(body) == "UNAUTHENTICATED"
    assert await wallet(api, creator) == balances(0)


# --- daily limits ----------------------------------------------------------------------------


async def test_daily_amount_limit_is_50000_cents_across_creators_and_methods(api, clock):
    star = await make_creator(api, "star")
    other = await make_creator(api, "other")
    fan = await make_tipper(api, packages=(7000, 7000, 7000))
    for creator, method in [(star, "CARD"), (other, "COINS"), (star, "COINS"), (other, "CARD")]:
        assert (await tip(api, fan, creator.id, 10_000, method))["userErrors"] == []
    assert (await tip(api, fan, star.id, 9900, "CARD"))["userErrors"] == []  # 49,900
    before = await wallets(api, fan, star, other)

    one_cent_over = await tip(api, fan, star.id, 101, "CARD")

    refused(one_cent_over, "TIP_LIMIT_EXCEEDED", ["input", "amountCents"])
    assert await wallets(api, fan, star, other) == before

    exactly = await tip(api, fan, other.id, 100)  # 50,000

    assert exactly["userErrors"] == []
    assert await wallets(api, fan, star, other) == [
        balances(21_000 - 2 * 7071 - 71, 0, 6),
        balances(0, 29_900, 3),
        balances(0, 20_100, 3),
    ]
    after_limit = await wallets(api, fan, star, other)

    clock.set(datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC))
    still_today = await tip(api, fan, star.id, 100, "CARD")

    refused(still_today, "TIP_LIMIT_EXCEEDED", ["input", "amountCents"])
    assert await wallets(api, fan, star, other) == after_limit

    clock.advance(timedelta(seconds=1))  # 2026-06-16T00:00Z: a new UTC day
    tomorrow = await tip(api, fan, star.id, 10_000, "CARD")

    assert tomorrow["userErrors"] == []
    assert (await wallet(api, star))["earnings"] == {"minorUnits": 39_900}


async def test_daily_count_limit_is_100_tips(api, clock):
    star = await make_creator(api)
    fan = await make_tipper(api, packages=(7000, 350))
    rival = await make_tipper(api, "rival")

    for n in range(100):
        method = "COINS" if n % 2 else "CARD"
        assert (await tip(api, fan, star.id, 100, method))["userErrors"] == [], n
    before = await wallets(api, fan, star)
    assert before == [balances(7350 - 50 * 71, 0, 52), balances(0, 10_000, 100)]

    the_101st = await tip(api, fan, star.id, 100)

    refused(the_101st, "TIP_LIMIT_EXCEEDED")
    assert await wallets(api, fan, star) == before
    # The limit is per tipper.
    assert (await card_tip(api, rival, star.id, 100))["userErrors"] == []

    clock.advance(timedelta(hours=12))  # 2026-06-16T00:00Z
    next_day = await tip(api, fan, star.id, 100)

    assert next_day["userErrors"] == []
    assert await wallets(api, fan, star) == [
        balances(7350 - 51 * 71, 0, 53),
        balances(0, 10_200, 102),
    ]


# --- anonymity -------------------------------------------------------------------------------


async def tips_received(api: Any, handle: str, viewer: User | None) -> Any:
    query = (
        "query($h: String!) { account(handle: $h) { tipsReceived { totalCount edges { node { "
        "amount { minorUnits } isAnonymous tipper { handle } } } } } }"
    )
    data = await api.data(query, {"h": handle}, token=viewer.token if viewer else None)
    return data["account"]["tipsReceived"]


def received(*tips: tuple[int, bool, str | None]) -> dict[str, Any]:
    nodes = [
        {
            "amount": {"minorUnits": cents},
            "isAnonymous": anonymous,
            "tipper": {"handle": tipper} if tipper else None,
        }
        for cents, anonymous, tipper in tips
    ]
    return {"totalCount": len(nodes), "edges": [{"node": n} for n in nodes]}


async def test_anonymous_tipper_is_hidden_from_the_creator_and_shown_to_staff(api, clean_db):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(1400,))
    shy = await make_tipper(api, "shy", packages=(1400,))
    staff = await make_staff(api, clean_db)
    stranger = await sign_up(api, "stranger")
    assert (await tip(api, fan, creator.id, 500))["userErrors"] == []

    payload = await tip(api, shy, creator.id, 1000, anonymous=True)

    # The tipper sees their own name on the anonymous tip.
    assert payload["userErrors"] == []
    assert payload["tip"]["isAnonymous"] is True
    assert payload["tip"]["tipper"] == {"handle": "shy"}
    # Newest first; the creator does not learn who sent the anonymous tip.
    assert await tips_received(api, "star", creator) == received(
        (1000, True, None), (500, False, "fan")
    )
    # Staff always see the tipper.
    assert await tips_received(api, "star", staff) == received(
        (1000, True, "shy"), (500, False, "fan")
    )
    # Nobody else sees the list, not even the tippers.
    for viewer in (None, stranger, fan, shy):
        assert await tips_received(api, "star", viewer) is None
    # The creator's wallet history names nobody either.
    assert (await history(api, creator))[0] == entry("USD", 1000, "Tip of 10.00 USD")


# --- idempotency -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["COINS", "CARD"])
async def test_replaying_a_tip_returns_the_first_result_and_moves_nothing(api, clock, method):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(700,))
    first = await tip(api, fan, creator.id, 500, method, key="tip-1", anonymous=True)
    after_first = await wallets(api, fan, creator)

    clock.advance(timedelta(minutes=5))
    replay = await tip(api, fan, creator.id, 500, method, key="tip-1", anonymous=True)

    assert first["userErrors"] == []
    assert replay == first  # same tip, same createdAt
    assert replay["tip"]["createdAt"] == NOW
    assert await wallets(api, fan, creator) == after_first
    assert after_first[1] == balances(0, 500, 1)


@pytest.mark.parametrize(
    "change",
    [{"cents": 501}, {"anonymous": True}, {"method": "CARD"}, {"creator": "other"}],
)
async def test_reusing_a_key_for_another_tip_is_refused(api, change):
    star = await make_creator(api, "star")
    other = await make_creator(api, "other")
    fan = await make_tipper(api, packages=(700,))
    assert (await tip(api, fan, star.id, 500, key="tip-1"))["userErrors"] == []
    before = await wallets(api, fan, star, other)
    creator = other if change.get("creator") else star

    payload = await tip(
        api,
        fan,
        creator.id,
        change.get("cents", 500),
        change.get("method", "COINS"),
        key="tip-1",
        anonymous=change.get("anonymous", False),
    )

    refused(payload, "IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
    assert await wallets(api, fan, star, other) == before


async def test_keys_belong_to_their_tipper(api):
    creator = await make_creator(api)
    alice = await make_tipper(api, "alice", packages=(700,))
    bob = await make_tipper(api, "bob", packages=(700,))

    from_alice = await tip(api, alice, creator.id, 500, key="same")
    from_bob = await tip(api, bob, creator.id, 100, key="same")

    assert from_alice["tip"]["tipper"] == {"handle": "alice"}
    assert from_bob["tip"]["tipper"] == {"handle": "bob"}
    assert await wallets(api, alice, bob, creator) == [
        balances(346, 0, 2),
        balances(629, 0, 2),
        balances(0, 600, 2),
    ]


@pytest.mark.parametrize("key", ["", " padded ", "x" * 129])
async def test_malformed_key_is_refused(api, key):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(700,))

    payload = await tip(api, fan, creator.id, 500, key=key)

    refused(payload, "INVALID_IDEMPOTENCY_KEY", ["input", "idempotencyKey"])
    assert await wallets(api, fan, creator) == [balances(700, 0, 1), balances(0)]


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["COINS", "CARD"])
async def test_concurrent_tips_cannot_pass_the_daily_amount_limit(api, method):
    # On PostgreSQL these once deadlocked (a FOR UPDATE against the KEY SHARE locks that
    # inserting the idempotency key takes); see accounts.service.lock_parties.
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(7000,) * 9)

    bodies = await asyncio.gather(
        *(raw_tip(api, fan.token, creator.id, 10_000, method, new_key()) for _ in range(8))
    )

    assert sorted(outcome(b) for b in bodies) == ["OK"] * 5 + ["TIP_LIMIT_EXCEEDED"] * 3
    spent = 5 * 7071 if method == "COINS" else 0
    assert await wallets(api, fan, creator) == [
        balances(63_000 - spent, 0, 9 + (5 if method == "COINS" else 0)),
        balances(0, 50_000, 5),
    ]
    assert await by_source(api, creator) == tips_only(50_000)
    if method == "CARD":
        # Every card charged is either recorded as a tip or refunded, never both or neither.
        provider = api.client._transport.app.state.services.payments
        async with api.engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text("SELECT provider_charge_id, purpose FROM payments")
                )
            ).all()
        recorded = {charge for charge, _ in rows}
        charged = {f"ch_sandbox_{_digest(key)}" for key in provider._seen}
        assert sum(1 for _, purpose in rows if purpose == "TIP") == 5
        assert recorded | provider.refunded == charged
        assert not recorded & provider.refunded


def _digest(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:24]


@pytest.mark.parametrize("method", ["COINS", "CARD"])
async def test_concurrent_replays_of_one_key_tip_once(api, method):
    creator = await make_creator(api)
    fan = await make_tipper(api, packages=(700,))

    payloads = await asyncio.gather(
        *(tip(api, fan, creator.id, 500, method, key="once") for _ in range(6))
    )

    assert [codes(p) for p in payloads] == [[]] * 6
    assert {p["tip"]["createdAt"] for p in payloads} == {NOW}
    coins_left = 346 if method == "COINS" else 700
    assert await wallets(api, fan, creator) == [
        balances(coins_left, 0, 2 if method == "COINS" else 1),
        balances(0, 500, 1),
    ]


async def test_no_database_connection_is_held_while_a_card_tip_is_charged(api):
    creator = await make_creator(api)
    fan = await make_tipper(api)
    services = api.client._transport.app.state.services
    sandbox = services.payments
    held: list[int] = []

    class Watching:
        name = sandbox.name

        async def charge(self, request):
            held.append(api.engine.pool.checkedout())
            return await sandbox.charge(request)

        async def refund(self, charge_id):
            await sandbox.refund(charge_id)

    services.payments = Watching()
    payload = await tip(api, fan, creator.id, 500, "CARD", token=SUCCESS_TOKEN)
    assert payload["userErrors"] == []
    assert held == [0]
