"""Account and content mutations return what they changed, with ids, so a normalised cache
(Apollo's InMemoryCache, urql's graphcache) updates without refetching: each payload object
equals what a fresh query returns for the same id, as the same caller sees it."""

from __future__ import annotations

from typing import Any

from tests.factories import User, publish, set_account, sign_up

# What a cache keeps per Account, as a client would select it.
ACCOUNT = (
    "id handle followerCount followingCount viewerFollowStatus accountType websiteUrl "
    "publicPostsInLast30Days videos { totalCount } pinnedVideos { id } "
    "followRequests { totalCount edges { node { id } } }"
)
VIDEO = f"id title visibility viewCount owner {{ {ACCOUNT} }}"
REF = "AccountRefInput"


async def fresh_account(api: Any, handle: str, viewer: User) -> dict[str, Any]:
    query = f"query($h: String!) {{ account(handle: $h) {{ {ACCOUNT} }} }}"
    return (await api.data(query, {"h": handle}, token=viewer.token))["account"]


async def fresh_video(api: Any, video_id: str, viewer: User | None) -> dict[str, Any]:
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Video {{ {VIDEO} }} }} }}"
    data = await api.data(query, {"id": video_id}, token=viewer.token if viewer else None)
    return data["node"]


async def follow_change(api: Any, name: str, caller: User, other: User) -> dict[str, Any]:
    selection = f"account {{ {ACCOUNT} }} viewer {{ {ACCOUNT} }}"
    if name == "follow":
        selection += " status"
    payload = await api.mutate(
        name, {"accountId": other.id}, selection, token=caller.token, input_type=REF
    )
    assert payload["userErrors"] == []
    return payload


async def test_follow_and_unfollow_return_both_accounts_as_a_fresh_query_shows_them(api):
    # Given two public accounts
    fan, star = await sign_up(api, "fan"), await sign_up(api, "star")

    # When fan follows star, the payload carries both accounts with the changed counts
    payload = await follow_change(api, "follow", fan, star)

    # Then each object is exactly what fan reads afterwards under the same id
    assert payload["status"] == "ACCEPTED"
    assert payload["account"]["id"] == star.id
    assert (payload["account"]["followerCount"], payload["account"]["viewerFollowStatus"]) == (
        1,
        "ACCEPTED",
    )
    assert payload["viewer"]["id"] == fan.id
    assert payload["viewer"]["followingCount"] == 1
    assert payload["account"] == await fresh_account(api, "star", fan)
    assert payload["viewer"] == await fresh_account(api, "fan", fan)

    # When fan unfollows, both counts go back to 0 in the payload and in a fresh read
    payload = await follow_change(api, "unfollow", fan, star)
    assert (payload["account"]["followerCount"], payload["account"]["viewerFollowStatus"]) == (
        0,
        None,
    )
    assert payload["viewer"]["followingCount"] == 0
    assert payload["account"] == await fresh_account(api, "star", fan)
    assert payload["viewer"] == await fresh_account(api, "fan", fan)


async def test_a_request_and_its_approval_return_both_accounts_and_hide_private_details(api):
    # Given a private account and a fan who asks to follow it
    fan, star = await sign_up(api, "fan"), await sign_up(api, "star")
    await set_account(api, star, visibility="PRIVATE")
    await publish(api, star, "Hidden")
    requested = await follow_change(api, "follow", fan, star)

    # Then the request counts nowhere yet, and star's videos and requests stay hidden from fan
    assert requested["status"] == "PENDING"
    assert requested["account"]["followerCount"] == 0
    assert requested["account"]["viewerFollowStatus"] == "PENDING"
    assert requested["account"]["videos"] is None
    assert requested["account"]["followRequests"] is None
    assert requested["account"]["publicPostsInLast30Days"] is None
    assert requested["viewer"]["followingCount"] == 0
    assert requested["account"] == await fresh_account(api, "star", fan)
    assert requested["viewer"] == await fresh_account(api, "fan", fan)

    # When star approves, star's payload shows fan (counted) and star itself (one follower,
    # no pending request left)
    approved = await follow_change(api, "approveFollowRequest", star, fan)
    assert approved["account"]["id"] == fan.id
    assert approved["account"]["followingCount"] == 1
    assert approved["viewer"]["id"] == star.id
    assert approved["viewer"]["followerCount"] == 1
    assert approved["viewer"]["followRequests"] == {"totalCount": 0, "edges": []}
    assert approved["account"] == await fresh_account(api, "fan", star)
    assert approved["viewer"] == await fresh_account(api, "star", star)

    # And fan, reading star again, now sees the video that approval opened
    seen_by_fan = await fresh_account(api, "star", fan)
    assert (seen_by_fan["viewerFollowStatus"], seen_by_fan["videos"]) == (
        "ACCEPTED",
        {"totalCount": 1},
    )


async def test_declining_returns_the_owner_without_the_request(api):
    fan, star = await sign_up(api, "fan"), await sign_up(api, "star")
    await set_account(api, star, visibility="PRIVATE")
    await follow_change(api, "follow", fan, star)

    declined = await follow_change(api, "declineFollowRequest", star, fan)

    assert declined["viewer"]["followRequests"] == {"totalCount": 0, "edges": []}
    assert declined["account"]["id"] == fan.id
    assert declined["account"] == await fresh_account(api, "fan", star)
    assert declined["viewer"] == await fresh_account(api, "star", star)


async def test_profile_type_and_pins_return_the_account_as_a_fresh_query_shows_it(api):
    star = await sign_up(api, "star")
    video = await publish(api, star, "Pin me")

    updated = await api.mutate(
        "updateProfile", {"bio": "Hello"}, f"account {{ {ACCOUNT} bio }}", token=star.token
    )
    switched = await api.mutate(
        "switchAccountType",
        {"accountType": "BUSINESS"},
        f"account {{ {ACCOUNT} }}",
        token=star.token,
    )
    assert switched["account"]["accountType"] == "BUSINESS"
    assert switched["account"] == await fresh_account(api, "star", star)

    pinned = await api.mutate(
        "setPinnedVideos", {"videoIds": [video]}, f"account {{ {ACCOUNT} }}", token=star.token
    )
    assert pinned["userErrors"] == []
    assert pinned["account"]["pinnedVideos"] == [{"id": video}]
    assert pinned["account"] == await fresh_account(api, "star", star)

    assert updated["account"]["id"] == star.id
    assert updated["account"]["bio"] == "Hello"


async def test_video_mutations_return_the_video_and_its_owner_as_fresh_queries_show_them(api):
    star, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=star.token
    )

    # publishVideo: the video, and its owner with one more video and public post
    published = await api.mutate(
        "publishVideo", {"title": "First", "durationSeconds": 30}, f"video {{ {VIDEO} }}",
        token=star.token,
    )  # fmt: skip
    video = published["video"]
    assert (video["owner"]["videos"], video["owner"]["publicPostsInLast30Days"]) == (
        {"totalCount": 1},
        1,
    )
    assert video == await fresh_video(api, video["id"], star)

    # recordView by another viewer: the view count as that viewer reads it
    viewed = await api.mutate(
        "recordView", {"videoId": video["id"]}, f"video {{ {VIDEO} }}", token=fan.token
    )
    assert viewed["video"]["viewCount"] == 1
    assert viewed["video"]["owner"]["publicPostsInLast30Days"] is None  # the owner's figure
    assert viewed["video"] == await fresh_video(api, video["id"], fan)

    # updateVideo to PRIVATE unpins it: the owner in the payload has no pins any more
    await api.mutate("setPinnedVideos", {"videoIds": [video["id"]]}, "account { id }", star.token)
    updated = await api.mutate(
        "updateVideo", {"videoId": video["id"], "visibility": "PRIVATE"}, f"video {{ {VIDEO} }}",
        token=star.token,
    )  # fmt: skip
    assert updated["video"]["visibility"] == "PRIVATE"
    assert updated["video"]["owner"]["pinnedVideos"] == []
    assert updated["video"]["owner"]["publicPostsInLast30Days"] == 0
    assert updated["video"] == await fresh_video(api, video["id"], star)

    # deleteVideo: the deleted id, and the owner without the video
    deleted = await api.mutate(
        "deleteVideo", {"videoId": video["id"]}, f"deletedVideoId owner {{ {ACCOUNT} }}",
        token=star.token,
    )  # fmt: skip
    assert deleted["deletedVideoId"] == video["id"]
    assert deleted["owner"]["id"] == star.id
    assert deleted["owner"]["videos"] == {"totalCount": 0}
    assert deleted["owner"] == await fresh_account(api, "star", star)


async def test_payload_objects_are_null_when_the_mutation_fails(api):
    fan = await sign_up(api, "fan")

    payload = await api.mutate(
        "follow", {"accountId": fan.id}, "account { id } viewer { id } status", fan.token, REF
    )

    assert payload == {
        "account": None,
        "viewer": None,
        "status": None,
        "userErrors": [
            {
                "code": "CANNOT_FOLLOW_SELF",
                "field": ["input", "accountId"],
                "message": "You cannot follow yourself.",
            }
        ],
    }
