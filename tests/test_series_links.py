"""Series links (issue 15): a creator links one of their published Series from a video
(`Video.series`, `linkVideoSeries`, `unlinkVideoSeries`) and chooses the order of their
profile's Series (`setProfileSeriesOrder`), on both backends.

Rules: only the owner links, only their own PUBLISHED Series from their own live video
(anyone else's video or Series is NOT_FOUND, a draft or archived Series SERIES_NOT_PUBLISHED);
a link shows while the Series is PUBLISHED, to whoever can see the video, and archiving clears
it; it never grants access. The profile lists Series by position, highest first: a new draft
and a newly published Series go on top; a reorder names every published Series exactly once
and puts drafts and archived Series after them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.graphql.relay import encode_cursor, encode_id
from tests.factories import (
    User,
    buy_coins,
    decode_pk,
    make_staff,
    publish,
    set_account,
    set_standing,
    sign_up,
)
from tests.test_series_buying import buy, make_creator, make_series, ok

SERIES = "id title status price { amount currency }"
VIDEO = f"id updatedAt series {{ {SERIES} }}"
VIDEO_QUERY = f"query($id: ID!) {{ node(id: $id) {{ ... on Video {{ {VIDEO} }} }} }}"
LOCKED = (
    "query($id: ID!) { node(id: $id) { ... on Video { series { id title "
    "viewerAccess { allowed reason } episodes { title playback { allowed reason url } } } } } }"
)
VIDEO_ID, SERIES_ID = ["input", "videoId"], ["input", "seriesId"]


# --- helpers -------------------------------------------------------------------------------


async def link(api: Any, user: User | None, video_id: str, series_id: str) -> dict[str, Any]:
    return await api.mutate(
        "linkVideoSeries", {"videoId": video_id, "seriesId": series_id}, f"video {{ {VIDEO} }}",
        token=user.token if user else None,
    )  # fmt: skip


async def unlink(api: Any, user: User | None, video_id: str) -> dict[str, Any]:
    return await api.mutate(
        "unlinkVideoSeries", {"videoId": video_id}, f"video {{ {VIDEO} }}",
        token=user.token if user else None,
    )  # fmt: skip


async def seen(api: Any, video_id: str, user: User | None) -> Any:
    """The video as `user` sees it through `node(id:)` (None when hidden)."""
    data = await api.data(VIDEO_QUERY, {"id": video_id}, user.token if user else None)
    return data["node"]


async def linked(api: Any, video_id: str, user: User | None) -> Any:
    """The title of the Series `user` sees linked from the video (None: no link shown)."""
    video = await seen(api, video_id, user)
    assert video is not None
    return video["series"]["title"] if video["series"] else None


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def stored_link(api: Any, video_id: str) -> int | None:
    async with api.engine.connect() as connection:
        found = await connection.scalar(
            sa.text("SELECT series_id FROM videos WHERE id = :v"), {"v": decode_pk(video_id)}
        )
    return int(found) if found is not None else None


async def creator_with(api: Any, handle: str = "maker", *statuses: str) -> tuple[User, list[str]]:
    """An enrolled creator, a video of theirs, and Series in `statuses` (titles S1, S2...)."""
    creator = await make_creator(api, handle)
    ids = [
        await make_series(api, creator, title=f"S{n}", status=status)
        for n, status in enumerate(statuses, start=1)
    ]
    return creator, ids


# --- linking -------------------------------------------------------------------------------


@pytest.mark.usefixtures("verify_ledger")
async def test_a_fan_reaches_a_linked_series_locked_until_they_buy_it(api, clock):
    creator, [series_id] = await creator_with(api, "maker", "PUBLISHED")
    video_id = await publish(api, creator, "Trailer")
    fan = await sign_up(api, "fan")
    clock.advance(timedelta(minutes=5))

    payload = await link(api, creator, video_id, series_id)

    assert payload["userErrors"] == []
    assert payload["video"]["id"] == video_id
    assert payload["video"]["series"] == {
        "id": series_id,
        "title": "S1",
        "status": "PUBLISHED",
        "price": {"amount": "4.99", "currency": "USD"},
    }
    assert payload["video"]["updatedAt"] == "2026-06-15T12:05:00+00:00"
    for viewer in (fan, None):
        node = (await api.data(LOCKED, {"id": video_id}, viewer.token if viewer else None))["node"]
        assert node["series"]["viewerAccess"] == {"allowed": False, "reason": "NOT_PURCHASED"}
        assert node["series"]["episodes"] == [
            {
                "title": "Pilot",
                "playback": {"allowed": False, "reason": "NOT_PURCHASED", "url": None},
            }
        ]

    await buy_coins(api, fan, 700)
    bought = await buy(api, fan, series_id)

    assert bought["userErrors"] == []
    node = (await api.data(LOCKED, {"id": video_id}, fan.token))["node"]
    assert node["series"]["viewerAccess"] == {"allowed": True, "reason": "PURCHASED"}
    [episode] = node["series"]["episodes"]
    assert episode["playback"]["allowed"] is True and episode["playback"]["url"]


async def test_linking_again_changes_nothing_another_series_replaces_and_unlink_removes(api, clock):
    creator, [first, second] = await creator_with(api, "maker", "PUBLISHED", "PUBLISHED")
    video_id = await publish(api, creator, "Trailer")
    clock.advance(timedelta(minutes=1))
    linked_once = await link(api, creator, video_id, first)
    clock.advance(timedelta(minutes=1))

    again = await link(api, creator, video_id, first)

    assert again["userErrors"] == [] and again["video"] == linked_once["video"]
    assert again["video"]["updatedAt"] == "2026-06-15T12:01:00+00:00"

    replaced = await link(api, creator, video_id, second)

    assert replaced["video"]["series"]["title"] == "S2"
    assert replaced["video"]["updatedAt"] == "2026-06-15T12:02:00+00:00"
    assert await linked(api, video_id, None) == "S2"
    clock.advance(timedelta(minutes=1))

    removed = await unlink(api, creator, video_id)
    removed_again = await unlink(api, creator, video_id)

    assert removed["userErrors"] == [] and removed["video"]["series"] is None
    assert removed["video"]["updatedAt"] == "2026-06-15T12:03:00+00:00"
    assert removed_again["userErrors"] == [] and removed_again["video"] == removed["video"]
    assert await linked(api, video_id, creator) is None
    assert await stored_link(api, video_id) is None


async def test_another_users_video_or_series_is_not_found_and_nothing_changes(api):
    creator, [mine] = await creator_with(api, "maker", "PUBLISHED")
    other, [theirs, their_draft] = await creator_with(api, "other", "PUBLISHED", "DRAFT")
    staff = await make_staff(api, api.engine)
    my_video = await publish(api, creator, "Mine")
    their_video = await publish(api, other, "Theirs")
    await link(api, other, their_video, theirs)
    unknown = encode_id("Series", 999_999)

    attempts = [
        (creator, their_video, mine, VIDEO_ID),  # someone else's video
        (creator, my_video, theirs, SERIES_ID),  # someone else's published Series
        (creator, my_video, their_draft, SERIES_ID),  # ... or draft
        (creator, my_video, unknown, SERIES_ID),  # no such Series
        (staff, their_video, theirs, VIDEO_ID),  # staff link nobody else's video
        (other, my_video, theirs, VIDEO_ID),
    ]
    for user, video_id, series_id, field in attempts:
        payload = await link(api, user, video_id, series_id)
        assert payload["video"] is None
        assert errors(payload) == [("NOT_FOUND", field)], (user.handle, field)
    # A foreign draft reads exactly like a Series that does not exist: nothing leaks.
    draft_error = (await link(api, creator, my_video, their_draft))["userErrors"]
    unknown_error = (await link(api, creator, my_video, unknown))["userErrors"]
    assert draft_error == unknown_error
    for user in (creator, staff):
        payload = await unlink(api, user, their_video)
        assert errors(payload) == [("NOT_FOUND", VIDEO_ID)]

    assert await stored_link(api, my_video) is None
    assert await linked(api, their_video, None) == "S1"


@pytest.mark.parametrize("status", ["DRAFT", "ARCHIVED"])
async def test_only_a_published_series_can_be_linked(api, status):
    creator, [published, other] = await creator_with(api, "maker", "PUBLISHED", status)
    video_id = await publish(api, creator, "Trailer")
    await link(api, creator, video_id, published)

    payload = await link(api, creator, video_id, other)

    assert errors(payload) == [("SERIES_NOT_PUBLISHED", SERIES_ID)]
    assert payload["video"] is None
    assert await linked(api, video_id, creator) == "S1"
    assert await stored_link(api, video_id) == decode_pk(published)


async def test_a_deleted_video_is_not_found(api):
    creator, [series_id] = await creator_with(api, "maker", "PUBLISHED")
    video_id = await publish(api, creator, "Trailer")
    await link(api, creator, video_id, series_id)
    await ok(api, "deleteVideo", {"videoId": video_id}, "deletedVideoId", creator)

    linking = await link(api, creator, video_id, series_id)
    unlinking = await unlink(api, creator, video_id)

    assert errors(linking) == [("NOT_FOUND", VIDEO_ID)]
    assert errors(unlinking) == [("NOT_FOUND", VIDEO_ID)]
    assert await seen(api, video_id, creator) is None


@pytest.mark.parametrize(
    ("video", "series", "field"),
    [
        ("junk", "SERIES", VIDEO_ID),
        ("", "SERIES", VIDEO_ID),
        ("VIDEO", "junk", SERIES_ID),
        ("SERIES", "SERIES", VIDEO_ID),  # a Series' ID where a video's belongs
        ("VIDEO", "VIDEO", SERIES_ID),
    ],
)
async def test_malformed_ids_are_invalid_id(api, video, series, field):
    creator, [series_id] = await creator_with(api, "maker", "PUBLISHED")
    video_id = await publish(api, creator, "Trailer")
    real = {"VIDEO": video_id, "SERIES": series_id}

    payload = await link(api, creator, real.get(video, video), real.get(series, series))

    assert errors(payload) == [("INVALID_ID", field)]
    assert await stored_link(api, video_id) is None
    if series == "SERIES":
        assert errors(await unlink(api, creator, real.get(video, video))) == [
            ("INVALID_ID", VIDEO_ID)
        ]


@pytest.mark.parametrize(
    ("name", "input"),
    [
        ("linkVideoSeries", {"videoId": "junk", "seriesId": "junk"}),
        ("unlinkVideoSeries", {"videoId": "junk"}),
        ("setProfileSeriesOrder", {"seriesIds": ["junk"]}),
    ],
)
async def test_anonymous_callers_must_log_in_first(api, name, input):
    query = (
        f"mutation($i: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $i) "
        "{ userErrors { code } } }"
    )

    body = await api.execute(query, {"i": input})

    assert body["data"] is None  # the payload is non-null: the whole answer is the error
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_archiving_clears_the_link_and_it_cannot_come_back(api):
    creator, [series_id] = await creator_with(api, "maker", "PUBLISHED")
    video_id = await publish(api, creator, "Trailer")
    await link(api, creator, video_id, series_id)

    await ok(api, "archiveSeries", {"seriesId": series_id}, "series { id }", creator)

    assert await stored_link(api, video_id) is None
    for viewer in (creator, None):
        assert await linked(api, video_id, viewer) is None
    assert errors(await link(api, creator, video_id, series_id)) == [
        ("SERIES_NOT_PUBLISHED", SERIES_ID)
    ]


async def test_a_link_to_a_series_no_longer_published_reads_null(api):
    """Even if a row still pointed at an archived Series (say, a link written by hand), the
    field shows only a PUBLISHED Series."""
    creator, [series_id] = await creator_with(api, "maker", "PUBLISHED")
    video_id = await publish(api, creator, "Trailer")
    await link(api, creator, video_id, series_id)
    async with api.engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE series SET status = 'ARCHIVED' WHERE id = :s"),
            {"s": decode_pk(series_id)},
        )

    assert await stored_link(api, video_id) == decode_pk(series_id)
    assert await linked(api, video_id, creator) is None
    assert await linked(api, video_id, None) is None


async def test_the_link_is_seen_by_whoever_sees_the_video(api):
    creator, [series_id] = await creator_with(api, "maker", "PUBLISHED")
    public = await publish(api, creator, "Public")
    private = await publish(api, creator, "Private", visibility="PRIVATE")
    for video_id in (public, private):
        assert (await link(api, creator, video_id, series_id))["userErrors"] == []
    staff = await make_staff(api, api.engine)
    stranger, follower = await sign_up(api, "stranger"), await sign_up(api, "follower")

    assert await linked(api, private, creator) == "S1"
    assert await linked(api, private, staff) == "S1"
    assert await seen(api, private, stranger) is None
    assert await linked(api, public, None) == "S1"

    # A private account: its approved followers see the link, nobody else the video.
    await set_account(api, creator, visibility="PRIVATE")
    asked = await api.mutate(
        "follow", {"accountId": creator.id}, "status", token=follower.token,
        input_type="AccountRefInput",
    )  # fmt: skip
    assert asked["status"] == "PENDING"
    await api.mutate(
        "approveFollowRequest", {"accountId": follower.id}, "account { id }",
        token=creator.token, input_type="AccountRefInput",
    )  # fmt: skip

    assert await linked(api, public, follower) == "S1"
    assert await seen(api, public, stranger) is None
    assert await seen(api, public, None) is None
    profile = 'query { account(handle: "maker") { videos(first: 5) { edges { node { id } } } } }'
    assert (await api.data(profile, token=stranger.token))["account"]["videos"] is None


async def _pause(api: Any, creator: User) -> None:
    paused = await api.mutate(
        "pauseMonetization", {"program": "SERIES"}, "enrolment { id }", token=creator.token
    )
    assert paused["userErrors"] == []


async def _leave(api: Any, creator: User) -> None:
    left = await api.mutate(
        "leaveProgram", {"program": "SERIES"}, "leftEnrolmentId", token=creator.token
    )
    assert left["userErrors"] == []


async def _ban(api: Any, creator: User) -> None:
    await set_standing(api.engine, creator, "BANNED")


@pytest.mark.usefixtures("verify_ledger")
@pytest.mark.parametrize(
    ("stop", "code"),
    [
        (_pause, "MONETIZATION_PAUSED"),
        (_leave, "CREATOR_NOT_ELIGIBLE"),
        (_ban, "CREATOR_NOT_ELIGIBLE"),
    ],
)
async def test_a_creator_who_stops_selling_keeps_the_link_and_buying_refuses(api, stop, code):
    creator, [series_id] = await creator_with(api, "maker", "PUBLISHED")
    video_id = await publish(api, creator, "Trailer")
    await link(api, creator, video_id, series_id)
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)

    await stop(api, creator)

    assert await linked(api, video_id, fan) == "S1"
    payload = await buy(api, fan, series_id)
    assert [e["code"] for e in payload["userErrors"]] == [code]
    coins = await api.data("{ viewer { wallet { coins } } }", token=fan.token)
    assert coins["viewer"]["wallet"]["coins"] == 700
    # Linking checks only that the Series is theirs and published: buying decides the rest.
    other_video = await publish(api, creator, "Teaser")
    assert (await link(api, creator, other_video, series_id))["userErrors"] == []


# --- the profile's order -------------------------------------------------------------------

PROFILE = """query($h: String!, $first: Int, $after: String, $last: Int, $before: String) {
  account(handle: $h) { series(first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { title status } }
  } } }"""


async def profile(api: Any, user: User | None, handle: str = "maker", **page: Any) -> list[str]:
    """Titles of `handle`'s Series as `user` sees them, in order (unpublished ones marked)."""
    data = await api.data(PROFILE, {"h": handle, **page}, user.token if user else None)
    return [
        e["node"]["title"]
        + ("" if e["node"]["status"] == "PUBLISHED" else f" ({e['node']['status']})")
        for e in data["account"]["series"]["edges"]
    ]


async def reorder(api: Any, user: User, ids: list[str]) -> dict[str, Any]:
    return await api.mutate(
        "setProfileSeriesOrder", {"seriesIds": ids},
        "series { title } account { handle series(first: 10) { edges { node { title } } } }",
        token=user.token,
    )  # fmt: skip


async def test_the_owner_chooses_the_order_and_a_newly_published_series_goes_first(api):
    creator, [a, b, c] = await creator_with(api, "maker", *["PUBLISHED"] * 3)
    fan = await sign_up(api, "fan")
    assert await profile(api, fan) == ["S3", "S2", "S1"]  # until chosen: latest published first

    payload = await reorder(api, creator, [a, c, b])

    assert payload["userErrors"] == []
    assert [s["title"] for s in payload["series"]] == ["S1", "S3", "S2"]
    assert payload["account"]["handle"] == "maker"
    assert [e["node"]["title"] for e in payload["account"]["series"]["edges"]] == [
        "S1", "S3", "S2"
    ]  # fmt: skip
    for viewer in (fan, None, creator):
        assert await profile(api, viewer) == ["S1", "S3", "S2"]

    await make_series(api, creator, title="S4")

    assert await profile(api, fan) == ["S4", "S1", "S3", "S2"]
    again = await reorder(api, creator, [b, a, c, (await series_ids(api, creator))[0]])
    assert again["userErrors"] == []
    assert await profile(api, None) == ["S2", "S1", "S3", "S4"]


async def series_ids(api: Any, owner: User) -> list[str]:
    """The owner's Series' IDs in profile order (drafts and archived included)."""
    query = 'query { account(handle: "%s") { series(first: 100) { edges { node { id } } } } }'
    data = await api.data(query % owner.handle, token=owner.token)
    return [e["node"]["id"] for e in data["account"]["series"]["edges"]]


async def test_drafts_and_archived_series_follow_the_published_ones(api, clock):
    creator = await make_creator(api, "maker")
    for title, status in [("old draft", "DRAFT"), ("P1", "PUBLISHED"), ("gone", "ARCHIVED"),
                          ("P2", "PUBLISHED"), ("new draft", "DRAFT")]:  # fmt: skip
        clock.advance(timedelta(minutes=1))
        await make_series(api, creator, title=title, status=status)
    staff = await make_staff(api, api.engine)
    fan = await sign_up(api, "fan")
    ids = dict(zip(await profile(api, creator), await series_ids(api, creator), strict=True))
    everything = ["new draft (DRAFT)", "P2", "gone (ARCHIVED)", "P1", "old draft (DRAFT)"]
    assert list(ids) == everything  # as the profile was before any order: newest first

    payload = await reorder(api, creator, [ids["P1"], ids["P2"]])

    assert payload["userErrors"] == []
    ordered = ["P1", "P2", "new draft (DRAFT)", "gone (ARCHIVED)", "old draft (DRAFT)"]
    assert await profile(api, creator) == ordered
    assert await profile(api, staff) == ordered
    assert await profile(api, fan) == ["P1", "P2", "gone (ARCHIVED)"]
    assert await profile(api, None) == ["P1", "P2", "gone (ARCHIVED)"]


async def test_a_bad_list_is_invalid_input_naming_each_id_and_changes_nothing(api):
    creator, [a, b, draft, archived] = await creator_with(
        api, "maker", "PUBLISHED", "PUBLISHED", "DRAFT", "ARCHIVED"
    )
    _, [theirs] = await creator_with(api, "other", "PUBLISHED")
    unknown = encode_id("Series", 999_999)
    before = await profile(api, creator)
    at = lambda i: ["input", "seriesIds", str(i)]  # noqa: E731

    cases = [
        ([a], [("INVALID_INPUT", ["input", "seriesIds"], b)]),  # B is missing
        (
            [],
            [
                ("INVALID_INPUT", ["input", "seriesIds"], a),
                ("INVALID_INPUT", ["input", "seriesIds"], b),
            ],
        ),
        ([a, b, a], [("INVALID_INPUT", at(2), a)]),  # a duplicate
        ([a, b, unknown], [("INVALID_INPUT", at(2), unknown)]),  # an extra: no such Series
        ([a, theirs, b], [("INVALID_INPUT", at(1), theirs)]),  # someone else's
        ([draft, a, b], [("INVALID_INPUT", at(0), draft)]),
        ([a, b, archived], [("INVALID_INPUT", at(2), archived)]),
        (
            [theirs, a],
            [("INVALID_INPUT", at(0), theirs), ("INVALID_INPUT", ["input", "seriesIds"], b)],
        ),
    ]
    for ids, expected in cases:
        payload = await reorder(api, creator, ids)
        assert payload["series"] is None and payload["account"] is None
        found = [(e["code"], e["field"]) for e in payload["userErrors"]]
        assert found == [(code, field) for code, field, _ in expected], ids
        for error, (_, _, named) in zip(payload["userErrors"], expected, strict=True):
            assert named in error["message"], (ids, error)
    messages = {}
    for label, series_id in [("theirs", theirs), ("unknown", unknown)]:
        [error] = (await reorder(api, creator, [a, b, series_id]))["userErrors"]
        messages[label] = error["message"].replace(series_id, "<id>")
    assert messages["theirs"] == messages["unknown"]  # someone else's Series does not leak

    assert await profile(api, creator) == before


@pytest.mark.parametrize(("bad", "index"), [("junk", 1), ("", 0), ("VIDEO", 1)])
async def test_a_malformed_id_in_the_list_is_invalid_id(api, bad, index):
    creator, [a] = await creator_with(api, "maker", "PUBLISHED")
    video_id = await publish(api, creator, "Trailer")
    bad = video_id if bad == "VIDEO" else bad
    ids = [bad, a] if index == 0 else [a, bad]

    payload = await reorder(api, creator, ids)

    assert errors(payload) == [("INVALID_ID", ["input", "seriesIds", str(index)])]


async def test_reordering_is_yours_alone(api):
    _, [a, b] = await creator_with(api, "maker", "PUBLISHED", "PUBLISHED")
    staff = await make_staff(api, api.engine)
    newcomer = await sign_up(api, "newcomer")

    by_staff = await reorder(api, staff, [a, b])
    nothing = await reorder(api, newcomer, [])

    assert [e["code"] for e in by_staff["userErrors"]] == ["INVALID_INPUT", "INVALID_INPUT"]
    assert nothing["userErrors"] == [] and nothing["series"] == []
    assert nothing["account"] == {"handle": "newcomer", "series": {"edges": []}}
    assert await profile(api, None) == ["S2", "S1"]


async def test_pages_follow_the_chosen_order_both_ways(api):
    creator, ids = await creator_with(api, "maker", *["PUBLISHED"] * 5)
    chosen = [ids[2], ids[0], ids[4], ids[1], ids[3]]
    titles = ["S3", "S1", "S5", "S2", "S4"]
    assert (await reorder(api, creator, chosen))["userErrors"] == []

    forward, after = [], None
    while True:
        data = await api.data(PROFILE, {"h": "maker", "first": 2, "after": after})
        page = data["account"]["series"]
        assert page["totalCount"] == 5
        forward += [e["node"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backward, before = [], None
    while True:
        data = await api.data(PROFILE, {"h": "maker", "last": 2, "before": before})
        page = data["account"]["series"]
        backward = [e["node"]["title"] for e in page["edges"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]

    assert forward == titles and backward == titles


async def test_a_cursor_given_out_before_the_order_pages_on_from_that_series(api):
    creator, ids = await creator_with(api, "maker", *["PUBLISHED"] * 4)
    _, [theirs] = await creator_with(api, "other", "PUBLISHED")
    await reorder(api, creator, [ids[1], ids[3], ids[0], ids[2]])  # S2 S4 S1 S3
    old_cursor = encode_cursor((decode_pk(ids[3]),))  # S4, as the id-keyed list gave it out

    after = await profile(api, None, after=old_cursor, first=10)
    before = await profile(api, None, before=old_cursor, last=10)

    assert after == ["S1", "S3"] and before == ["S2"]
    foreign = encode_cursor((decode_pk(theirs),))
    body = await api.execute(PROFILE, {"h": "maker", "after": foreign})
    assert [e["extensions"]["reason"] for e in body["errors"]] == ["INVALID_CURSOR"]
    junk = await api.execute(PROFILE, {"h": "maker", "after": "junk"})
    assert [e["extensions"]["reason"] for e in junk["errors"]] == ["INVALID_CURSOR"]


async def test_concurrent_reorders_leave_one_whole_order(api, backend):
    creator, ids = await creator_with(api, "maker", *["PUBLISHED"] * 5)
    orders = [ids, ids[::-1], [ids[2], ids[0], ids[4], ids[1], ids[3]]]
    titles = {i: f"S{n}" for n, i in enumerate(ids, start=1)}

    for _ in range(4):
        payloads = await asyncio.gather(*(reorder(api, creator, order) for order in orders))

        assert [p["userErrors"] for p in payloads] == [[], [], []], backend
        final = await profile(api, None)
        assert final in [[titles[i] for i in order] for order in orders], (backend, final)
        async with api.engine.connect() as connection:
            positions = (await connection.execute(sa.text(
                "SELECT profile_position FROM series ORDER BY profile_position"
            ))).scalars().all()  # fmt: skip
        assert list(positions) == [1, 2, 3, 4, 5], backend


async def test_a_series_published_during_a_reorder_is_never_lost(api, backend):
    creator, [a, b] = await creator_with(api, "maker", "PUBLISHED", "PUBLISHED")
    draft = await make_series(api, creator, title="S3", status="DRAFT")

    published, reordered = await asyncio.gather(
        api.mutate("publishSeries", {"seriesId": draft}, "series { id }", token=creator.token),
        reorder(api, creator, [a, b]),
    )

    assert published["userErrors"] == []
    final = await profile(api, None)
    if reordered["userErrors"]:  # the Series was published first: the list lacks it
        assert [e["field"] for e in reordered["userErrors"]] == [["input", "seriesIds"]]
        assert draft in reordered["userErrors"][0]["message"]
        assert final == ["S3", "S2", "S1"], backend
    else:  # reordered first: publishing then put it on top
        assert final == ["S3", "S1", "S2"], backend


# --- the demo ------------------------------------------------------------------------------


async def test_the_demo_links_chef_leos_series_from_a_video(api, settings, clock, clean_db):
    from tests.test_demo import seed_at

    await seed_at(clean_db, settings, clock.now())
    query = """{ account(handle: "chef.leo") {
      series(first: 5) { edges { node { id } } }
      videos(first: 10) { edges { node { title series { id title } } } } } }"""

    data = (await api.data(query))["account"]

    [series] = [e["node"]["id"] for e in data["series"]["edges"]]
    links = {e["node"]["title"]: e["node"]["series"] for e in data["videos"]["edges"]}
    assert links["Ratatouille in 5"] == {"id": series, "title": "Five-ingredient dinners"}
    assert [t for t, s in links.items() if s] == ["Ratatouille in 5"]
