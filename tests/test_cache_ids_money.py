"""Normalised client caches stay right after money moves, and tips take a MoneyInput.

Wallet, CoinPurchase, GiftSent and Tip are Nodes: each mutation that changes them returns them
with the same `id` and the same values a fresh query returns, and `node(id:)` shows them to
exactly the people their other paths show them to. `sendTip` takes `amount: MoneyInput` or the
deprecated `amountCents`, exactly one.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import (
    SUCCESS_TOKEN,
    User,
    buy_coins,
    enrol,
    make_staff,
    new_key,
    package_id,
    publish,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

WALLET = (
    "id coins diamonds earnings { amount currency minorUnits } pendingEarnings { minorUnits } "
    "inPayout { minorUnits } paidOut { minorUnits } "
    "history(first: 5) { totalCount edges { node { kind asset amount balanceAfter } } }"
)
PURCHASE = "id coins price { amount currency minorUnits } createdAt"
GIFT_SENT = "id quantity coins diamonds createdAt live { id giftTotals { gifts coins diamonds } }"
TIP = "id amount { amount currency minorUnits } method coins isAnonymous createdAt"


async def viewer_wallet(api: Any, user: User) -> dict[str, Any]:
    data = await api.data(f"{{ viewer {{ wallet {{ {WALLET} }} }} }}", token=user.token)
    return data["viewer"]["wallet"]


async def node(api: Any, global_id: str, fragment: str, user: User | None) -> Any:
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on {fragment} }} }}"
    data = await api.data(query, {"id": global_id}, token=user.token if user else None)
    return data["node"]


async def gift_id(api: Any, name: str) -> str:
    found = (await api.data("{ gifts { id name } }"))["gifts"]
    return next(g["id"] for g in found if g["name"] == name)


# --- Wallet as a Node ------------------------------------------------------------------------


async def test_wallet_id_is_stable_distinct_and_only_its_owner_and_staff_get_it(api, clean_db):
    owner = await sign_up(api, "owner")
    other = await sign_up(api, "other")
    staff = await make_staff(api, clean_db)
    first = await viewer_wallet(api, owner)
    await buy_coins(api, owner, 70)
    again = await viewer_wallet(api, owner)
    assert again["id"] == first["id"] != owner.id
    assert (first["coins"], again["coins"]) == (0, 70)
    query = "query($h: String!) { account(handle: $h) { wallet { id coins } } }"
    as_staff = await api.data(query, {"h": "owner"}, token=staff.token)
    assert as_staff["account"]["wallet"] == {"id": first["id"], "coins": 70}

    fragment = f"Wallet {{ {WALLET} }}"
    assert await node(api, first["id"], fragment, owner) == again
    assert await node(api, first["id"], fragment, staff) == again
    assert await node(api, first["id"], fragment, other) is None
    assert await node(api, first["id"], fragment, None) is None


# --- payloads return what they changed, as a fresh read shows it ----------------------------


async def test_purchase_coins_returns_the_purchase_and_the_wallet_as_fresh_reads_show_them(
    api, clean_db
):
    buyer = await sign_up(api, "buyer")
    other = await sign_up(api, "other")
    staff = await make_staff(api, clean_db)
    await buy_coins(api, buyer, 70)
    payload = await api.mutate(
        "purchaseCoins",
        {"packageId": package_id(700), "paymentToken": SUCCESS_TOKEN, "idempotencyKey": "k1"},
        f"purchase {{ {PURCHASE} }} wallet {{ {WALLET} }}",
        token=buyer.token,
    )
    assert payload["userErrors"] == []
    assert payload["wallet"] == await viewer_wallet(api, buyer)
    assert payload["wallet"]["coins"] == 770
    purchase = payload["purchase"]
    assert purchase["coins"] == 700
    assert purchase["price"] == {"amount": "9.99", "currency": "USD", "minorUnits": 999}

    fragment = f"CoinPurchase {{ {PURCHASE} }}"
    assert await node(api, purchase["id"], fragment, buyer) == purchase
    assert await node(api, purchase["id"], fragment, staff) == purchase
    assert await node(api, purchase["id"], fragment, other) is None
    assert await node(api, purchase["id"], fragment, None) is None


async def test_send_gift_returns_the_gift_the_live_and_the_wallet_as_fresh_reads_show_them(
    api, clean_db
):
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    stranger = await sign_up(api, "stranger")
    await enrol(clean_db, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 700)
    started = await api.mutate("startLive", {"title": "On air"}, "live { id }", token=creator.token)
    live_id = started["live"]["id"]
    payload = await api.mutate(
        "sendGift",
        {"giftId": await gift_id(api, "Rosa"), "quantity": 3, "liveId": live_id,
         "idempotencyKey": new_key()},
        f"gift {{ {GIFT_SENT} }} wallet {{ {WALLET} }}",
        token=fan.token,
    )  # fmt: skip
    assert payload["userErrors"] == []
    assert payload["wallet"] == await viewer_wallet(api, fan)
    assert payload["wallet"]["coins"] == 670
    sent = payload["gift"]
    assert (sent["quantity"], sent["coins"], sent["diamonds"]) == (3, 30, 30)
    assert sent["live"] == {"id": live_id, "giftTotals": {"gifts": 3, "coins": 30, "diamonds": 30}}
    live = await node(api, live_id, "LiveStream { id giftTotals { gifts coins diamonds } }", fan)
    assert live == sent["live"]

    fragment = f"GiftSent {{ {GIFT_SENT} }}"
    # The sender, the creator, and (a LIVE's gifts are broadcast) anyone who can see the LIVE.
    for who in (fan, creator, stranger, None):
        assert await node(api, sent["id"], fragment, who) == sent


async def test_a_gift_to_a_video_is_seen_by_its_sender_creator_and_staff_only(api, clean_db):
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    stranger = await sign_up(api, "stranger")
    staff = await make_staff(api, clean_db)
    await enrol(clean_db, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 70)
    video_id = await publish(api, creator)
    payload = await api.mutate(
        "sendGift",
        {"giftId": await gift_id(api, "Rose"), "videoId": video_id, "idempotencyKey": new_key()},
        "gift { id coins } wallet { id coins }",
        token=fan.token,
    )
    assert payload["userErrors"] == []
    assert payload["wallet"] == {"id": (await viewer_wallet(api, fan))["id"], "coins": 69}
    sent = payload["gift"]
    for who in (fan, creator, staff):
        assert await node(api, sent["id"], "GiftSent { id coins }", who) == sent
    assert await node(api, sent["id"], "GiftSent { id coins }", stranger) is None
    assert await node(api, sent["id"], "GiftSent { id coins }", None) is None


async def test_redeem_diamonds_returns_the_wallet_as_a_fresh_read_shows_it(api, clean_db):
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    await enrol(clean_db, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 70)
    video_id = await publish(api, creator)
    gift = {"giftId": await gift_id(api, "Rosa"), "videoId": video_id, "quantity": 5}
    sent = await api.mutate(
        "sendGift", {**gift, "idempotencyKey": new_key()}, "gift { id }", token=fan.token
    )
    assert sent["userErrors"] == []
    payload = await api.mutate(
        "redeemDiamonds",
        {"idempotencyKey": new_key()},
        f"diamondsRedeemed earningsAdded {{ minorUnits }} wallet {{ {WALLET} }}",
        token=creator.token,
    )
    assert payload["userErrors"] == []
    assert (payload["diamondsRedeemed"], payload["earningsAdded"]) == (50, {"minorUnits": 25})
    assert payload["wallet"] == await viewer_wallet(api, creator)
    assert (payload["wallet"]["diamonds"], payload["wallet"]["earnings"]["minorUnits"]) == (0, 25)


# --- tips: Node, payload, and MoneyInput --------------------------------------------------


async def tip_pair(api: Any, engine: Any) -> tuple[User, User]:
    creator = await sign_up(api, "star")
    await enrol(engine, creator, "TIPS")
    tipper = await sign_up(api, "fan")
    await buy_coins(api, tipper, 700)
    return creator, tipper


def tip_input(creator: User, amount: Any, method: str = "COINS", **extra: Any) -> dict[str, Any]:
    """`amount` is a decimal string (sent as MoneyInput) or an int (sent as amountCents)."""
    input: dict[str, Any] = {"creatorId": creator.id, "method": method, **extra}
    if isinstance(amount, str):
        input["amount"] = {"amount": amount, "currency": "USD"}
    else:
        input["amountCents"] = amount
    if method == "CARD":
        input["paymentToken"] = SUCCESS_TOKEN
    input.setdefault("idempotencyKey", new_key())
    return input


async def send_tip(api: Any, tipper: User, input: dict[str, Any]) -> dict[str, Any]:
    return await api.mutate(
        "sendTip", input, f"tip {{ {TIP} }} wallet {{ {WALLET} }}", token=tipper.token
    )


@pytest.mark.parametrize("method", ["COINS", "CARD"])
@pytest.mark.parametrize("amount", ["5.00", "5", 500])
async def test_both_amount_forms_tip_the_same_and_payloads_match_fresh_reads(
    api, clean_db, amount, method
):
    creator, tipper = await tip_pair(api, clean_db)
    payload = await send_tip(api, tipper, tip_input(creator, amount, method))
    assert payload["userErrors"] == []
    tip = payload["tip"]
    assert tip["amount"] == {"amount": "5.00", "currency": "USD", "minorUnits": 500}
    # ceil(500 * 70 / 99) = 354 coins
    assert (tip["method"], tip["coins"]) == ((method, 354) if method == "COINS" else (method, None))
    assert payload["wallet"] == await viewer_wallet(api, tipper)
    assert payload["wallet"]["coins"] == (346 if method == "COINS" else 700)
    earnings = (await viewer_wallet(api, creator))["earnings"]
    assert earnings == {"amount": "5.00", "currency": "USD", "minorUnits": 500}

    received = await api.data(
        "{ viewer { tipsReceived { edges { node { id } } } } }", token=creator.token
    )
    assert received["viewer"]["tipsReceived"]["edges"] == [{"node": {"id": tip["id"]}}]
    assert await node(api, tip["id"], f"Tip {{ {TIP} }}", tipper) == tip
    assert await node(api, tip["id"], f"Tip {{ {TIP} }}", creator) == tip


async def test_a_tip_is_hidden_through_node_from_others_and_anonymous_callers(api, clean_db):
    creator, tipper = await tip_pair(api, clean_db)
    stranger = await sign_up(api, "stranger")
    staff = await make_staff(api, clean_db)
    tip = (await send_tip(api, tipper, tip_input(creator, "1.00")))["tip"]
    assert await node(api, tip["id"], "Tip { id }", staff) == {"id": tip["id"]}
    assert await node(api, tip["id"], "Tip { id }", stranger) is None
    assert await node(api, tip["id"], "Tip { id }", None) is None


async def test_replaying_a_tip_key_in_the_other_form_is_the_same_tip(api, clean_db):
    creator, tipper = await tip_pair(api, clean_db)
    first = await send_tip(api, tipper, tip_input(creator, "2.50", idempotencyKey="same"))
    again = await send_tip(api, tipper, tip_input(creator, 250, idempotencyKey="same"))
    assert first["userErrors"] == again["userErrors"] == []
    assert again["tip"] == first["tip"]
    assert again["wallet"] == first["wallet"] == await viewer_wallet(api, tipper)
    assert first["wallet"]["history"]["totalCount"] == 2  # the purchase and one tip


AMOUNT = ["input", "amount"]


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("1.00", None),
        ("100.00", None),
        (100, None),
        (10000, None),
        ("0.99", ("INVALID_AMOUNT", AMOUNT)),
        ("100.01", ("INVALID_AMOUNT", AMOUNT)),
        (99, ("INVALID_AMOUNT", ["input", "amountCents"])),
        (10001, ("INVALID_AMOUNT", ["input", "amountCents"])),
    ],
)
async def test_tip_amount_boundaries_in_both_forms(api, clean_db, amount, error):
    creator, tipper = await tip_pair(api, clean_db)
    before = await viewer_wallet(api, tipper)
    payload = await send_tip(api, tipper, tip_input(creator, amount, "CARD"))
    if error is None:
        assert payload["userErrors"] == []
        cents = amount if isinstance(amount, int) else int(amount.replace(".", ""))
        assert payload["tip"]["amount"]["minorUnits"] == cents
        return
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [error]
    assert (payload["tip"], payload["wallet"]) == (None, None)
    assert await viewer_wallet(api, tipper) == before
    assert (await viewer_wallet(api, creator))["history"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("amount_field", "error"),
    [
        ({"amount": {"amount": "1.001", "currency": "USD"}}, ["input", "amount", "amount"]),
        ({"amount": {"amount": "5.00", "currency": "EUR"}}, ["input", "amount", "currency"]),
        ({"amount": {"amount": "NaN", "currency": "USD"}}, ["input", "amount", "amount"]),
        ({"amount": {"amount": "Infinity", "currency": "USD"}}, ["input", "amount", "amount"]),
        (
            {"amount": {"amount": "5.00", "currency": "USD"}, "amountCents": 500},
            ["input", "amountCents"],
        ),
        ({}, ["input", "amount"]),
    ],
    ids=["3-decimals", "EUR", "NaN", "Infinity", "both", "neither"],
)
async def test_bad_tip_amounts_are_user_errors_and_move_nothing(api, clean_db, amount_field, error):
    creator, tipper = await tip_pair(api, clean_db)
    before = [await viewer_wallet(api, tipper), await viewer_wallet(api, creator)]
    input = {"creatorId": creator.id, "method": "COINS", "idempotencyKey": new_key()}
    payload = await send_tip(api, tipper, {**input, **amount_field})
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID_INPUT", error)]
    assert (payload["tip"], payload["wallet"]) == (None, None)
    assert [await viewer_wallet(api, tipper), await viewer_wallet(api, creator)] == before
