"""Videos, their visibility on every path, pins, views and analytics, through the HTTP API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from reelpay.graphql.relay import encode_id
from tests.conftest import START
from tests.factories import User, add_views, make_staff, publish, set_account, sign_up

TODAY = START.date()  # 2026-06-15
VIDEO_FIELDS = (
    "id title description durationSeconds visibility isOriginal publishedAt "
    "updatedAt viewCount owner { handle }"
)


# --- helpers -------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat()


def problems(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    """(code, field) of each user error, in the order reported."""
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


def day(offset: int) -> date:
    """Today's UTC day (at START) plus `offset` days."""
    return TODAY + timedelta(days=offset)


async def publish_payload(api, user: User | None, **input: Any) -> dict[str, Any]:
    input = {"title": "Title", "durationSeconds": 30, **input}
    return await api.mutate(
        "publishVideo", input, f"video {{ {VIDEO_FIELDS} }}", token=user.token if user else None
    )


async def update_video(api, user: User, video_id: str, **changes: Any) -> dict[str, Any]:
    return await api.mutate(
        "updateVideo",
        {"videoId": video_id, **changes},
        f"video {{ {VIDEO_FIELDS} }}",
        token=user.token,
    )


async def delete_video(api, user: User, video_id: str) -> dict[str, Any]:
    return await api.mutate(
        "deleteVideo", {"videoId": video_id}, "deletedVideoId", token=user.token
    )


async def record_view(api, video_id: str, token: str | None = None) -> dict[str, Any]:
    return await api.mutate(
        "recordView", {"videoId": video_id}, "video { id viewCount playCount }", token=token
    )


async def set_pins(api, user: User, video_ids: list[str]) -> dict[str, Any]:
    return await api.mutate(
        "setPinnedVideos",
        {"videoIds": video_ids},
        "account { pinnedVideos { id } }",
        token=user.token,
    )


async def pinned_ids(api, user: User, token: str | None = None) -> list[str]:
    data = await api.data(
        "query($h: String!) { account(handle: $h) { pinnedVideos { id } } }",
        {"h": user.handle},
        token,
    )
    return [v["id"] for v in data["account"]["pinnedVideos"]]


async def go_business(api, user: User) -> None:
    payload = await api.mutate(
        "switchAccountType",
        {"accountType": "BUSINESS"},
        "account { accountType }",
        token=user.token,
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["account"]["accountType"] == "BUSINESS"


async def follow(api, follower: User, target: User) -> str:
    payload = await api.mutate(
        "follow",
        {"accountId": target.id},
        "status",
        token=follower.token,
        input_type="AccountRefInput",
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["status"]


async def unfollow(api, follower: User, target: User) -> None:
    payload = await api.mutate(
        "unfollow",
        {"accountId": target.id},
        "account { id }",
        token=follower.token,
        input_type="AccountRefInput",
    )
    assert payload["userErrors"] == [], payload["userErrors"]


async def approve(api, owner: User, follower: User) -> None:
    payload = await api.mutate(
        "approveFollowRequest",
        {"accountId": follower.id},
        "account { id }",
        token=owner.token,
        input_type="AccountRefInput",
    )
    assert payload["userErrors"] == [], payload["userErrors"]


async def videos_page(
    api, owner: User, token: str | None = None, **args: Any
) -> dict[str, Any] | None:
    query = """query($h: String!, $first: Int, $after: String, $last: Int, $before: String) {
      account(handle: $h) {
        videos(first: $first, after: $after, last: $last, before: $before) {
          totalCount
          edges { cursor node { id } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
      }
    }"""
    data = await api.data(query, {"h": owner.handle, **args}, token)
    return data["account"]["videos"]


async def visible_video_ids(api, owner: User, token: str | None = None) -> list[str] | None:
    page = await videos_page(api, owner, token, first=100)
    if page is None:
        return None
    ids = [edge["node"]["id"] for edge in page["edges"]]
    assert page["totalCount"] == len(ids)
    return ids


async def node(api, global_id: str, token: str | None = None) -> dict[str, Any] | None:
    data = await api.data(
        "query($id: ID!) { node(id: $id) { id ... on Video { viewCount playCount } } }",
        {"id": global_id},
        token,
    )
    return data["node"]


async def figures(api, user: User) -> tuple[int, int]:
    """(viewsInLast30Days, publicPostsInLast30Days) the owner sees."""
    data = await api.data(
        "{ viewer { viewsInLast30Days publicPostsInLast30Days } }", token=user.token
    )
    return data["viewer"]["viewsInLast30Days"], data["viewer"]["publicPostsInLast30Days"]


async def own_video_count(api, user: User) -> int:
    data = await api.data("{ viewer { videos { totalCount } } }", token=user.token)
    return data["viewer"]["videos"]["totalCount"]


ANALYTICS = """query($h: String!, $from: Date!, $to: Date!) {
  account(handle: $h) {
    analytics(from: $from, to: $to) {
      from to
      days { date views followersGained followersLost followersTotal }
      videos { totalViews dailyViews { date count } video { id } }
    }
  }
}"""


async def analytics(
    api, owner: User, start: date, end: date, token: str | None = None
) -> dict[str, Any]:
    data = await api.data(
        ANALYTICS,
        {"h": owner.handle, "from": start.isoformat(), "to": end.isoformat()},
        token or owner.token,
    )
    return data["account"]["analytics"]


async def analytics_error(
    api, owner: User, start: date, end: date, token: str | None
) -> dict[str, Any]:
    return await api.error(
        ANALYTICS, {"h": owner.handle, "from": start.isoformat(), "to": end.isoformat()}, token
    )


REACH = """query($h: String!, $id: ID!, $sibling: ID!) {
  account(handle: $h) { followerCount videos { edges { node { id } } } pinnedVideos { id } }
  node(id: $id) { id }
  nodes(ids: [$id]) { id }
  sibling: node(id: $sibling) { ... on Video { owner { videos { edges { node { id } } } } } }
}"""


async def reach(
    api, owner: User, video_id: str, sibling_id: str, token: str | None
) -> dict[str, bool]:
    """Which paths lead `token`'s holder to the video (recordView counts a view)."""
    data = await api.data(REACH, {"h": owner.handle, "id": video_id, "sibling": sibling_id}, token)
    videos = data["account"]["videos"]
    sibling = data["sibling"]
    return {
        "videos": videos is not None and video_id in [e["node"]["id"] for e in videos["edges"]],
        "pinnedVideos": video_id in [v["id"] for v in data["account"]["pinnedVideos"]],
        "node": data["node"] == {"id": video_id},
        "nodes": data["nodes"] == [{"id": video_id}],
        "ownerVideos": sibling is not None
        and video_id in [e["node"]["id"] for e in sibling["owner"]["videos"]["edges"]],
        "recordView": (await record_view(api, video_id, token))["userErrors"] == [],
    }


ALL_PATHS = dict.fromkeys(
    ["videos", "pinnedVideos", "node", "nodes", "ownerVideos", "recordView"], True
)
NO_PATH = dict.fromkeys(ALL_PATHS, False)


# --- publishVideo --------------------------------------------------------------------------


async def test_publish_video_returns_every_field(api):
    alice = await sign_up(api, "alice")
    payload = await publish_payload(
        api,
        alice,
        title="First",
        durationSeconds=61,
        description="About it",
        visibility="PRIVATE",
        isOriginal=False,
    )
    assert payload["userErrors"] == []
    video = payload["video"]
    assert video == {
        "id": video["id"],
        "title": "First",
        "description": "About it",
        "durationSeconds": 61,
        "visibility": "PRIVATE",
        "isOriginal": False,
        "publishedAt": iso(START),
        "updatedAt": iso(START),
        "viewCount": 0,
        "owner": {"handle": "alice"},
    }
    assert await visible_video_ids(api, alice, alice.token) == [video["id"]]


async def test_publish_video_defaults(api):
    alice = await sign_up(api, "alice")
    video = (await publish_payload(api, alice, title="T", durationSeconds=1))["video"]
    assert (video["description"], video["visibility"], video["isOriginal"]) == ("", "PUBLIC", True)


async def test_published_at_is_the_clock_time(api, clock):
    alice = await sign_up(api, "alice")
    later = START + timedelta(days=3, hours=5, minutes=7, seconds=9)
    clock.set(later)
    video = (await publish_payload(api, alice))["video"]
    assert video["publishedAt"] == video["updatedAt"] == "2026-06-18T17:07:09+00:00"


@pytest.mark.parametrize("duration", [1, 3600])
async def test_publish_accepts_duration_bounds(api, duration):
    alice = await sign_up(api, "alice")
    payload = await publish_payload(api, alice, durationSeconds=duration)
    assert payload["userErrors"] == []
    assert payload["video"]["durationSeconds"] == duration


@pytest.mark.parametrize("duration", [0, 3601, -5])
async def test_publish_rejects_duration_out_of_range(api, duration):
    alice = await sign_up(api, "alice")
    payload = await publish_payload(api, alice, durationSeconds=duration)
    assert payload["video"] is None
    assert problems(payload) == [("VIDEO_DURATION_OUT_OF_RANGE", ["input", "durationSeconds"])]
    assert await own_video_count(api, alice) == 0


async def test_publish_accepts_a_150_character_title_and_2200_character_description(api):
    alice = await sign_up(api, "alice")
    payload = await publish_payload(api, alice, title="t" * 150, description="d" * 2200)
    assert payload["userErrors"] == []
    assert payload["video"]["title"] == "t" * 150
    assert payload["video"]["description"] == "d" * 2200


@pytest.mark.parametrize("title", ["", "   ", "t" * 151])
async def test_publish_rejects_bad_title(api, title):
    alice = await sign_up(api, "alice")
    payload = await publish_payload(api, alice, title=title)
    assert payload["video"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "title"])]
    assert await own_video_count(api, alice) == 0


async def test_publish_rejects_2201_character_description(api):
    alice = await sign_up(api, "alice")
    payload = await publish_payload(api, alice, description="d" * 2201)
    assert payload["video"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "description"])]
    assert await own_video_count(api, alice) == 0


async def test_publish_reports_every_problem_at_once_and_creates_nothing(api):
    alice = await sign_up(api, "alice")
    await publish(api, alice)
    payload = await publish_payload(api, alice, title="", description="d" * 2201, durationSeconds=0)
    assert payload["video"] is None
    assert sorted(problems(payload)) == [
        ("INVALID_INPUT", ["input", "description"]),
        ("INVALID_INPUT", ["input", "title"]),
        ("VIDEO_DURATION_OUT_OF_RANGE", ["input", "durationSeconds"]),
    ]
    assert await own_video_count(api, alice) == 1


async def test_publish_anonymously_is_unauthenticated(api):
    query = (
        'mutation { publishVideo(input: {title: "T", durationSeconds: 5}) '
        "{ video { id } userErrors { code } } }"
    )
    error = await api.error(query)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["path"] == ["publishVideo"]


# --- updateVideo / deleteVideo ---------------------------------------------------------------


async def test_owner_updates_only_the_fields_sent(api, clock):
    alice = await sign_up(api, "alice")
    video_id = await publish(api, alice, "Old", description="Keep me")
    clock.advance(timedelta(hours=1))
    payload = await update_video(api, alice, video_id, title="New", isOriginal=False)
    assert payload["userErrors"] == []
    video = payload["video"]
    assert (video["title"], video["description"], video["isOriginal"], video["visibility"]) == (
        "New",
        "Keep me",
        False,
        "PUBLIC",
    )
    assert video["publishedAt"] == iso(START)
    assert video["updatedAt"] == iso(START + timedelta(hours=1))


async def test_update_rejects_bad_title_and_description_and_changes_nothing(api):
    alice = await sign_up(api, "alice")
    video_id = await publish(api, alice, "Old")
    payload = await update_video(
        api, alice, video_id, title="t" * 151, description="d" * 2201, visibility="PRIVATE"
    )
    assert payload["video"] is None
    assert sorted(problems(payload)) == [
        ("INVALID_INPUT", ["input", "description"]),
        ("INVALID_INPUT", ["input", "title"]),
    ]
    data = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Video { title visibility } } }", {"id": video_id}
    )
    assert data["node"] == {"title": "Old", "visibility": "PUBLIC"}


async def test_another_user_cannot_update_a_video(api):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    video_id = await publish(api, alice, "Mine")
    payload = await update_video(api, bob, video_id, title="Stolen")
    assert payload["video"] is None
    assert problems(payload) == [("NOT_FOUND", ["input", "videoId"])]
    data = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Video { title } } }", {"id": video_id}
    )
    assert data["node"] == {"title": "Mine"}


async def test_another_user_cannot_delete_a_video(api):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    video_id = await publish(api, alice)
    payload = await delete_video(api, bob, video_id)
    assert payload["deletedVideoId"] is None
    assert problems(payload) == [("NOT_FOUND", ["input", "videoId"])]
    assert await visible_video_ids(api, alice) == [video_id]


@pytest.mark.parametrize("mutation", ["updateVideo", "deleteVideo"])
async def test_malformed_and_account_ids_are_invalid_ids(api, mutation):
    alice = await sign_up(api, "alice")
    selection = "deletedVideoId" if mutation == "deleteVideo" else "video { id }"
    for bad in ["not-an-id", "", alice.id]:
        payload = await api.mutate(mutation, {"videoId": bad}, selection, token=alice.token)
        assert problems(payload) == [("INVALID_ID", ["input", "videoId"])], bad


async def test_unknown_video_id_is_not_found(api):
    alice = await sign_up(api, "alice")
    payload = await delete_video(api, alice, encode_id("Video", 999_999))
    assert problems(payload) == [("NOT_FOUND", ["input", "videoId"])]


async def test_deleted_video_disappears_everywhere(api, engine):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    staff = await make_staff(api, engine)
    kept = await publish(api, alice, "Kept")
    gone = await publish(api, alice, "Gone")
    await add_views(engine, kept, {day(-1): 2})
    await add_views(engine, gone, {day(-1): 5, day(-3): 4})
    assert await figures(api, alice) == (11, 2)

    payload = await delete_video(api, alice, gone)
    assert payload == {"deletedVideoId": gone, "userErrors": []}

    for token in [None, alice.token, bob.token, staff.token]:
        assert await visible_video_ids(api, alice, token) == [kept]
        assert await node(api, gone, token) is None
        data = await api.data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [gone, kept]}, token
        )
        assert data["nodes"] == [None, {"id": kept}]
        assert problems(await record_view(api, gone, token)) == [
            ("NOT_FOUND", ["input", "videoId"])
        ]
    assert await figures(api, alice) == (2, 1)


async def test_deleted_video_cannot_be_updated_or_deleted_again(api):
    alice = await sign_up(api, "alice")
    video_id = await publish(api, alice)
    await delete_video(api, alice, video_id)
    assert problems(await delete_video(api, alice, video_id)) == [
        ("NOT_FOUND", ["input", "videoId"])
    ]
    assert problems(await update_video(api, alice, video_id, title="Back")) == [
        ("NOT_FOUND", ["input", "videoId"])
    ]


async def test_deleted_video_views_leave_analytics(api, engine):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    kept, gone = await publish(api, alice, "Kept"), await publish(api, alice, "Gone")
    await add_views(engine, kept, {TODAY: 1})
    await add_views(engine, gone, {TODAY: 7})
    await delete_video(api, alice, gone)
    result = await analytics(api, alice, TODAY, TODAY)
    assert [d["views"] for d in result["days"]] == [1]
    assert [v["video"]["id"] for v in result["videos"]] == [kept]


# --- visibility on every path ---------------------------------------------------------------


async def test_private_video_is_reached_by_its_owner_and_staff_only(api, engine):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    staff = await make_staff(api, engine)
    await go_business(api, alice)
    public = await publish(api, alice, "Public")
    private = await publish(api, alice, "Private", visibility="PRIVATE")
    assert problems(await set_pins(api, alice, [private])) == [
        ("VIDEO_NOT_PINNABLE", ["input", "videoIds", "0"])
    ]

    pinned_never = {**ALL_PATHS, "pinnedVideos": False}
    assert await reach(api, alice, private, public, alice.token) == pinned_never
    assert await reach(api, alice, private, public, staff.token) == pinned_never
    assert await reach(api, alice, private, public, bob.token) == NO_PATH
    assert await reach(api, alice, private, public, None) == NO_PATH
    # Only the owner's and staff's plays were recorded; of them only staff's is authentic.
    assert await node(api, private, alice.token) == {"id": private, "viewCount": 1, "playCount": 2}


async def test_public_video_of_a_public_account_is_reached_by_everyone(api):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    await go_business(api, alice)
    video = await publish(api, alice, "Public")
    sibling = await publish(api, alice, "Sibling")
    await set_pins(api, alice, [video])
    assert await reach(api, alice, video, sibling, bob.token) == ALL_PATHS
    assert await reach(api, alice, video, sibling, None) == ALL_PATHS


async def test_private_accounts_public_videos_reach_itself_staff_and_approved_followers(
    api, engine
):
    alice = await sign_up(api, "alice")
    fan, asker, stranger = (
        await sign_up(api, "fan"),
        await sign_up(api, "asker"),
        await sign_up(api, "stranger"),
    )
    staff = await make_staff(api, engine)
    await go_business(api, alice)
    video = await publish(api, alice, "Pinned")
    sibling = await publish(api, alice, "Sibling")
    await set_pins(api, alice, [video])
    await set_account(api, alice, visibility="PRIVATE")
    assert await follow(api, fan, alice) == "PENDING"
    assert await follow(api, asker, alice) == "PENDING"
    await approve(api, alice, fan)

    for who in [alice, staff, fan]:
        assert await reach(api, alice, video, sibling, who.token) == ALL_PATHS, who.handle
    for who in [asker, stranger]:
        assert await reach(api, alice, video, sibling, who.token) == NO_PATH, who.handle
    assert await reach(api, alice, video, sibling, None) == NO_PATH


async def test_private_account_hides_its_videos_list_but_not_its_follower_count(api):
    alice = await sign_up(api, "alice")
    fan, asker, stranger = (
        await sign_up(api, "fan"),
        await sign_up(api, "asker"),
        await sign_up(api, "stranger"),
    )
    public = await publish(api, alice, "Public")
    await set_account(api, alice, visibility="PRIVATE")
    await follow(api, fan, alice)
    await follow(api, asker, alice)
    await approve(api, alice, fan)
    query = (
        "query($h: String!) { account(handle: $h) { followerCount "
        "videos { totalCount edges { node { id } } } } }"
    )
    for token in [None, stranger.token, asker.token]:
        data = await api.data(query, {"h": "alice"}, token)
        assert data["account"] == {"followerCount": 1, "videos": None}
    data = await api.data(query, {"h": "alice"}, fan.token)
    assert data["account"] == {
        "followerCount": 1,
        "videos": {"totalCount": 1, "edges": [{"node": {"id": public}}]},
    }


async def test_approved_follower_of_a_private_account_does_not_see_private_videos(api, engine):
    alice, fan = await sign_up(api, "alice"), await sign_up(api, "fan")
    staff = await make_staff(api, engine)
    public = await publish(api, alice, "Public")
    private = await publish(api, alice, "Private", visibility="PRIVATE")
    await set_account(api, alice, visibility="PRIVATE")
    await follow(api, fan, alice)
    await approve(api, alice, fan)
    assert await reach(api, alice, private, public, fan.token) == NO_PATH
    assert await visible_video_ids(api, alice, fan.token) == [public]
    assert await visible_video_ids(api, alice, staff.token) == [private, public]
    assert await visible_video_ids(api, alice, alice.token) == [private, public]


async def test_unfollowing_a_private_account_loses_access(api):
    alice, fan = await sign_up(api, "alice"), await sign_up(api, "fan")
    video = await publish(api, alice)
    await set_account(api, alice, visibility="PRIVATE")
    await follow(api, fan, alice)
    await approve(api, alice, fan)
    assert await visible_video_ids(api, alice, fan.token) == [video]
    await unfollow(api, fan, alice)
    assert await visible_video_ids(api, alice, fan.token) is None
    assert await node(api, video, fan.token) is None


async def test_making_a_video_private_hides_it_from_others(api):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    video = await publish(api, alice)
    assert (await update_video(api, alice, video, visibility="PRIVATE"))["userErrors"] == []
    assert await visible_video_ids(api, alice, bob.token) == []
    assert await node(api, video, bob.token) is None
    assert (await update_video(api, alice, video, visibility="PUBLIC"))["userErrors"] == []
    assert await visible_video_ids(api, alice, bob.token) == [video]


# --- pins ----------------------------------------------------------------------------------


async def test_personal_account_cannot_pin(api):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    payload = await set_pins(api, alice, [video])
    assert payload["account"] is None
    assert problems(payload) == [("BUSINESS_ACCOUNT_REQUIRED", None)]
    assert await pinned_ids(api, alice) == []


@pytest.mark.parametrize("count", [0, 1, 2, 3])
async def test_business_account_pins_up_to_three_in_chosen_order(api, count):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    videos = [await publish(api, alice, f"V{i}") for i in range(3)]
    chosen = [videos[2], videos[0], videos[1]][:count]
    payload = await set_pins(api, alice, chosen)
    assert payload == {"account": {"pinnedVideos": [{"id": v} for v in chosen]}, "userErrors": []}
    assert await pinned_ids(api, alice) == chosen


async def test_four_pins_are_too_many_and_change_nothing(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    videos = [await publish(api, alice, f"V{i}") for i in range(4)]
    await set_pins(api, alice, videos[:2])
    payload = await set_pins(api, alice, videos)
    assert payload["account"] is None
    assert problems(payload) == [("TOO_MANY_PINNED_VIDEOS", ["input", "videoIds"])]
    assert await pinned_ids(api, alice) == videos[:2]


async def test_duplicate_pin_is_reported_at_its_index(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    a, b = await publish(api, alice, "A"), await publish(api, alice, "B")
    await set_pins(api, alice, [b])
    payload = await set_pins(api, alice, [a, b, a])
    assert problems(payload) == [("DUPLICATE_PINNED_VIDEO", ["input", "videoIds", "2"])]
    assert await pinned_ids(api, alice) == [b]


async def test_unpinnable_videos_are_each_reported_and_change_nothing(api):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    await go_business(api, alice)
    mine = await publish(api, alice, "Mine")
    private = await publish(api, alice, "Private", visibility="PRIVATE")
    deleted = await publish(api, alice, "Deleted")
    await delete_video(api, alice, deleted)
    bobs = await publish(api, bob, "Bob's")
    await set_pins(api, alice, [mine])

    payload = await set_pins(api, alice, [bobs, mine, private])
    assert problems(payload) == [
        ("VIDEO_NOT_PINNABLE", ["input", "videoIds", "0"]),
        ("VIDEO_NOT_PINNABLE", ["input", "videoIds", "2"]),
    ]
    for video in [deleted, encode_id("Video", 999_999)]:
        payload = await set_pins(api, alice, [video])
        assert problems(payload) == [("VIDEO_NOT_PINNABLE", ["input", "videoIds", "0"])]
    assert await pinned_ids(api, alice) == [mine]


async def test_pin_ids_must_be_video_ids(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    video = await publish(api, alice)
    payload = await set_pins(api, alice, [video, alice.id])
    assert problems(payload) == [("INVALID_ID", ["input", "videoIds", "1"])]
    payload = await set_pins(api, alice, ["garbage"])
    assert problems(payload) == [("INVALID_ID", ["input", "videoIds", "0"])]
    assert await pinned_ids(api, alice) == []


async def test_making_a_pinned_video_private_unpins_it(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    a, b, c = [await publish(api, alice, n) for n in "ABC"]
    await set_pins(api, alice, [a, b, c])
    await update_video(api, alice, b, visibility="PRIVATE")
    assert await pinned_ids(api, alice) == [a, c]
    await update_video(api, alice, b, visibility="PUBLIC")
    assert await pinned_ids(api, alice) == [a, c]


async def test_deleting_a_pinned_video_unpins_it(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    a, b = await publish(api, alice, "A"), await publish(api, alice, "B")
    await set_pins(api, alice, [a, b])
    await delete_video(api, alice, a)
    assert await pinned_ids(api, alice) == [b]


async def test_empty_list_unpins_everything(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    a, b = await publish(api, alice, "A"), await publish(api, alice, "B")
    await set_pins(api, alice, [a, b])
    payload = await set_pins(api, alice, [])
    assert payload == {"account": {"pinnedVideos": []}, "userErrors": []}
    assert await pinned_ids(api, alice) == []


async def test_pins_replace_the_previous_pins(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    a, b, c = [await publish(api, alice, n) for n in "ABC"]
    await set_pins(api, alice, [a, b])
    await set_pins(api, alice, [c, a])
    assert await pinned_ids(api, alice) == [c, a]


async def test_pins_are_hidden_on_personal_and_come_back_on_business(api):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    await go_business(api, alice)
    a, b = await publish(api, alice, "A"), await publish(api, alice, "B")
    await set_pins(api, alice, [b, a])
    await api.mutate(
        "switchAccountType", {"accountType": "PERSONAL"}, "account { id }", token=alice.token
    )
    assert await pinned_ids(api, alice, bob.token) == []
    await go_business(api, alice)
    assert await pinned_ids(api, alice, bob.token) == [b, a]


# --- views ---------------------------------------------------------------------------------


async def test_record_view_records_one_play_per_call_and_authentic_views_apart(api, clock):
    """Each call is one play; only bob's is an authentic view (the anonymous play has no viewer
    token, alice owns the video). tests/test_authentic_views.py covers the rules in full."""
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    video = await publish(api, alice)
    assert await record_view(api, video) == {
        "video": {"id": video, "viewCount": 0, "playCount": 1},
        "userErrors": [],
    }
    assert await record_view(api, video, bob.token) == {
        "video": {"id": video, "viewCount": 1, "playCount": 2},
        "userErrors": [],
    }
    assert await record_view(api, video, alice.token) == {
        "video": {"id": video, "viewCount": 1, "playCount": 3},
        "userErrors": [],
    }
    assert await node(api, video) == {"id": video, "viewCount": 1, "playCount": 3}
    assert await figures(api, alice) == (0, 1)  # today's views enter the window tomorrow
    clock.advance(timedelta(days=1))
    assert await figures(api, alice) == (1, 1)


async def test_record_view_rejects_bad_ids(api):
    alice = await sign_up(api, "alice")
    assert problems(await record_view(api, "junk")) == [("INVALID_ID", ["input", "videoId"])]
    assert problems(await record_view(api, alice.id)) == [("INVALID_ID", ["input", "videoId"])]
    assert problems(await record_view(api, encode_id("Video", 999_999))) == [
        ("NOT_FOUND", ["input", "videoId"])
    ]


async def test_views_are_bucketed_per_utc_day(api, clock):
    alice, bob, carol = [await sign_up(api, h) for h in ("alice", "bob", "carol")]
    await go_business(api, alice)
    video = await publish(api, alice)
    clock.set(datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC))
    await record_view(api, video, bob.token)
    await record_view(api, video, bob.token)  # a play, not a second view the same day
    await record_view(api, video, carol.token)
    clock.set(datetime(2026, 6, 16, 0, 0, 0, tzinfo=UTC))
    await record_view(api, video, bob.token)  # a new UTC day: bob counts again
    await record_view(api, video)  # anonymous without a viewer token: a play only
    result = await analytics(api, alice, date(2026, 6, 15), date(2026, 6, 16))
    assert [(d["date"], d["views"]) for d in result["days"]] == [
        ("2026-06-15", 2),
        ("2026-06-16", 1),
    ]
    plays = await api.data(
        "query($h: String!) { account(handle: $h) { "
        'analytics(from: "2026-06-15", to: "2026-06-16") { days { plays } } } }',
        {"h": "alice"},
        alice.token,
    )
    assert plays["account"]["analytics"]["days"] == [{"plays": 3}, {"plays": 2}]
    assert result["videos"] == [
        {
            "totalViews": 3,
            "video": {"id": video},
            "dailyViews": [{"date": "2026-06-15", "count": 2}, {"date": "2026-06-16", "count": 1}],
        }
    ]


async def test_views_window_is_the_30_complete_days_before_today(api, engine, clock):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    await add_views(
        engine,
        video,
        {day(0): 1, day(-1): 10, day(-30): 100, day(-31): 1000, day(1): 10000},
    )
    # A view 30 days old counts, one 31 days old does not; today's enter tomorrow.
    assert (await figures(api, alice))[0] == 110

    clock.advance(timedelta(days=1))  # day(-30) is now 31 days old; day(0) entered
    assert (await figures(api, alice))[0] == 11

    clock.set(START - timedelta(days=1))  # day(-31) is 30 days old again
    assert (await figures(api, alice))[0] == 1100


async def test_views_window_edges_within_a_day(api, engine, clock):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    await add_views(engine, video, {day(-30): 5, day(0): 7})
    clock.set(datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC))
    assert (await figures(api, alice))[0] == 5
    clock.set(datetime(2026, 6, 16, 0, 0, 0, tzinfo=UTC))
    assert (await figures(api, alice))[0] == 7


async def test_views_window_sums_every_video_of_the_account_only(api, engine):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    a1, a2 = await publish(api, alice, "A1"), await publish(api, alice, "A2")
    b1 = await publish(api, bob, "B1")
    await add_views(engine, a1, {day(-1): 3, day(-5): 4})
    await add_views(engine, a2, {day(-10): 5})
    await add_views(engine, b1, {day(-1): 100})
    assert (await figures(api, alice))[0] == 12
    assert (await figures(api, bob))[0] == 100


async def test_audience_figures_are_for_the_owner_and_staff_only(api, engine):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    staff = await make_staff(api, engine)
    video = await publish(api, alice)
    await add_views(engine, video, {day(-1): 4})
    query = '{ account(handle: "alice") { viewsInLast30Days publicPostsInLast30Days } }'
    for token, expected in [
        (alice.token, (4, 1)),
        (staff.token, (4, 1)),
        (bob.token, (None, None)),
        (None, (None, None)),
    ]:
        account = (await api.data(query, token=token))["account"]
        assert (account["viewsInLast30Days"], account["publicPostsInLast30Days"]) == expected


async def test_public_posts_window_is_the_last_30_days_to_the_second(api, clock):
    alice = await sign_up(api, "alice")
    clock.set(START - timedelta(days=30))
    await publish(api, alice, "Exactly 30 days ago")
    clock.set(START - timedelta(days=30) + timedelta(seconds=1))
    await publish(api, alice, "30 days minus 1 second ago")
    clock.set(START - timedelta(days=1))
    await publish(api, alice, "Private", visibility="PRIVATE")
    deleted = await publish(api, alice, "Deleted")
    await delete_video(api, alice, deleted)
    clock.set(START)
    await publish(api, alice, "Now")
    assert (await figures(api, alice))[1] == 2

    clock.advance(timedelta(seconds=1))  # the 30-days-minus-1-second video is now out
    assert (await figures(api, alice))[1] == 1


async def test_public_posts_follow_visibility_changes(api):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice, visibility="PRIVATE")
    assert (await figures(api, alice))[1] == 0
    await update_video(api, alice, video, visibility="PUBLIC")
    assert (await figures(api, alice))[1] == 1


# --- videos connection -----------------------------------------------------------------------


async def _seven_videos(api, clock, owner: User) -> list[str]:
    """Seven videos, two published in the same instant; returns them newest first."""
    ids = []
    for i in range(7):
        if i != 4:  # videos 3 and 4 share a timestamp: the ID breaks the tie
            clock.advance(timedelta(minutes=1))
        ids.append(await publish(api, owner, f"V{i}"))
    return list(reversed(ids))


async def test_videos_are_newest_first(api, clock):
    alice = await sign_up(api, "alice")
    newest_first = await _seven_videos(api, clock, alice)
    assert await visible_video_ids(api, alice) == newest_first
    data = await api.data(
        '{ account(handle: "alice") { videos(first: 7) { edges { node { publishedAt } } } } }'
    )
    times = [e["node"]["publishedAt"] for e in data["account"]["videos"]["edges"]]
    assert times == sorted(times, reverse=True)


async def test_forward_pagination_walks_every_video_once(api, clock):
    alice = await sign_up(api, "alice")
    newest_first = await _seven_videos(api, clock, alice)
    seen, pages, after = [], [], None
    while True:
        page = await videos_page(api, alice, first=3, after=after)
        assert page["totalCount"] == 7
        ids = [e["node"]["id"] for e in page["edges"]]
        seen += ids
        pages.append(
            (len(ids), page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"])
        )
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == newest_first
    assert pages == [(3, True, False), (3, True, True), (1, False, True)]


async def test_backward_pagination_walks_every_video_once(api, clock):
    alice = await sign_up(api, "alice")
    newest_first = await _seven_videos(api, clock, alice)
    seen, pages, before = [], [], None
    while True:
        page = await videos_page(api, alice, last=3, before=before)
        ids = [e["node"]["id"] for e in page["edges"]]
        seen = ids + seen
        pages.append(
            (len(ids), page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"])
        )
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert seen == newest_first
    assert pages == [(3, False, True), (3, True, True), (1, True, False)]


async def test_pagination_skips_videos_the_viewer_cannot_see(api, clock):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    newest_first = await _seven_videos(api, clock, alice)
    hidden = {newest_first[1], newest_first[4]}
    for video in hidden:
        await update_video(api, alice, video, visibility="PRIVATE")
    deleted = newest_first[5]
    await delete_video(api, alice, deleted)
    expected = [v for v in newest_first if v not in hidden and v != deleted]

    seen, after = [], None
    while True:
        page = await videos_page(api, alice, bob.token, first=2, after=after)
        assert page["totalCount"] == 4
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected
    assert (await videos_page(api, alice, alice.token, first=1))["totalCount"] == 6


async def test_empty_videos_connection(api):
    alice = await sign_up(api, "alice")
    page = await videos_page(api, alice, first=5)
    assert page == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


async def test_a_bad_cursor_is_a_clean_error(api):
    alice = await sign_up(api, "alice")
    await publish(api, alice)
    body = await api.execute(
        'query { account(handle: "alice") { videos(first: 2, after: "junk") { totalCount } } }'
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["reason"] == "INVALID_CURSOR"


# --- analytics -----------------------------------------------------------------------------


async def test_analytics_of_another_account_is_forbidden(api):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    await go_business(api, alice)
    error = await analytics_error(api, alice, TODAY, TODAY, bob.token)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["account", "analytics"]


async def test_analytics_even_staff_cannot_read_someone_elses(api, engine):
    alice = await sign_up(api, "alice")
    staff = await make_staff(api, engine)
    await go_business(api, alice)
    error = await analytics_error(api, alice, TODAY, TODAY, staff.token)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_analytics_anonymously_is_unauthenticated(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    error = await analytics_error(api, alice, TODAY, TODAY, None)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_analytics_of_a_personal_account_requires_business(api):
    alice = await sign_up(api, "alice")
    error = await analytics_error(api, alice, TODAY, TODAY, alice.token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == "BUSINESS_ACCOUNT_REQUIRED"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (day(0), day(-1), ["to"]),  # ends before it starts
        (day(-2), day(1), ["to"]),  # ends after today
        (day(-92), day(0), ["from"]),  # 93 days
        (day(-100), day(-8), ["from"]),  # 93 days in the past
    ],
)
async def test_analytics_rejects_bad_ranges(api, start, end, field):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    error = await analytics_error(api, alice, start, end, alice.token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == field


@pytest.mark.parametrize(
    ("start", "end"), [(day(-91), day(0)), (day(0), day(0)), (day(-200), day(-109))]
)
async def test_analytics_accepts_up_to_92_days(api, start, end):
    alice = await sign_up(api, "alice")
    await go_business(api, alice)
    result = await analytics(api, alice, start, end)
    expected_days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    assert (result["from"], result["to"]) == (start.isoformat(), end.isoformat())
    assert [d["date"] for d in result["days"]] == expected_days
    assert len(expected_days) <= 92
    assert all(d["views"] == 0 and d["followersTotal"] == 0 for d in result["days"])
    assert result["videos"] == []


async def test_analytics_views_per_day_and_per_video(api, engine):
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    await go_business(api, alice)
    a = await publish(api, alice, "A")
    b = await publish(api, alice, "B", visibility="PRIVATE")
    quiet = await publish(api, alice, "Quiet")
    await add_views(engine, a, {day(-4): 2, day(-2): 5, day(0): 1, day(-10): 99})
    await add_views(engine, b, {day(-3): 7})
    await add_views(engine, quiet, {day(-5): 8})  # outside the range
    await add_views(engine, await publish(api, bob, "Bob's"), {day(-3): 50})

    result = await analytics(api, alice, day(-4), day(0))
    assert [(d["date"], d["views"]) for d in result["days"]] == [
        ("2026-06-11", 2),
        ("2026-06-12", 7),
        ("2026-06-13", 5),
        ("2026-06-14", 0),
        ("2026-06-15", 1),
    ]
    series = {
        s["video"]["id"]: (s["totalViews"], [(d["date"], d["count"]) for d in s["dailyViews"]])
        for s in result["videos"]
    }
    assert series == {
        a: (
            8,
            [
                ("2026-06-11", 2),
                ("2026-06-12", 0),
                ("2026-06-13", 5),
                ("2026-06-14", 0),
                ("2026-06-15", 1),
            ],
        ),
        b: (
            7,
            [
                ("2026-06-11", 0),
                ("2026-06-12", 7),
                ("2026-06-13", 0),
                ("2026-06-14", 0),
                ("2026-06-15", 0),
            ],
        ),
    }
    assert len(result["videos"]) == 2


async def test_analytics_follower_growth_per_day(api, clock):
    clock.set(datetime(2026, 6, 10, 9, 0, tzinfo=UTC))
    alice = await sign_up(api, "alice")
    u1, u2, u3, u4 = [await sign_up(api, f"fan{i}") for i in range(1, 5)]
    await go_business(api, alice)
    await follow(api, u1, alice)  # 06-10 +1
    await follow(api, u2, alice)  # 06-10 +1
    clock.set(datetime(2026, 6, 11, 23, 59, 59, tzinfo=UTC))
    await unfollow(api, u1, alice)  # 06-11 -1
    clock.set(datetime(2026, 6, 12, 0, 0, 0, tzinfo=UTC))
    await follow(api, u3, alice)  # 06-12 +1
    await unfollow(api, u3, alice)  # 06-12 -1
    await follow(api, u3, alice)  # 06-12 +1
    clock.set(START)
    await follow(api, u4, alice)  # 06-15 +1

    result = await analytics(api, alice, date(2026, 6, 9), date(2026, 6, 15))
    assert [
        (d["date"], d["followersGained"], d["followersLost"], d["followersTotal"])
        for d in result["days"]
    ] == [
        ("2026-06-09", 0, 0, 0),
        ("2026-06-10", 2, 0, 2),
        ("2026-06-11", 0, 1, 1),
        ("2026-06-12", 2, 1, 2),
        ("2026-06-13", 0, 0, 2),
        ("2026-06-14", 0, 0, 2),
        ("2026-06-15", 1, 0, 3),
    ]
    data = await api.data('{ account(handle: "alice") { followerCount } }')
    assert data["account"]["followerCount"] == 3

    # A range ending in the past still knows the followers at the end of each of its days.
    past = await analytics(api, alice, date(2026, 6, 10), date(2026, 6, 11))
    assert [(d["date"], d["followersTotal"]) for d in past["days"]] == [
        ("2026-06-10", 2),
        ("2026-06-11", 1),
    ]


async def test_analytics_counts_a_private_accounts_followers_when_approved(api, clock):
    clock.set(datetime(2026, 6, 12, 10, 0, tzinfo=UTC))
    alice, fan, asker = (
        await sign_up(api, "alice"),
        await sign_up(api, "fan"),
        await sign_up(api, "asker"),
    )
    await go_business(api, alice)
    await set_account(api, alice, visibility="PRIVATE")
    await follow(api, fan, alice)  # request on 06-12
    await follow(api, asker, alice)  # never approved
    clock.set(datetime(2026, 6, 14, 10, 0, tzinfo=UTC))
    await approve(api, alice, fan)  # gained on 06-14
    clock.set(START)
    await unfollow(api, asker, alice)  # withdrawing: no loss

    result = await analytics(api, alice, date(2026, 6, 12), date(2026, 6, 15))
    assert [
        (d["date"], d["followersGained"], d["followersLost"], d["followersTotal"])
        for d in result["days"]
    ] == [
        ("2026-06-12", 0, 0, 0),
        ("2026-06-13", 0, 0, 0),
        ("2026-06-14", 1, 0, 1),
        ("2026-06-15", 0, 0, 1),
    ]


async def test_pagination_handles_sub_second_publish_times(api, clock):
    alice = await sign_up(api, "alice")
    ids = []
    for i in range(5):
        clock.advance(timedelta(microseconds=250_000 if i % 2 else 1))
        ids.append(await publish(api, alice, f"V{i}"))
    newest_first = list(reversed(ids))
    forward, after = [], None
    while True:
        page = await videos_page(api, alice, first=2, after=after)
        forward += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backward, before = [], None
    while True:
        page = await videos_page(api, alice, last=2, before=before)
        backward = [e["node"]["id"] for e in page["edges"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert forward == backward == newest_first


async def test_analytics_going_public_gains_every_pending_requester_and_declines_gain_none(
    api, clock
):
    clock.set(datetime(2026, 6, 13, 8, 0, tzinfo=UTC))
    alice = await sign_up(api, "alice")
    a, b, c = [await sign_up(api, n) for n in ("asker1", "asker2", "asker3")]
    await go_business(api, alice)
    await set_account(api, alice, visibility="PRIVATE")
    for asker in (a, b, c):
        await follow(api, asker, alice)
    payload = await api.mutate(
        "declineFollowRequest",
        {"accountId": c.id},
        "account { id }",
        token=alice.token,
        input_type="AccountRefInput",
    )
    assert payload["userErrors"] == []
    clock.set(datetime(2026, 6, 14, 8, 0, tzinfo=UTC))
    await set_account(api, alice, visibility="PUBLIC")
    clock.set(START)

    result = await analytics(api, alice, date(2026, 6, 13), date(2026, 6, 15))
    assert [
        (d["date"], d["followersGained"], d["followersLost"], d["followersTotal"])
        for d in result["days"]
    ] == [
        ("2026-06-13", 0, 0, 0),
        ("2026-06-14", 2, 0, 2),
        ("2026-06-15", 0, 0, 2),
    ]
    assert await visible_video_ids(api, alice, c.token) == []
