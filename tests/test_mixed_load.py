"""A bounded mixed load: 2,000 requests from 32 concurrent clients, zero errors (issue 12).

Reads, views, follows, coin purchases, gifts on a LIVE and logins at once, through the real
HTTP stack on SQLite (one writer at a time: writers must queue, never fail with "database is
locked") and on PostgreSQL; then every ledger invariant holds and every coin is accounted for.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from tests.factories import buy_coins, enrol, new_key, publish, sign_up

pytestmark = pytest.mark.usefixtures("verify_ledger")

CLIENTS = 32
REQUESTS = 2_000
GUARD = 300  # seconds: a deadlock fails the test instead of hanging the suite


async def test_2000_mixed_requests_from_32_clients_all_succeed(api, clean_db):
    creator = await sign_up(api, "creator")
    await enrol(clean_db, creator, "LIVE_GIFTS")
    video = await publish(api, creator)
    live = (await api.mutate("startLive", {"title": "Load"}, "live { id }", creator.token))["live"][
        "id"
    ]
    gifts = (await api.data("{ gifts { id coinPrice } }"))["gifts"]
    rose = min(gifts, key=lambda g: g["coinPrice"])
    fans = [await sign_up(api, f"fan{i}") for i in range(CLIENTS)]
    for fan in fans:
        await buy_coins(api, fan, 700)

    sequence = itertools.count()
    failures: list[str] = []
    spent: dict[str, int] = {fan.handle: 0 for fan in fans}
    bought: dict[str, int] = {fan.handle: 700 for fan in fans}

    async def one(fan: Any, n: int) -> None:
        kind = n % 7
        if kind == 0:
            body = await api.execute(
                "query($h: String!) { account(handle: $h) { handle followerCount "
                "videos(first: 5) { edges { node { title viewCount } } } } }",
                {"h": "creator"},
                fan.token,
            )
        elif kind == 1:
            body = await api.execute(
                "mutation($id: ID!) { recordView(input: {videoId: $id}) { userErrors { code } } }",
                {"id": video},
                fan.token if n % 2 else None,  # a logged-in view reads its viewer first
            )
        elif kind == 2:
            name = "follow" if n % 2 else "unfollow"
            body = await api.execute(
                f"mutation($id: ID!) {{ {name}(input: {{accountId: $id}}) "
                "{ userErrors { code } } }",
                {"id": creator.id},
                fan.token,
            )
            errors = (body.get("data") or {}).get(name, {}).get("userErrors") or []
            # Following twice or unfollowing someone not followed are answers, not failures.
            if errors and {e["code"] for e in errors} <= {"ALREADY_FOLLOWING", "NOT_FOLLOWING"}:
                body = {"data": {}}
        elif kind == 3:
            body = await api.execute(
                "mutation($i: SendGiftInput!) { sendGift(input: $i) { userErrors { code } } }",
                {
                    "i": {
                        "giftId": rose["id"],
                        "quantity": 1,
                        "liveId": live,
                        "idempotencyKey": new_key(),
                    }
                },
                fan.token,
            )
            if not body.get("errors") and not body["data"]["sendGift"]["userErrors"]:
                spent[fan.handle] += rose["coinPrice"]
        elif kind == 4:
            body = await api.execute(
                "mutation($i: PurchaseCoinsInput!) { purchaseCoins(input: $i) "
                "{ userErrors { code } } }",
                {
                    "i": {
                        "packageId": _package(70),
                        "paymentToken": "tok_sandbox_success",
                        "idempotencyKey": new_key(),
                    }
                },
                fan.token,
            )
            if not body.get("errors") and not body["data"]["purchaseCoins"]["userErrors"]:
                bought[fan.handle] += 70
        elif kind == 5:
            body = await api.execute(
                "mutation($i: LogInInput!) { logIn(input: $i) { userErrors { code } } }",
                {"i": {"email": fan.email, "password": fan.password}},
            )
        else:
            body = await api.execute("{ viewer { wallet { coins } } }", None, fan.token)
        payloads = [v for v in (body.get("data") or {}).values() if isinstance(v, dict)]
        user_errors = [e for p in payloads for e in p.get("userErrors") or []]
        if body.get("errors") or user_errors:
            failures.append(f"{kind}: {body}")

    async def client(fan: Any) -> None:
        while (n := next(sequence)) < REQUESTS:
            await one(fan, n)

    await asyncio.wait_for(asyncio.gather(*(client(fan) for fan in fans)), GUARD)

    assert failures == [], failures[:5]
    wallets = {
        fan.handle: (await api.data("{ viewer { wallet { coins } } }", token=fan.token))["viewer"][
            "wallet"
        ]["coins"]
        for fan in fans
    }
    assert wallets == {h: bought[h] - spent[h] for h in wallets}
    creator_wallet = await api.data("{ viewer { wallet { diamonds } } }", token=creator.token)
    assert creator_wallet["viewer"]["wallet"]["diamonds"] == sum(spent.values())


def _package(coins: int) -> str:
    from tests.factories import package_id

    return package_id(coins)
