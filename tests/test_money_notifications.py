"""People are told what happened to their money (issue 15): fans of refunds; creators of tips,
gifts, Series sales and Creator Rewards, batched per subject and UTC day (gifts on a LIVE per
LIVE) so twelve gifts make one notification that is rewritten, unread again and on top."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.graphql.relay import encode_cursor
from tests.factories import (
    User,
    add_views,
    buy_coins,
    decode_pk,
    enrol,
    make_staff,
    new_key,
    publish,
    sign_up,
)
from tests.test_gifts_live import gift_id, go_live
from tests.test_series_buying import make_series

pytestmark = pytest.mark.usefixtures("verify_ledger")

NODE = "kind title body count createdAt updatedAt readAt"
T0 = "2026-06-15T12:00:00+00:00"


async def inbox(api: Any, user: User) -> dict[str, Any]:
    query = (
        "{ viewer { notifications(first: 10) { totalCount unreadCount "
        f"edges {{ node {{ {NODE} }} }} }} }} }}"
    )
    found = (await api.data(query, token=user.token))["viewer"]["notifications"]
    return {
        "total": found["totalCount"],
        "unread": found["unreadCount"],
        "nodes": [e["node"] for e in found["edges"]],
    }


def notice(
    kind: str, title: str, body: str, count: int = 1, created: str = T0, updated: str = T0
) -> dict[str, Any]:
    return {
        "kind": kind, "title": title, "body": body, "count": count, "createdAt": created,
        "updatedAt": updated, "readAt": None,
    }  # fmt: skip


async def rows(api: Any, user: User) -> list[tuple[str, dict[str, Any]]]:
    """(kind, data) of the user's notifications as stored, oldest first."""
    async with api.engine.connect() as connection:
        result = await connection.execute(
            sa.text("SELECT kind, data FROM notifications WHERE account_id = :a ORDER BY id"),
            {"a": user.pk},
        )
        return [(k, d if isinstance(d, dict) else json.loads(d)) for k, d in result.all()]


async def gift(api: Any, fan: User, target: dict[str, str], gift: str, quantity: int = 1) -> Any:
    input = {"giftId": gift, "quantity": quantity, "idempotencyKey": new_key(), **target}
    return await api.mutate("sendGift", input, "gift { quantity }", token=fan.token)


async def gifting(api: Any) -> tuple[User, User, str, str]:
    """(creator enrolled in LIVE gifts with a video "Clip", fan with 700 coins, video, Rose)."""
    creator = await sign_up(api, "star")
    fan = await sign_up(api, "fan")
    await enrol(api.engine, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 700)
    return creator, fan, await publish(api, creator, "Clip"), await gift_id(api, "Rose")


GIFTS = "GIFTS_RECEIVED"


def on_clip(gifts: int, **times: str) -> dict[str, Any]:
    diamonds = "diamond" if gifts == 1 else "diamonds"
    plural = "gift" if gifts == 1 else "gifts"
    body = f'{gifts} {plural} on "Clip" today (UTC): {gifts} {diamonds}.'
    return notice(GIFTS, "Gifts on your video", body, gifts, **times)


# --- gifts ---------------------------------------------------------------------------------


async def test_twelve_gifts_on_a_video_make_one_notification(api, clock):
    creator, fan, video, rose = await gifting(api)

    assert (await gift(api, fan, {"videoId": video}, rose))["userErrors"] == []
    assert await inbox(api, creator) == {"total": 1, "unread": 1, "nodes": [on_clip(1)]}
    for _ in range(1, 12):
        clock.advance(timedelta(minutes=1))
        assert (await gift(api, fan, {"videoId": video}, rose))["userErrors"] == []

    later = "2026-06-15T12:11:00+00:00"
    assert await inbox(api, creator) == {
        "total": 1, "unread": 1, "nodes": [on_clip(12, updated=later)],
    }  # fmt: skip
    assert await rows(api, creator) == [(GIFTS, {"videoId": decode_pk(video), "day": "2026-06-15"})]


async def test_a_read_batch_is_unread_again_and_rises_above_newer_ones(api, clock):
    creator, fan, video, rose = await gifting(api)
    await gift(api, fan, {"videoId": video}, rose, quantity=2)
    await enrol(api.engine, creator, "TIPS")
    clock.advance(timedelta(minutes=5))
    tip = {"creatorId": creator.id, "amountCents": 500, "method": "COINS",
           "idempotencyKey": new_key()}  # fmt: skip
    assert (await api.mutate("sendTip", tip, "tip { id }", token=fan.token))["userErrors"] == []
    marked = await api.mutate("markNotificationsRead", {}, "unreadCount", token=creator.token)
    assert marked["unreadCount"] == 0
    assert [n["kind"] for n in (await inbox(api, creator))["nodes"]] == ["TIP_RECEIVED", GIFTS]

    clock.advance(timedelta(minutes=5))
    await gift(api, fan, {"videoId": video}, rose, quantity=3)

    found = await inbox(api, creator)
    assert (found["total"], found["unread"]) == (2, 1)
    assert found["nodes"][0] == on_clip(5, updated="2026-06-15T12:10:00+00:00")
    assert found["nodes"][1]["kind"] == "TIP_RECEIVED" and found["nodes"][1]["readAt"] is not None


async def test_a_new_utc_day_starts_a_new_notification(api, clock):
    creator, fan, video, rose = await gifting(api)
    clock.set(clock.now().replace(hour=23, minute=59, second=59))
    await gift(api, fan, {"videoId": video}, rose)
    clock.advance(timedelta(seconds=1))  # 2026-06-16T00:00:00Z
    await gift(api, fan, {"videoId": video}, rose)
    await gift(api, fan, {"videoId": video}, rose)

    day_one, day_two = "2026-06-15T23:59:59+00:00", "2026-06-16T00:00:00+00:00"
    assert await inbox(api, creator) == {
        "total": 2, "unread": 2,
        "nodes": [on_clip(2, created=day_two, updated=day_two),
                  on_clip(1, created=day_one, updated=day_one)],
    }  # fmt: skip
    days = [data["day"] for _, data in await rows(api, creator)]
    assert days == ["2026-06-15", "2026-06-16"]


async def test_concurrent_gifts_add_to_one_notification(api):
    creator, fan, video, rose = await gifting(api)

    payloads = await asyncio.gather(*(gift(api, fan, {"videoId": video}, rose) for _ in range(10)))

    assert [p["userErrors"] for p in payloads] == [[]] * 10
    assert await inbox(api, creator) == {"total": 1, "unread": 1, "nodes": [on_clip(10)]}


async def test_gifts_on_a_live_are_batched_per_live(api, clock):
    creator, fan, _, rose = await gifting(api)
    live = await go_live(api, creator)  # titled "On air"
    await gift(api, fan, {"liveId": live}, rose, quantity=4)
    await gift(api, fan, {"liveId": live}, rose)

    body = '5 gifts during "On air": 5 diamonds.'
    assert (await inbox(api, creator))["nodes"] == [notice(GIFTS, "Gifts on your LIVE", body, 5)]
    assert await rows(api, creator) == [(GIFTS, {"liveId": decode_pk(live)})]


async def test_a_refused_gift_notifies_no_one(api):
    creator, fan, video, _ = await gifting(api)
    universe = await gift_id(api, "Universe")  # 44,999 coins; the fan has 700

    payload = await gift(api, fan, {"videoId": video}, universe)

    assert [e["code"] for e in payload["userErrors"]] == ["INSUFFICIENT_COINS"]
    assert await inbox(api, creator) == {"total": 0, "unread": 0, "nodes": []}


# --- tips ----------------------------------------------------------------------------------


async def send_tip(api: Any, fan: User, creator: User, cents: int, anonymous: bool) -> Any:
    input = {"creatorId": creator.id, "amountCents": cents, "method": "COINS",
             "anonymous": anonymous, "idempotencyKey": new_key()}  # fmt: skip
    return await api.mutate("sendTip", input, "tip { id }", token=fan.token)


async def test_tips_are_batched_and_an_anonymous_tip_names_no_one(api):
    creator = await sign_up(api, "star")
    await enrol(api.engine, creator, "TIPS")
    named, hidden = await sign_up(api, "named"), await sign_up(api, "hidden")
    await buy_coins(api, named, 700)
    await buy_coins(api, hidden, 1400)

    first = await send_tip(api, named, creator, 500, anonymous=False)
    assert first["userErrors"] == []
    assert (await inbox(api, creator))["nodes"] == [
        notice("TIP_RECEIVED", "Tips received",
               "1 tip today (UTC), 5.00 USD in all. Latest: 5.00 USD from @named.")
    ]  # fmt: skip
    second = await send_tip(api, hidden, creator, 1005, anonymous=True)
    assert second["userErrors"] == []

    found = await inbox(api, creator)
    assert found["nodes"] == [
        notice("TIP_RECEIVED", "Tips received",
               "2 tips today (UTC), 15.05 USD in all. Latest: 10.05 USD from someone who "
               "tipped anonymously.", 2)
    ]  # fmt: skip
    assert await rows(api, creator) == [
        ("TIP_RECEIVED", {"day": "2026-06-15", "latestTipId": decode_pk(second["tip"]["id"])})
    ]
    assert "hidden" not in str(found) and str(hidden.pk) not in str(await rows(api, creator))


async def test_a_refused_tip_notifies_no_one(api):
    creator = await sign_up(api, "star")
    await enrol(api.engine, creator, "TIPS")
    fan = await sign_up(api, "fan")  # no coins

    payload = await send_tip(api, fan, creator, 500, anonymous=False)

    assert [e["code"] for e in payload["userErrors"]] == ["INSUFFICIENT_COINS"]
    assert await inbox(api, creator) == {"total": 0, "unread": 0, "nodes": []}


# --- Series --------------------------------------------------------------------------------


async def test_a_sale_tells_the_creator_and_a_refund_tells_the_fan(api):
    creator = await sign_up(api, "maker")
    await enrol(api.engine, creator, "SERIES")
    series = await make_series(api, creator, 499, "Saga")
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    staff = await make_staff(api, api.engine)

    input = {"seriesId": series, "paidWith": "COINS", "idempotencyKey": new_key()}
    bought = await api.mutate("purchaseSeries", input, "purchase { id coins }", token=fan.token)
    assert bought["userErrors"] == [] and bought["purchase"]["coins"] == 353

    sold = ('1 sale of "Saga" today (UTC): 3.49 USD to your pending earnings, available once '
            "the refund window closes.")  # fmt: skip
    assert await inbox(api, creator) == {
        "total": 1, "unread": 1, "nodes": [notice("SERIES_SOLD", "Series sales", sold)],
    }  # fmt: skip
    assert await rows(api, creator) == [
        ("SERIES_SOLD", {"seriesId": decode_pk(series), "day": "2026-06-15"})
    ]
    assert await inbox(api, fan) == {"total": 0, "unread": 0, "nodes": []}

    purchase = bought["purchase"]["id"]
    refunded = await api.mutate(
        "refundSeriesPurchase", {"purchaseId": purchase}, "purchase { status }", token=staff.token
    )
    assert refunded["userErrors"] == []

    body = ('Your purchase of "Saga" was refunded and its episodes are locked again. '
            "353 coins are back in your wallet.")  # fmt: skip
    assert await inbox(api, fan) == {
        "total": 1, "unread": 1,
        "nodes": [notice("SERIES_PURCHASE_REFUNDED", "Purchase refunded", body)],
    }  # fmt: skip
    assert await rows(api, fan) == [
        ("SERIES_PURCHASE_REFUNDED", {"purchaseId": decode_pk(purchase),
         "seriesId": decode_pk(series), "coins": 353, "amountCents": 499})
    ]  # fmt: skip

    again = await api.mutate(
        "refundSeriesPurchase", {"purchaseId": purchase}, "purchase { status }", token=staff.token
    )
    assert [e["code"] for e in again["userErrors"]] == ["PURCHASE_NOT_ACTIVE"]
    assert (await inbox(api, fan))["total"] == 1  # a refused refund tells no one


# --- Creator Rewards -----------------------------------------------------------------------


async def test_credited_rewards_tell_the_creator(api):
    creator = await sign_up(api, "star")
    await enrol(api.engine, creator, "CREATOR_REWARDS")
    video = await publish(api, creator, durationSeconds=61)
    await add_views(api.engine, video, {date(2026, 6, 14): 10_000})
    staff = await make_staff(api, api.engine)

    run = await api.mutate(
        "runRewardsAccrual", {"date": "2026-06-14"}, "creatorsCredited", token=staff.token
    )
    assert run == {"creatorsCredited": 1, "userErrors": []}

    body = "10,000 qualified views on 2026-06-14 earned you 5.00 USD."
    assert await inbox(api, creator) == {
        "total": 1, "unread": 1,
        "nodes": [notice("REWARDS_CREDITED", "Creator Rewards credited", body)],
    }  # fmt: skip
    assert await rows(api, creator) == [
        ("REWARDS_CREDITED", {"day": "2026-06-14", "qualifiedViews": 10_000, "cents": 500})
    ]


async def test_a_cursor_of_the_id_alone_still_pages(api, clock):
    creator, fan, _, rose = await gifting(api)
    for _minute in range(3):
        await gift(api, fan, {"videoId": await publish(api, creator, "Clip")}, rose)
        clock.advance(timedelta(minutes=1))
    async with api.engine.connect() as connection:
        newest = await connection.scalar(sa.text("SELECT max(id) FROM notifications"))
    legacy = encode_cursor((newest,))
    query = (
        "query($a: String!) { viewer { notifications(first: 5, after: $a) "
        "{ edges { node { updatedAt } } } } }"
    )
    found = await api.data(query, {"a": legacy}, token=creator.token)
    assert [e["node"]["updatedAt"] for e in found["viewer"]["notifications"]["edges"]] == [
        "2026-06-15T12:01:00+00:00",
        "2026-06-15T12:00:00+00:00",
    ]
