"""Mixed money traffic at once between two people who both give and receive.

Gifts and tips both ways, purchases and redemptions race each other; on PostgreSQL they really
run in parallel. Nothing may fail with an internal error (a deadlock the retries cannot absorb),
and the final wallets must equal what the successful responses add up to.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from tests.factories import (
    SUCCESS_TOKEN,
    buy_coins,
    enrol,
    new_key,
    package_id,
    publish,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

EXPECTED_REFUSALS = {"INSUFFICIENT_COINS", "INSUFFICIENT_DIAMONDS", "TIP_LIMIT_EXCEEDED"}


async def wallet(api: Any, token: str) -> dict[str, int]:
    data = await api.data(
        "{ viewer { wallet { coins diamonds earnings { minorUnits } } } }", token=token
    )
    w = data["viewer"]["wallet"]
    return {"coins": w["coins"], "diamonds": w["diamonds"], "cents": w["earnings"]["minorUnits"]}


async def test_gifts_tips_purchases_and_redemptions_both_ways_at_once(api, clean_db):
    ann, bob = await sign_up(api, "ann"), await sign_up(api, "bob")
    for person in (ann, bob):
        await enrol(clean_db, person, "LIVE_GIFTS", "TIPS")
        await buy_coins(api, person, 1_400)
    ann_video = await publish(api, ann, "Ann's video")
    live = await api.mutate("startLive", {"title": "Bob live"}, "live { id }", bob.token)
    bob_live = live["live"]["id"]
    rose = next(g for g in (await api.data("{ gifts { id coinPrice } }"))["gifts"])
    assert rose["coinPrice"] == 1

    rng = random.Random(7)
    calls: list[tuple[str, str, dict[str, Any]]] = []
    for _ in range(12):
        quantity = rng.randint(20, 99)
        calls.append(
            (
                "ann",
                "sendGift",
                {
                    "giftId": rose["id"],
                    "quantity": quantity,
                    "liveId": bob_live,
                    "idempotencyKey": new_key(),
                },
            )
        )
        calls.append(
            (
                "bob",
                "sendGift",
                {
                    "giftId": rose["id"],
                    "quantity": quantity,
                    "videoId": ann_video,
                    "idempotencyKey": new_key(),
                },
            )
        )
        cents = rng.randint(100, 400)
        calls.append(
            (
                "ann",
                "sendTip",
                {
                    "creatorId": bob.id,
                    "amountCents": cents,
                    "method": "COINS",
                    "idempotencyKey": new_key(),
                },
            )
        )
        calls.append(
            (
                "bob",
                "sendTip",
                {
                    "creatorId": ann.id,
                    "amountCents": cents,
                    "method": "COINS",
                    "idempotencyKey": new_key(),
                },
            )
        )
    for who in ("ann", "bob"):
        for _ in range(3):
            calls.append((who, "redeemDiamonds", {"idempotencyKey": new_key()}))
            calls.append(
                (
                    who,
                    "purchaseCoins",
                    {
                        "packageId": package_id(70),
                        "paymentToken": SUCCESS_TOKEN,
                        "idempotencyKey": new_key(),
                    },
                )
            )
    rng.shuffle(calls)  # fmt: skip
    tokens = {"ann": ann.token, "bob": bob.token}

    async def call(who: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
        query = (
            f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input) "
            "{ __typename userErrors { code } } }"
        )
        response = await api.post(query, {"input": input}, tokens[who])
        assert response.status_code == 200
        body = response.json()
        assert "errors" not in body, (name, body["errors"])
        return body["data"][name]

    payloads = await asyncio.gather(*(call(*c) for c in calls))

    expected = {"ann": {"coins": 1_400, "diamonds": 0, "cents": 0},
                "bob": {"coins": 1_400, "diamonds": 0, "cents": 0}}  # fmt: skip
    other = {"ann": "bob", "bob": "ann"}
    redemptions = {"ann": 0, "bob": 0}
    for (who, name, input), payload in zip(calls, payloads, strict=True):
        codes = {e["code"] for e in payload["userErrors"]}
        assert codes <= EXPECTED_REFUSALS, (name, codes)
        if codes:
            continue
        if name == "sendGift":
            expected[who]["coins"] -= input["quantity"]
            expected[other[who]]["diamonds"] += input["quantity"]
        elif name == "sendTip":
            expected[who]["coins"] -= -(-input["amountCents"] * 70 // 99)
            expected[other[who]]["cents"] += input["amountCents"]
        elif name == "purchaseCoins":
            expected[who]["coins"] += 70
        else:
            redemptions[who] += 1
    # Redemptions took whatever diamonds had arrived by then: what stays plus what became
    # earnings must be every diamond received (2 per cent, an odd one left behind).
    for who, token in tokens.items():
        actual = await wallet(api, token)
        assert actual["coins"] == expected[who]["coins"]
        redeemed = expected[who]["diamonds"] - actual["diamonds"]
        assert redeemed >= 0 and redeemed % 2 == 0
        assert actual["cents"] == expected[who]["cents"] + redeemed // 2
        assert (redeemed > 0) == (redemptions[who] > 0)
