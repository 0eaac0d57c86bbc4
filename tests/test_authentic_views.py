"""Authentic views (issue 15): `recordView` records every play (`Video.playCount`) and counts an
authentic view (`Video.viewCount`, analytics, `viewsInLast30Days`, eligibility, Creator Rewards)
only when it is not the owner's and is the viewer's first of the video that UTC day: a logged-in
account, or an anonymous client holding a viewer token from `startViewerSession`. A missing or
forged token makes a play, never an error. Views stay throttled per account or client address.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from reelpay.app import create_app
from reelpay.content import viewer_tokens
from reelpay.settings import Limits
from tests.conftest import START, Api
from tests.factories import (
    User,
    add_followers,
    add_views,
    enrol,
    make_staff,
    publish,
    sign_up,
)

TODAY = START.date()  # 2026-06-15, the clock at noon
RECORD_VIEW = """mutation($input: RecordViewInput!) { recordView(input: $input) {
  video { viewCount playCount } userErrors { code message field retryAfterSeconds } } }"""
START_SESSION = """mutation($input: StartViewerSessionInput!) { startViewerSession(input: $input) {
  viewerToken userErrors { code message retryAfterSeconds } } }"""


# --- helpers -------------------------------------------------------------------------------


async def view(
    api: Api, video_id: str, user: User | None = None, viewer_token: str | None = None
) -> dict[str, Any]:
    """recordView; returns its payload (it must not fail)."""
    input: dict[str, Any] = {"videoId": video_id}
    if viewer_token is not None:
        input["viewerToken"] = viewer_token
    data = await api.data(RECORD_VIEW, {"input": input}, user.token if user else None)
    return data["recordView"]


async def counts(api: Api, video_id: str) -> tuple[int, int]:
    """(viewCount, playCount) as an anonymous reader sees them."""
    data = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Video { viewCount playCount } } }",
        {"id": video_id},
    )
    return data["node"]["viewCount"], data["node"]["playCount"]


async def start_session(api: Api, viewer_token: str | None = None) -> dict[str, Any]:
    input = {} if viewer_token is None else {"viewerToken": viewer_token}
    return (await api.data(START_SESSION, {"input": input}))["startViewerSession"]


async def new_token(api: Api) -> str:
    payload = await start_session(api)
    assert payload["userErrors"] == []
    token: str = payload["viewerToken"]
    return token


async def views_in_window(api: Api, owner: User) -> int:
    data = await api.data("{ viewer { viewsInLast30Days } }", token=owner.token)
    result: int = data["viewer"]["viewsInLast30Days"]
    return result


async def relog(api: Api, *users: User) -> None:
    """Sessions last 30 days: log in again after a long clock move."""
    for user in users:
        login = {"email": user.email, "password": user.password}
        user.token = (await api.mutate("logIn", login, "token"))["token"]


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


# --- who counts ------------------------------------------------------------------------------


async def test_the_owners_views_are_plays_never_authentic_views(api):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    token = await new_token(api)

    logged_in = [await view(api, video, alice) for _ in range(3)]
    # Logged in, the account is the viewer: a viewer token it also sends changes nothing.
    with_token = await view(api, video, alice, viewer_token=token)

    assert [p["video"] for p in logged_in] == [{"viewCount": 0, "playCount": n} for n in (1, 2, 3)]
    assert with_token == {"video": {"viewCount": 0, "playCount": 4}, "userErrors": []}
    assert await counts(api, video) == (0, 4)


async def test_a_logged_in_viewer_counts_once_per_video_and_utc_day(api, clock):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    first, second = await publish(api, alice, "First"), await publish(api, alice, "Second")
    clock.set(at("2026-06-15T23:59:59"))

    same_day = [(await view(api, first, bob))["video"] for _ in range(3)]
    other_video = (await view(api, second, bob))["video"]
    clock.set(at("2026-06-16T00:00:00"))
    next_day = [(await view(api, first, bob))["video"] for _ in range(2)]

    assert same_day == [
        {"viewCount": 1, "playCount": 1},
        {"viewCount": 1, "playCount": 2},
        {"viewCount": 1, "playCount": 3},
    ]
    assert other_video == {"viewCount": 1, "playCount": 1}  # once per video, not per owner
    assert next_day == [{"viewCount": 2, "playCount": 4}, {"viewCount": 2, "playCount": 5}]


async def test_an_anonymous_viewer_with_a_token_counts_once_per_day(api, clock):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    one, two = await new_token(api), await new_token(api)
    clock.set(at("2026-06-15T23:59:59"))

    first = [(await view(api, video, viewer_token=one))["video"] for _ in range(2)]
    other_client = (await view(api, video, viewer_token=two))["video"]
    clock.set(at("2026-06-16T00:00:00"))
    next_day = [(await view(api, video, viewer_token=one))["video"] for _ in range(2)]

    assert first == [{"viewCount": 1, "playCount": 1}, {"viewCount": 1, "playCount": 2}]
    assert other_client == {"viewCount": 2, "playCount": 3}
    assert next_day == [{"viewCount": 3, "playCount": 4}, {"viewCount": 3, "playCount": 5}]


async def test_without_a_valid_token_an_anonymous_view_is_a_play_and_never_an_error(api):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    good = await new_token(api)
    prefix, client_id, signature = good.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    bad_tokens = [
        None,  # no token at all
        "",
        "junk",
        f"{prefix}.{client_id}.{flipped}",  # altered signature
        f"{prefix}.{client_id[::-1]}.{signature}",  # another client id under this signature
        viewer_tokens.issue("another server's secret key, long enough to pass"),
        f"{prefix}.{client_id}.{signature}é",  # not ASCII
        "rv1." + "x" * 5000 + ".y",
    ]

    payloads = [await view(api, video, viewer_token=t) for t in bad_tokens]

    assert [p["userErrors"] for p in payloads] == [[]] * len(bad_tokens)
    assert [p["video"]["viewCount"] for p in payloads] == [0] * len(bad_tokens)
    assert await counts(api, video) == (0, len(bad_tokens))
    assert (await view(api, video, viewer_token=good))["video"] == {
        "viewCount": 1,
        "playCount": len(bad_tokens) + 1,
    }


async def test_start_viewer_session_keeps_a_valid_token_and_replaces_a_bad_one(api):
    token = await new_token(api)

    kept = await start_session(api, token)
    replaced = await start_session(api, token + "x")

    assert token.startswith("rv1.") and len(token) < 100
    assert kept == {"viewerToken": token, "userErrors": []}
    assert replaced["userErrors"] == []
    assert replaced["viewerToken"] not in (token, token + "x")
    assert viewer_tokens.client_id("any secret", replaced["viewerToken"]) is None  # signed


async def test_hidden_videos_are_not_found_and_count_nothing(api, engine):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    private = await publish(api, alice, "Private", visibility="PRIVATE")
    token = await new_token(api)

    refused = [
        await view(api, private, bob),
        await view(api, private, viewer_token=token),
    ]

    assert [p["userErrors"][0]["code"] for p in refused] == ["NOT_FOUND", "NOT_FOUND"]
    assert [p["video"] for p in refused] == [None, None]
    staff = await make_staff(api, engine)
    assert (await view(api, private, staff))["video"] == {"viewCount": 1, "playCount": 1}


# --- concurrency -------------------------------------------------------------------------------


async def test_concurrent_views_of_one_viewer_count_once(api):
    """20 views of one account and 20 of one anonymous client at once: the mark's primary key
    lets one of each count (on PostgreSQL these transactions really overlap)."""
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    video = await publish(api, alice)
    token = await new_token(api)

    payloads = await asyncio.gather(
        *(view(api, video, bob) for _ in range(20)),
        *(view(api, video, viewer_token=token) for _ in range(20)),
    )

    assert [p["userErrors"] for p in payloads] == [[]] * 40
    assert await counts(api, video) == (2, 40)


# --- the figures that open programs and pay ------------------------------------------------


ELIGIBILITY = """{ eligibility(program: CREATOR_REWARDS) {
  canApply criteria { criterion met currentValue } } }"""


async def views_criterion(api: Api, user: User) -> tuple[bool, bool, str]:
    """(canApply, VIEWS met, VIEWS currentValue) for Creator Rewards."""
    data = (await api.data(ELIGIBILITY, token=user.token))["eligibility"]
    (views,) = [c for c in data["criteria"] if c["criterion"] == "VIEWS"]
    return data["canApply"], views["met"], views["currentValue"]


async def test_eligibility_counts_authentic_views_only(api, engine, clock):
    """99,999 authentic views and any number of the owner's and tokenless plays: ineligible;
    one more authentic view: eligible."""
    star, fan, other_fan = [await sign_up(api, h) for h in ("star", "fan", "other_fan")]
    await add_followers(engine, star, 12_000)
    video = await publish(api, star)
    await add_views(engine, video, {TODAY: 99_998})
    for _ in range(5):
        await view(api, video, star)  # the owner's own plays
        await view(api, video)  # anonymous, no viewer token
        await view(api, video, fan)  # one authentic view, four plays

    clock.advance(timedelta(days=1))
    assert await views_in_window(api, star) == 99_999
    assert await views_criterion(api, star) == (False, False, "99999")
    assert await counts(api, video) == (99_999, 99_998 + 15)

    await view(api, video, other_fan)
    clock.advance(timedelta(days=1))
    assert await views_criterion(api, star) == (True, True, "100000")


async def test_the_30_day_window_of_recorded_views(api, clock):
    """A view on 2026-06-15 enters the window on 06-16, is in it on 07-15 (30 days old) and
    leaves on 07-16; the owner's own views of those days never enter it."""
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    video = await publish(api, alice)
    await view(api, video, bob)
    await view(api, video, alice)

    windows = {}
    for moment in ("2026-06-15T23:59:59", "2026-06-16T00:00:00", "2026-07-15T23:59:59",
                   "2026-07-16T00:00:00"):  # fmt: skip
        clock.set(at(moment))
        await relog(api, alice)
        windows[moment[:10] + moment[10:13]] = await views_in_window(api, alice)

    assert windows == {
        "2026-06-15T23": 0,
        "2026-06-16T00": 1,
        "2026-07-15T23": 1,
        "2026-07-16T00": 0,
    }


async def test_creator_rewards_pay_on_authentic_views_only(api, engine, clock):
    star, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(engine, star, "CREATOR_REWARDS")
    staff = await make_staff(api, engine)
    video = await publish(api, star, durationSeconds=61)
    await add_views(engine, video, {TODAY: 99_997})
    one, two = await new_token(api), await new_token(api)
    for _ in range(3):
        await view(api, video, star)
        await view(api, video, fan)
        await view(api, video, viewer_token=one)
        await view(api, video, viewer_token=two)
        await view(api, video, viewer_token="forged")

    clock.advance(timedelta(days=1))
    run = await api.mutate(
        "runRewardsAccrual",
        {"date": TODAY.isoformat()},
        "creatorsCredited credited { minorUnits }",
        token=staff.token,
    )
    days = await api.data(
        "query($f: Date!) { viewer { rewards(from: $f, to: $f) { "
        "qualifiedViews credited { minorUnits } } } }",
        {"f": TODAY.isoformat()},
        star.token,
    )

    assert run == {"creatorsCredited": 1, "credited": {"minorUnits": 5_000}, "userErrors": []}
    # 99,997 + the fan + two anonymous clients; 100,000 * 50 // 1000 cents.
    assert days["viewer"]["rewards"] == [
        {"qualifiedViews": 100_000, "credited": {"minorUnits": 5_000}}
    ]


# --- throttles ---------------------------------------------------------------------------------


@pytest.fixture
async def api_with(settings, clock, clean_db) -> AsyncIterator[Callable[..., Awaitable[Api]]]:
    """`await api_with(**limits)`: an API whose throttles have these limits."""
    apps: list[Any] = []
    clients: list[httpx.AsyncClient] = []

    async def make(**limits: int) -> Api:
        changed = dataclasses.replace(settings, limits=dataclasses.replace(Limits(), **limits))
        app = create_app(changed, clock=clock, engine=clean_db)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        apps.append(app)
        clients.append(client)
        return Api(client, clean_db, app)

    yield make
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.state.services.broker.close()


async def test_new_viewer_tokens_do_not_widen_the_per_address_view_bound(api_with):
    api = await api_with(views_per_address=3)
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    tokens = [await new_token(api) for _ in range(4)]

    payloads = [await view(api, video, viewer_token=t) for t in tokens]

    assert [p["userErrors"] for p in payloads[:3]] == [[]] * 3
    assert payloads[3]["video"] is None
    assert payloads[3]["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert 1 <= payloads[3]["userErrors"][0]["retryAfterSeconds"] <= 60
    assert await counts(api, video) == (3, 3)  # the refused view recorded nothing


async def test_viewer_sessions_are_throttled_per_address(api_with):
    api = await api_with(viewer_sessions_per_address=2)
    first, second = await new_token(api), await new_token(api)

    third = await start_session(api)
    kept = await start_session(api, first)  # a valid token comes back without counting
    aliased = await api.execute(
        "mutation { a: startViewerSession(input: {}) { viewerToken } "
        "b: startViewerSession(input: {}) { viewerToken } }"
    )

    assert first != second
    assert third["viewerToken"] is None
    assert third["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert third["userErrors"][0]["message"].startswith(
        "Too many viewer sessions started from this address"
    )
    assert 1 <= third["userErrors"][0]["retryAfterSeconds"] <= 3_600
    assert kept == {"viewerToken": first, "userErrors": []}
    assert "data" not in aliased
    assert aliased["errors"][0]["extensions"]["reason"] == "ONCE_PER_OPERATION"


def test_viewer_tokens_round_trip_and_reject_what_we_did_not_sign():
    key = "k" * 40
    token = viewer_tokens.issue(key)
    client_id = viewer_tokens.client_id(key, token)

    assert client_id is not None and token == f"rv1.{client_id}.{token.split('.')[2]}"
    assert viewer_tokens.issue(key) != token  # each call names a new viewer
    assert viewer_tokens.client_id("j" * 40, token) is None
    assert viewer_tokens.client_id(key, None) is None
    assert viewer_tokens.client_id(key, "rv2" + token[3:]) is None
    assert viewer_tokens.client_id(key, token + ".x") is None
