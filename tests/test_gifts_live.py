"""Gifts and LIVE through the API: the catalog, LIVE streams, sendGift, supporters, redeeming."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from reelpay.graphql.relay import encode_id
from tests.factories import (
    User,
    buy_coins,
    enrol,
    make_staff,
    new_key,
    publish,
    set_account,
    set_standing,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

CATALOG = [
    ("Rose", 1), ("Heart Me", 1), ("Finger Heart", 5), ("Rosa", 10), ("Perfume", 20),
    ("Doughnut", 30), ("Hand Hearts", 100), ("Confetti", 100), ("Corgi", 299),
    ("Money Gun", 500), ("Galaxy", 1000), ("Fireworks", 1088), ("Sports Car", 7000),
    ("Interstellar", 10000), ("Lion", 29999), ("Universe", 44999),
]  # fmt: skip
LIVE = (
    "id title status startedAt endedAt viewerCount creator { handle } "
    "giftTotals { gifts coins diamonds }"
)
SENT = "gift { quantity coins diamonds gift { name } sender { handle } creator { handle } "
SENT += "live { id } video { id } } wallet { coins diamonds }"
WALLET = "coins diamonds earnings { minorUnits } history { totalCount }"


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def wallet(api: Any, user: User) -> dict[str, int]:
    """The user's balances and number of history entries, as the user sees them."""
    data = await api.data(f"{{ viewer {{ wallet {{ {WALLET} }} }} }}", token=user.token)
    w = data["viewer"]["wallet"]
    cents, entries = w["earnings"]["minorUnits"], w["history"]["totalCount"]
    return {"coins": w["coins"], "diamonds": w["diamonds"], "cents": cents, "entries": entries}


async def wallets(api: Any, *users: User) -> list[dict[str, int]]:
    return [await wallet(api, u) for u in users]


def after_gift(before: list[dict[str, int]], coins: int) -> list[dict[str, int]]:
    """[sender, creator] wallets after one gift worth `coins` (one history entry each)."""
    sender, creator = before
    return [
        {**sender, "coins": sender["coins"] - coins, "entries": sender["entries"] + 1},
        {**creator, "diamonds": creator["diamonds"] + coins, "entries": creator["entries"] + 1},
    ]


async def gift_id(api: Any, name: str) -> str:
    found = (await api.data("{ gifts { id name } }"))["gifts"]
    return next(g["id"] for g in found if g["name"] == name)


async def start_live(api: Any, user: User, title: str = "On air") -> dict[str, Any]:
    return await api.mutate("startLive", {"title": title}, f"live {{ {LIVE} }}", token=user.token)


async def go_live(api: Any, user: User) -> str:
    payload = await start_live(api, user)
    assert payload["userErrors"] == []
    return payload["live"]["id"]


async def live_action(api: Any, name: str, user: User, live_id: str) -> dict[str, Any]:
    return await api.mutate(name, {"liveId": live_id}, f"live {{ {LIVE} }}", token=user.token)


async def live_node(api: Any, live_id: str, viewer: User | None = None) -> dict[str, Any] | None:
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on LiveStream {{ {LIVE} }} }} }}"
    return (await api.data(query, {"id": live_id}, token=viewer.token if viewer else None))["node"]


async def current_live(api: Any, handle: str, viewer: User | None = None) -> Any:
    query = "query($h: String!) { account(handle: $h) { currentLive { id status } } }"
    data = await api.data(query, {"h": handle}, token=viewer.token if viewer else None)
    return data["account"]["currentLive"]


async def send(api: Any, sender: User, gift: str, quantity: int = 1, key: str | None = None,
               **target: str | None) -> dict[str, Any]:  # fmt: skip
    """sendGift; `target` is live= and/or video= (global IDs)."""
    key = new_key() if key is None else key
    input = {"giftId": gift, "quantity": quantity, "idempotencyKey": key}
    input |= {f"{k}Id": v for k, v in target.items() if v is not None}
    return await api.mutate("sendGift", input, SENT, token=sender.token)


async def on_air(api: Any, engine: Any, fan_coins: int = 700) -> tuple[User, User, str]:
    """A creator enrolled in LIVE gifts LIVE now, and a fan holding `fan_coins` coins."""
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    await enrol(engine, creator, "LIVE_GIFTS")
    if fan_coins:
        await buy_coins(api, fan, fan_coins)
    return creator, fan, await go_live(api, creator)


async def redeem(api: Any, user: User, diamonds: int | None = None, key: str | None = None) -> Any:
    input: dict[str, Any] = {"idempotencyKey": new_key() if key is None else key}
    if diamonds is not None:
        input["diamonds"] = diamonds
    selection = f"diamondsRedeemed earningsAdded {{ minorUnits }} wallet {{ {WALLET} }}"
    return await api.mutate("redeemDiamonds", input, selection, token=user.token)


# --- catalog -------------------------------------------------------------------------------


async def test_gift_catalog_lists_the_seeded_gifts_cheapest_first(api):
    found = (await api.data("{ gifts { id name coinPrice imageUrl } }"))["gifts"]

    assert [(g["name"], g["coinPrice"]) for g in found] == CATALOG
    assert all(g["imageUrl"].startswith("https://") for g in found)
    assert len({g["id"] for g in found}) == 16


# --- LIVE streams ----------------------------------------------------------------------------


async def test_start_live_shows_it_one_at_a_time(api):
    creator = await sign_up(api, "creator")
    assert await current_live(api, "creator") is None

    payload = await start_live(api, creator, "  Hello world  ")

    live = payload["live"]
    assert payload["userErrors"] == []
    assert live["title"] == "Hello world"
    assert (live["status"], live["endedAt"], live["viewerCount"]) == ("LIVE", None, 0)
    assert live["startedAt"] == "2026-06-15T12:00:00+00:00"
    assert live["creator"] == {"handle": "creator"}
    assert live["giftTotals"] == {"gifts": 0, "coins": 0, "diamonds": 0}
    assert await current_live(api, "creator") == {"id": live["id"], "status": "LIVE"}
    assert await live_node(api, live["id"]) == live
    # One LIVE at a time; a new one once it has ended.
    assert codes(await start_live(api, creator, "Again")) == ["ALREADY_LIVE"]
    assert await current_live(api, "creator") == {"id": live["id"], "status": "LIVE"}
    await live_action(api, "endLive", creator, live["id"])
    second = await go_live(api, creator)
    assert second != live["id"]
    assert await current_live(api, "creator") == {"id": second, "status": "LIVE"}


@pytest.mark.parametrize(
    ("title", "error"),
    [("", "INVALID_INPUT"), ("   ", "INVALID_INPUT"), ("x" * 151, "INVALID_INPUT"),
     ("x", None), ("x" * 150, None)],
)  # fmt: skip
async def test_start_live_title_is_1_to_150_characters(api, title, error):
    creator = await sign_up(api, "creator")

    payload = await start_live(api, creator, title)

    if error:
        assert codes(payload) == [error]
        assert payload["userErrors"][0]["field"] == ["input", "title"]
        assert await current_live(api, "creator") is None
    else:
        assert payload["userErrors"] == []
        assert payload["live"]["title"] == title


@pytest.mark.parametrize(
    ("birth_date", "standing", "error"),
    [("2008-06-16", None, "CREATOR_NOT_ELIGIBLE"), ("2008-06-15", None, None),
     ("1995-05-05", "RESTRICTED", "CREATOR_NOT_ELIGIBLE"),
     ("1995-05-05", "BANNED", "CREATOR_NOT_ELIGIBLE"), ("1995-05-05", "WARNED", None)],
)  # fmt: skip
async def test_start_live_needs_an_adult_not_restricted_or_banned(
    api, clean_db, birth_date, standing, error
):
    creator = await sign_up(api, "creator", birthDate=birth_date)
    if standing:
        await set_standing(clean_db, creator, standing)

    payload = await start_live(api, creator)

    assert codes(payload) == ([error] if error else [])
    assert (await current_live(api, "creator") is None) == bool(error)


async def test_only_the_creator_or_staff_end_a_live_and_only_once(api, clean_db):
    creator = await sign_up(api, "creator")
    stranger = await sign_up(api, "stranger")
    staff = await make_staff(api, clean_db)
    live_id = await go_live(api, creator)
    end = "mutation($id: ID!) { endLive(input: {liveId: $id}) { live { id } userErrors { code } } }"

    assert (await api.error(end, {"id": live_id}, stranger.token))["extensions"]["code"] == (
        "FORBIDDEN"
    )
    assert (await api.error(end, {"id": live_id}))["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await live_node(api, live_id))["status"] == "LIVE"

    ended = await live_action(api, "endLive", staff, live_id)
    assert ended["userErrors"] == []
    assert (ended["live"]["status"], ended["live"]["endedAt"]) == (
        "ENDED",
        "2026-06-15T12:00:00+00:00",
    )
    assert await current_live(api, "creator") is None

    again = await live_action(api, "endLive", creator, live_id)
    assert codes(again) == ["LIVE_NOT_ACTIVE"]
    missing = await live_action(api, "endLive", creator, encode_id("LiveStream", 999_999))
    assert codes(missing) == ["NOT_FOUND"]


async def test_viewer_count_counts_joined_and_not_left_viewers(api):
    creator = await sign_up(api, "creator")
    ann, bob = await sign_up(api, "ann"), await sign_up(api, "bob")
    live_id = await go_live(api, creator)

    async def count() -> int:
        return (await live_node(api, live_id))["viewerCount"]

    assert (await live_action(api, "joinLive", ann, live_id))["live"]["viewerCount"] == 1
    await live_action(api, "joinLive", ann, live_id)
    assert (await live_action(api, "joinLive", bob, live_id))["live"]["viewerCount"] == 2
    await live_action(api, "leaveLive", ann, live_id)
    assert await count() == 1
    await live_action(api, "leaveLive", ann, live_id)
    assert await count() == 1
    await live_action(api, "joinLive", ann, live_id)
    assert await count() == 2

    await live_action(api, "endLive", creator, live_id)
    assert await count() == 0
    assert codes(await live_action(api, "joinLive", bob, live_id)) == ["LIVE_NOT_ACTIVE"]
    assert await count() == 0


async def test_a_private_creators_live_is_hidden_from_viewers_not_approved(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db)
    await set_account(api, creator, visibility="PRIVATE")
    friend = await sign_up(api, "friend")
    ref = "AccountRefInput"
    await api.mutate("follow", {"accountId": creator.id}, "status", friend.token, ref)
    await api.mutate("approveFollowRequest", {"accountId": friend.id}, "account { id }",
                     creator.token, ref)  # fmt: skip
    await api.mutate("follow", {"accountId": creator.id}, "status", fan.token, ref)  # pending
    hands = await gift_id(api, "Hand Hearts")
    before = await wallets(api, fan, creator)

    for viewer in (None, fan):
        assert await live_node(api, live_id, viewer) is None
        assert await current_live(api, "creator", viewer) is None
    assert codes(await live_action(api, "joinLive", fan, live_id)) == ["NOT_FOUND"]
    assert codes(await live_action(api, "leaveLive", fan, live_id)) == ["NOT_FOUND"]
    assert codes(await send(api, fan, hands, live=live_id)) == ["NOT_FOUND"]
    # Ending it is NOT_FOUND too (FORBIDDEN would confirm the hidden LIVE exists).
    assert codes(await live_action(api, "endLive", fan, live_id)) == ["NOT_FOUND"]
    assert await wallets(api, fan, creator) == before

    assert (await live_action(api, "joinLive", friend, live_id))["live"]["viewerCount"] == 1
    assert (await live_node(api, live_id, friend))["id"] == live_id
    assert await current_live(api, "creator", friend) == {"id": live_id, "status": "LIVE"}
    await buy_coins(api, friend, 700)
    assert (await send(api, friend, hands, live=live_id))["userErrors"] == []
    assert (await wallet(api, creator))["diamonds"] == 100
    # All-time supporters of a private account are hidden the same way.
    query = '{ account(handle: "creator") { topSupporters { coins } } }'
    for viewer, seen in ((None, None), (fan, None), (friend, [{"coins": 100}])):
        data = await api.data(query, token=viewer.token if viewer else None)
        assert data["account"]["topSupporters"] == seen


# --- sendGift: happy paths -----------------------------------------------------------------


async def test_a_live_gift_moves_coins_to_the_creator_as_diamonds(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db)

    payload = await send(api, fan, await gift_id(api, "Corgi"), quantity=2, live=live_id)

    assert payload["userErrors"] == []
    assert payload["gift"] == {
        "quantity": 2, "coins": 598, "diamonds": 598, "gift": {"name": "Corgi"},
        "sender": {"handle": "fan"}, "creator": {"handle": "creator"},
        "live": {"id": live_id}, "video": None,
    }  # fmt: skip
    assert payload["wallet"] == {"coins": 102, "diamonds": 0}
    assert await wallet(api, fan) == {"coins": 102, "diamonds": 0, "cents": 0, "entries": 2}
    assert await wallet(api, creator) == {"coins": 0, "diamonds": 598, "cents": 0, "entries": 1}
    totals = (await live_node(api, live_id))["giftTotals"]
    assert totals == {"gifts": 2, "coins": 598, "diamonds": 598}


# --- sendGift: bad input moves nothing -------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "gift", "quantity", "error"),
    [(700, "Rose", 0, "INVALID_QUANTITY"), (700, "Rose", -1, "INVALID_QUANTITY"),
     (700, "Rose", 100, "INVALID_QUANTITY"), (700, "Rose", 1, None), (700, "Rose", 99, None),
     (70, "Rose", 70, None), (70, "Rose", 71, "INSUFFICIENT_COINS"),
     (700, "Hand Hearts", 7, None), (700, "Galaxy", 1, "INSUFFICIENT_COINS")],
)  # fmt: skip
async def test_quantity_and_coin_boundaries(api, clean_db, package, gift, quantity, error):
    creator, fan, live_id = await on_air(api, clean_db, fan_coins=package)
    price = dict(CATALOG)[gift]
    before = await wallets(api, fan, creator)

    payload = await send(api, fan, await gift_id(api, gift), quantity=quantity, live=live_id)

    assert codes(payload) == ([error] if error else [])
    assert (payload["gift"] is None) == bool(error)
    expected = before if error else after_gift(before, price * quantity)
    assert await wallets(api, fan, creator) == expected


@pytest.mark.parametrize("target", ["both", "neither"])
async def test_exactly_one_of_live_or_video(api, clean_db, target):
    creator, fan, live_id = await on_air(api, clean_db)
    video = await publish(api, creator)
    before = await wallets(api, fan, creator)

    both = {"live": live_id, "video": video} if target == "both" else {}
    payload = await send(api, fan, await gift_id(api, "Rose"), **both)

    assert codes(payload) == ["INVALID_INPUT"]
    assert await wallets(api, fan, creator) == before


async def test_unknown_gift_self_gift_ended_live_or_no_login_move_nothing(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db)
    await buy_coins(api, creator, 700)
    video = await publish(api, creator)
    rose = await gift_id(api, "Rose")
    before = await wallets(api, fan, creator)

    assert codes(await send(api, fan, encode_id("Gift", 999), live=live_id)) == ["NOT_FOUND"]
    assert codes(await send(api, fan, live_id, live=live_id)) == ["INVALID_ID"]  # not a Gift ID
    assert codes(await send(api, creator, rose, live=live_id)) == ["CANNOT_PAY_SELF"]
    assert codes(await send(api, creator, rose, video=video)) == ["CANNOT_PAY_SELF"]
    await live_action(api, "endLive", creator, live_id)
    assert codes(await send(api, fan, rose, live=live_id)) == ["LIVE_NOT_ACTIVE"]
    anonymous = "mutation($in: SendGiftInput!) { sendGift(input: $in) { userErrors { code } } }"
    input = {"giftId": rose, "videoId": video, "idempotencyKey": "k"}
    assert (await api.error(anonymous, {"in": input}))["extensions"]["code"] == "UNAUTHENTICATED"
    assert await wallets(api, fan, creator) == before
    assert (await live_node(api, live_id))["giftTotals"]["gifts"] == 0


async def test_hidden_or_deleted_videos_cannot_receive_gifts(api, clean_db):
    creator = await sign_up(api, "creator")
    await enrol(clean_db, creator, "LIVE_GIFTS")
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    hidden = await publish(api, creator, "Hidden", visibility="PRIVATE")
    deleted = await publish(api, creator, "Deleted")
    await api.mutate("deleteVideo", {"videoId": deleted}, "deletedVideoId", token=creator.token)
    before = await wallets(api, fan, creator)

    for video in (hidden, deleted):
        assert codes(await send(api, fan, await gift_id(api, "Rose"), video=video)) == ["NOT_FOUND"]
    assert await wallets(api, fan, creator) == before


@pytest.mark.parametrize(("birth_date", "country"), [("2008-06-16", "US"), ("2007-06-16", "KR")])
async def test_senders_must_be_18_or_19_in_korea(api, clean_db, clock, birth_date, country):
    # Given a sender who turns old enough tomorrow and bought coins "tomorrow"
    creator = await sign_up(api, "creator")
    await enrol(clean_db, creator, "LIVE_GIFTS")
    sender = await sign_up(api, "sender", birthDate=birth_date, country=country)
    video = await publish(api, creator)
    clock.advance(timedelta(days=1))
    await buy_coins(api, sender, 700)
    clock.advance(timedelta(days=-1))
    rose = await gift_id(api, "Rose")
    before = await wallets(api, sender, creator)

    assert codes(await send(api, sender, rose, video=video)) == ["SPENDER_TOO_YOUNG"]
    assert await wallets(api, sender, creator) == before

    clock.advance(timedelta(days=1))
    assert (await send(api, sender, rose, video=video))["userErrors"] == []
    assert await wallets(api, sender, creator) == after_gift(before, 1)


# --- sendGift: the creator must be in the LIVE gifts program -------------------------------

REFUSAL = {
    "live": "This creator cannot receive LIVE gifts right now.",
    "video": "This creator cannot receive gifts right now.",
}


async def gift_target(api: Any, creator: User, target: str) -> dict[str, str]:
    """A LIVE or a video of `creator`, as the `send` target."""
    if target == "live":
        return {"live": await go_live(api, creator)}
    return {"video": await publish(api, creator)}


async def staff_sets(api: Any, staff: User, creator: User, mutation: str, **value: Any) -> None:
    payload = await api.mutate(
        mutation, {"accountId": creator.id, **value}, "account { id }", token=staff.token
    )
    assert payload["userErrors"] == []


def refused_as(payload: dict[str, Any], target: str) -> None:
    assert payload["gift"] is None and payload["wallet"] is None, payload
    assert payload["userErrors"] == [
        {"code": "CREATOR_NOT_ELIGIBLE", "field": None, "message": REFUSAL[target]}
    ]


@pytest.mark.parametrize("target", ["live", "video"])
async def test_gifts_need_the_creator_enrolled_in_live_gifts_not_followers(api, clean_db, target):
    # Given a creator with no followers, enrolled in other programs but not in LIVE gifts
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    await enrol(clean_db, creator, "TIPS", "CREATOR_REWARDS")
    where = await gift_target(api, creator, target)
    hands = await gift_id(api, "Hand Hearts")
    before = await wallets(api, fan, creator)

    refused_as(await send(api, fan, hands, **where), target)
    assert await wallets(api, fan, creator) == before

    # Once enrolled, the same gift goes through (followers do not matter at gift time).
    await enrol(clean_db, creator, "LIVE_GIFTS")
    payload = await send(api, fan, hands, **where)

    assert payload["userErrors"] == []
    assert payload["gift"]["diamonds"] == 100
    assert await wallets(api, fan, creator) == after_gift(before, 100)


@pytest.mark.parametrize("target", ["live", "video"])
@pytest.mark.parametrize(
    ("mutation", "suspend", "restore"),
    [("setAccountStanding", {"standing": "BANNED"}, {"standing": "GOOD"}),
     ("setAccountStanding", {"standing": "RESTRICTED"}, {"standing": "GOOD"}),
     ("setAccountPolitical", {"isPolitical": True}, {"isPolitical": False})],
)  # fmt: skip
async def test_a_suspended_creator_receives_no_gifts_until_restored(
    api, clean_db, target, mutation, suspend, restore
):
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    staff = await make_staff(api, clean_db)
    await buy_coins(api, fan, 700)
    await enrol(clean_db, creator, "LIVE_GIFTS")
    where = await gift_target(api, creator, target)
    rose = await gift_id(api, "Rose")
    assert (await send(api, fan, rose, **where))["userErrors"] == []
    before = await wallets(api, fan, creator)

    await staff_sets(api, staff, creator, mutation, **suspend)
    refused_as(await send(api, fan, rose, quantity=5, **where), target)

    # Nothing moved, and the diamonds already earned stay.
    assert await wallets(api, fan, creator) == before
    assert before[1]["diamonds"] == 1

    await staff_sets(api, staff, creator, mutation, **restore)
    resumed = await send(api, fan, rose, quantity=5, **where)

    assert resumed["userErrors"] == []
    assert await wallets(api, fan, creator) == after_gift(before, 5)


@pytest.mark.parametrize("target", ["live", "video"])
async def test_warned_or_business_creators_still_receive_gifts(api, clean_db, target):
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    staff = await make_staff(api, clean_db)
    await buy_coins(api, fan, 700)
    await enrol(clean_db, creator, "LIVE_GIFTS")
    where = await gift_target(api, creator, target)
    await staff_sets(api, staff, creator, "setAccountStanding", standing="WARNED")
    switched = await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=creator.token
    )
    assert switched["userErrors"] == []
    before = await wallets(api, fan, creator)

    payload = await send(api, fan, await gift_id(api, "Doughnut"), quantity=3, **where)

    assert payload["userErrors"] == []
    gift = payload["gift"]
    assert (gift["coins"], gift["diamonds"]) == (90, 90)
    assert {k: gift[k] for k in ("live", "video")} == {
        "live": None, "video": None, **{k: {"id": v} for k, v in where.items()}
    }  # fmt: skip
    assert await wallets(api, fan, creator) == after_gift(before, 90)


# --- idempotency ---------------------------------------------------------------------------


async def test_replay_after_the_live_ended_returns_the_first_gift(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db)
    video = await publish(api, creator)
    hands = await gift_id(api, "Hand Hearts")
    first = await send(api, fan, hands, quantity=2, live=live_id, key="gift-1")
    await live_action(api, "endLive", creator, live_id)
    after_first = await wallets(api, fan, creator)

    replay = await send(api, fan, hands, quantity=2, live=live_id, key="gift-1")

    assert replay == first
    assert await wallets(api, fan, creator) == after_first
    for changed in ({"quantity": 3, "live": live_id}, {"quantity": 2, "video": video}):
        reused = await send(api, fan, hands, key="gift-1", **changed)
        assert codes(reused) == ["IDEMPOTENCY_KEY_REUSED"]
        assert reused["userErrors"][0]["field"] == ["input", "idempotencyKey"]
    assert await wallets(api, fan, creator) == after_first
    assert (await live_node(api, live_id))["giftTotals"]["gifts"] == 2


async def test_a_failed_gift_does_not_use_up_its_key(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db, fan_coins=70)
    hands = await gift_id(api, "Hand Hearts")

    assert codes(await send(api, fan, hands, live=live_id, key="k")) == ["INSUFFICIENT_COINS"]
    await buy_coins(api, fan, 70)
    retry = await send(api, fan, hands, live=live_id, key="k")

    assert retry["userErrors"] == []
    assert retry["wallet"] == {"coins": 40, "diamonds": 0}
    assert (await wallet(api, creator))["diamonds"] == 100


@pytest.mark.parametrize(
    ("key", "ok"), [("", False), (" k", False), ("x" * 129, False), ("x" * 128, True)]
)
async def test_idempotency_key_is_1_to_128_printable_characters(api, clean_db, key, ok):
    creator, fan, live_id = await on_air(api, clean_db)
    before = await wallets(api, fan, creator)

    payload = await send(api, fan, await gift_id(api, "Rose"), live=live_id, key=key)

    assert codes(payload) == ([] if ok else ["INVALID_IDEMPOTENCY_KEY"])
    assert await wallets(api, fan, creator) == (after_gift(before, 1) if ok else before)


# --- supporters ----------------------------------------------------------------------------


SUPPORTERS = "account { handle } coins gifts"


async def test_top_gifters_of_a_live_and_top_supporters_of_all_time(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db)
    ann, bob = await sign_up(api, "ann"), await sign_up(api, "bob")
    for u in (ann, bob):
        await buy_coins(api, u, 700)
    video = await publish(api, creator)
    rose, hands = await gift_id(api, "Rose"), await gift_id(api, "Hand Hearts")
    await send(api, fan, rose, quantity=50, live=live_id)
    await send(api, ann, hands, quantity=1, live=live_id)
    await send(api, ann, rose, quantity=5, live=live_id)
    await send(api, bob, hands, quantity=6, video=video)
    await send(api, fan, rose, quantity=10, video=video)
    query = (
        f"query($id: ID!, $n: Int!) {{ node(id: $id) {{ ... on LiveStream {{ "
        f"topGifters(first: $n) {{ {SUPPORTERS} }} }} }} "
        f'account(handle: "creator") {{ topSupporters(first: $n) {{ {SUPPORTERS} }} }} }}'
    )

    data = await api.data(query, {"id": live_id, "n": 10})

    assert data["node"]["topGifters"] == [
        {"account": {"handle": "ann"}, "coins": 105, "gifts": 6},
        {"account": {"handle": "fan"}, "coins": 50, "gifts": 50},
    ]
    assert data["account"]["topSupporters"] == [
        {"account": {"handle": "bob"}, "coins": 600, "gifts": 6},
        {"account": {"handle": "ann"}, "coins": 105, "gifts": 6},
        {"account": {"handle": "fan"}, "coins": 60, "gifts": 60},
    ]
    one = await api.data(query, {"id": live_id, "n": 1})
    assert [s["account"]["handle"] for s in one["node"]["topGifters"]] == ["ann"]
    assert [s["account"]["handle"] for s in one["account"]["topSupporters"]] == ["bob"]


SUPPORTER_QUERIES = {
    "topGifters": "query($id: ID!, $n: Int!) { node(id: $id) { ... on LiveStream { "
    "topGifters(first: $n) { coins } } } }",
    "topSupporters": 'query($n: Int!) { account(handle: "creator") { '
    "topSupporters(first: $n) { coins } } }",
}


@pytest.mark.parametrize(("first", "ok"), [(0, False), (1, True), (100, True), (101, False)])
@pytest.mark.parametrize("field", ["topGifters", "topSupporters"])
async def test_supporter_lists_take_1_to_100(api, clean_db, field, first, ok):
    _, _, live_id = await on_air(api, clean_db, fan_coins=0)
    variables = {"n": first} | ({"id": live_id} if field == "topGifters" else {})

    if ok:
        assert "errors" not in await api.execute(SUPPORTER_QUERIES[field], variables)
    else:
        error = await api.error(SUPPORTER_QUERIES[field], variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


# --- wallets are private -------------------------------------------------------------------


async def test_only_the_owner_and_staff_see_a_wallet(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db)
    staff = await make_staff(api, clean_db)
    await send(api, fan, await gift_id(api, "Rose"), quantity=3, live=live_id)
    query = "query($h: String!) { account(handle: $h) { wallet { coins diamonds } } }"

    async def seen(handle: str, viewer: User | None) -> Any:
        data = await api.data(query, {"h": handle}, viewer.token if viewer else None)
        return data["account"]["wallet"]

    assert await seen("fan", creator) is None
    assert await seen("creator", fan) is None
    assert await seen("fan", None) is None
    assert await seen("fan", fan) == {"coins": 697, "diamonds": 0}
    assert await seen("fan", staff) == {"coins": 697, "diamonds": 0}
    assert await seen("creator", staff) == {"coins": 0, "diamonds": 3}


# --- redeemDiamonds ------------------------------------------------------------------------


async def creator_with_701_diamonds(api: Any) -> User:
    creator = await sign_up(api, "creator")
    await enrol(api.engine, creator, "LIVE_GIFTS")
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    await buy_coins(api, fan, 70)
    video = await publish(api, creator)
    await send(api, fan, await gift_id(api, "Hand Hearts"), quantity=7, video=video)
    await send(api, fan, await gift_id(api, "Rose"), video=video)
    assert (await wallet(api, creator))["diamonds"] == 701
    return creator


async def test_redeeming_all_keeps_the_odd_diamond_and_earns_gifts_money(api):
    creator = await creator_with_701_diamonds(api)

    payload = await redeem(api, creator)

    assert payload["userErrors"] == []
    assert (payload["diamondsRedeemed"], payload["earningsAdded"]) == (700, {"minorUnits": 350})
    assert await wallet(api, creator) == {"coins": 0, "diamonds": 1, "cents": 350, "entries": 4}
    query = "{ viewer { wallet { earningsBySource { source amount { minorUnits amount } } } } }"
    sources = (await api.data(query, token=creator.token))["viewer"]["wallet"]["earningsBySource"]
    found = [(s["source"], s["amount"]["minorUnits"], s["amount"]["amount"]) for s in sources]
    assert sorted(found) == [
        ("GIFTS", 350, "3.50"), ("MARKETPLACE", 0, "0.00"), ("REWARDS", 0, "0.00"),
        ("SERIES", 0, "0.00"), ("TIPS", 0, "0.00"),
    ]  # fmt: skip

    again = await redeem(api, creator)
    assert codes(again) == ["INSUFFICIENT_DIAMONDS"]
    assert await wallet(api, creator) == {"coins": 0, "diamonds": 1, "cents": 350, "entries": 4}


@pytest.mark.parametrize(
    ("diamonds", "redeemed", "error"),
    [(2, 2, None), (3, 2, None), (701, 700, None), (1, 0, "INVALID_QUANTITY"),
     (0, 0, "INVALID_QUANTITY"), (-4, 0, "INVALID_QUANTITY"), (702, 0, "INSUFFICIENT_DIAMONDS")],
)  # fmt: skip
async def test_redeeming_a_number_of_diamonds(api, diamonds, redeemed, error):
    creator = await creator_with_701_diamonds(api)

    payload = await redeem(api, creator, diamonds)

    assert codes(payload) == ([error] if error else [])
    if error:
        assert payload["userErrors"][0]["field"] == ["input", "diamonds"]
    expected = {"coins": 0, "diamonds": 701 - redeemed, "cents": redeemed // 2}
    assert await wallet(api, creator) == {**expected, "entries": 2 + 2 * bool(redeemed)}


async def test_redeeming_with_no_diamonds_moves_nothing(api):
    creator = await sign_up(api, "creator")

    assert codes(await redeem(api, creator)) == ["INSUFFICIENT_DIAMONDS"]
    assert await wallet(api, creator) == {"coins": 0, "diamonds": 0, "cents": 0, "entries": 0}


async def test_redeem_replays_by_key(api):
    creator = await creator_with_701_diamonds(api)
    first = await redeem(api, creator, 100, key="r1")

    assert await redeem(api, creator, 100, key="r1") == first
    assert codes(await redeem(api, creator, 200, key="r1")) == ["IDEMPOTENCY_KEY_REUSED"]
    assert codes(await redeem(api, creator, None, key="r1")) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await wallet(api, creator) == {"coins": 0, "diamonds": 601, "cents": 50, "entries": 4}


# --- concurrency (SQLite serialises writers; PostgreSQL runs them at once) ------------------


async def test_concurrent_gifts_never_overspend(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db)
    hands = await gift_id(api, "Hand Hearts")

    payloads = await asyncio.gather(*(send(api, fan, hands, live=live_id) for _ in range(10)))

    assert sorted(codes(p) for p in payloads) == [[]] * 7 + [["INSUFFICIENT_COINS"]] * 3
    assert await wallet(api, fan) == {"coins": 0, "diamonds": 0, "cents": 0, "entries": 8}
    assert await wallet(api, creator) == {"coins": 0, "diamonds": 700, "cents": 0, "entries": 7}
    totals = (await live_node(api, live_id))["giftTotals"]
    assert totals == {"gifts": 7, "coins": 700, "diamonds": 700}


async def test_concurrent_gifts_with_one_key_move_once(api, clean_db):
    creator, fan, live_id = await on_air(api, clean_db)
    hands = await gift_id(api, "Hand Hearts")

    payloads = await asyncio.gather(
        *(send(api, fan, hands, live=live_id, key="once") for _ in range(8))
    )

    assert [codes(p) for p in payloads] == [[]] * 8
    assert {(p["gift"]["coins"], p["gift"]["sender"]["handle"]) for p in payloads} == {(100, "fan")}
    assert await wallet(api, fan) == {"coins": 600, "diamonds": 0, "cents": 0, "entries": 2}
    assert await wallet(api, creator) == {"coins": 0, "diamonds": 100, "cents": 0, "entries": 1}
    assert (await live_node(api, live_id))["giftTotals"]["gifts"] == 1


async def test_concurrent_redeem_all_redeems_once(api):
    creator = await creator_with_701_diamonds(api)

    payloads = await asyncio.gather(*(redeem(api, creator) for _ in range(5)))

    assert sorted(codes(p) for p in payloads) == [[]] + [["INSUFFICIENT_DIAMONDS"]] * 4
    assert await wallet(api, creator) == {"coins": 0, "diamonds": 1, "cents": 350, "entries": 4}


async def test_concurrent_starts_joins_and_ends_each_happen_once(api, clean_db):
    creator = await sign_up(api, "creator")
    staff = await make_staff(api, clean_db)
    viewer = await sign_up(api, "viewer")
    starts = await asyncio.gather(*(start_live(api, creator) for _ in range(5)))
    assert sorted(codes(p) for p in starts) == [[]] + [["ALREADY_LIVE"]] * 4
    live_id = next(p["live"]["id"] for p in starts if p["live"])
    assert await current_live(api, "creator") == {"id": live_id, "status": "LIVE"}

    joins = await asyncio.gather(*(live_action(api, "joinLive", viewer, live_id) for _ in range(6)))
    assert [codes(p) for p in joins] == [[]] * 6
    assert (await live_node(api, live_id))["viewerCount"] == 1

    ends = await asyncio.gather(
        *(live_action(api, "endLive", u, live_id) for u in (creator, staff, creator, staff))
    )
    assert sorted(codes(p) for p in ends) == [[]] + [["LIVE_NOT_ACTIVE"]] * 3
    assert (await live_node(api, live_id))["viewerCount"] == 0
