"""A batched notification's upsert is built once per template shape and run with each event's
values: the subject's id (its title is read by the statement), the texts, the count and total.
Building it anew for every money write cost more CPU than running it (issue 15). Here: every
event's values reach its own batch, and a subject's title is quoted as it is now, cut to 100
characters."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import User, buy_coins, enrol, new_key, publish, sign_up
from tests.test_gifts_live import gift_id, start_live

pytestmark = pytest.mark.usefixtures("verify_ledger")


async def bodies(api: Any, user: User) -> list[tuple[str, int]]:
    """(body, count) of the user's notifications, newest first."""
    query = "{ viewer { notifications(first: 10) { edges { node { body count } } } } }"
    found = (await api.data(query, token=user.token))["viewer"]["notifications"]["edges"]
    return [(e["node"]["body"], e["node"]["count"]) for e in found]


async def gift(api: Any, fan: User, target: dict[str, str], quantity: int = 1) -> None:
    rose = await gift_id(api, "Rose")
    input = {"giftId": rose, "quantity": quantity, "idempotencyKey": new_key(), **target}
    payload = await api.mutate("sendGift", input, "gift { id }", token=fan.token)
    assert payload["userErrors"] == []


@pytest.fixture
async def people(api: Any) -> tuple[User, User]:
    """(a creator enrolled in LIVE gifts, a fan with 700 coins)."""
    creator, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(api.engine, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 700)
    return creator, fan


async def test_each_subject_s_batch_names_its_own_subject(api, people):
    creator, fan = people
    first, second = await publish(api, creator, "First"), await publish(api, creator, "Second")

    await gift(api, fan, {"videoId": first}, quantity=2)
    await gift(api, fan, {"videoId": second})
    await gift(api, fan, {"videoId": first}, quantity=3)

    assert sorted(await bodies(api, creator)) == [
        ('1 gift on "Second" today (UTC): 1 diamond.', 1),
        ('5 gifts on "First" today (UTC): 5 diamonds.', 5),
    ]


@pytest.mark.parametrize(
    ("length", "quoted"),
    [
        pytest.param(100, "L" * 100, id="100-characters-whole"),
        pytest.param(101, "L" * 97 + "...", id="101-characters-cut"),
        pytest.param(150, "L" * 97 + "...", id="150-characters-cut"),
    ],
)
async def test_a_live_s_title_is_quoted_whole_up_to_100_characters(api, people, length, quoted):
    creator, fan = people
    started = await start_live(api, creator, "L" * length)
    assert started["userErrors"] == []

    await gift(api, fan, {"liveId": started["live"]["id"]})

    assert await bodies(api, creator) == [(f'1 gift during "{quoted}": 1 diamond.', 1)]
