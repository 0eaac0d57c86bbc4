"""Follows through the API: public and private accounts, requests, lists and exact counts."""

from __future__ import annotations

import asyncio
from typing import Any

from reelpay.graphql.relay import encode_id
from tests.factories import User, publish, set_account, sign_up

ACCOUNT_FIELDS = "id handle followerCount followingCount viewerFollowStatus"
REF = "AccountRefInput"


async def follow(api: Any, user: User, target: str) -> dict[str, Any]:
    return await api.mutate(
        "follow",
        {"accountId": target},
        f"status account {{ {ACCOUNT_FIELDS} }}",
        token=user.token,
        input_type=REF,
    )


async def unfollow(api: Any, user: User, target: str) -> dict[str, Any]:
    return await api.mutate(
        "unfollow",
        {"accountId": target},
        f"account {{ {ACCOUNT_FIELDS} }}",
        token=user.token,
        input_type=REF,
    )


async def approve(api: Any, owner: User, follower: str) -> dict[str, Any]:
    return await api.mutate(
        "approveFollowRequest",
        {"accountId": follower},
        "account { id handle }",
        token=owner.token,
        input_type=REF,
    )


async def decline(api: Any, owner: User, follower: str) -> dict[str, Any]:
    return await api.mutate(
        "declineFollowRequest",
        {"accountId": follower},
        "account { id handle }",
        token=owner.token,
        input_type=REF,
    )


async def profile(api: Any, handle: str, viewer: User | None = None) -> dict[str, Any]:
    """Counts and the viewer's relation to `handle`, as `viewer` sees them."""
    query = f"query($h: String!) {{ account(handle: $h) {{ {ACCOUNT_FIELDS} }} }}"
    return (await api.data(query, {"h": handle}, token=viewer.token if viewer else None))["account"]


def counts(account: dict[str, Any]) -> tuple[int, int]:
    return account["followerCount"], account["followingCount"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


LIST = "totalCount edges { cursor node { handle } } pageInfo { hasNextPage endCursor }"


async def follow_list(
    api: Any, handle: str, field: str, viewer: User | None = None, args: str = ""
) -> Any:
    """`followers`, `following` or `followRequests` of `handle`, as `viewer` sees it (or None)."""
    selection = f"{field}{args} {{ {LIST} }}"
    query = f"query($h: String!) {{ account(handle: $h) {{ {selection} }} }}"
    data = await api.data(query, {"h": handle}, token=viewer.token if viewer else None)
    return data["account"][field]


def handles(connection: dict[str, Any] | None) -> list[str]:
    assert connection is not None
    return [edge["node"]["handle"] for edge in connection["edges"]]


# --- public accounts ------------------------------------------------------------------------


async def test_following_a_public_account_is_accepted_and_counted(api):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")

    payload = await follow(api, alice, bob.id)

    assert payload["userErrors"] == []
    assert payload["status"] == "ACCEPTED"
    assert payload["account"] == {
        "id": bob.id,
        "handle": "bob",
        "followerCount": 1,
        "followingCount": 0,
        "viewerFollowStatus": "ACCEPTED",
    }
    assert counts(await profile(api, "alice")) == (0, 1)
    assert counts(await profile(api, "bob")) == (1, 0)
    assert (await profile(api, "bob", alice))["viewerFollowStatus"] == "ACCEPTED"
    assert (await profile(api, "bob", bob))["viewerFollowStatus"] is None
    assert (await profile(api, "bob"))["viewerFollowStatus"] is None
    assert (await profile(api, "alice", bob))["viewerFollowStatus"] is None


async def test_you_cannot_follow_yourself(api):
    alice = await sign_up(api, "alice")

    payload = await follow(api, alice, alice.id)

    assert payload["status"] is None and payload["account"] is None
    assert payload["userErrors"] == [
        {
            "code": "CANNOT_FOLLOW_SELF",
            "field": ["input", "accountId"],
            "message": "You cannot follow yourself.",
        }
    ]
    assert counts(await profile(api, "alice")) == (0, 0)


async def test_following_twice_is_refused_and_changes_nothing(api):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    await follow(api, alice, bob.id)

    payload = await follow(api, alice, bob.id)

    assert codes(payload) == ["ALREADY_FOLLOWING"]
    assert payload["userErrors"][0]["field"] == ["input", "accountId"]
    assert payload["account"] is None
    assert counts(await profile(api, "bob")) == (1, 0)
    assert counts(await profile(api, "alice")) == (0, 1)


async def test_following_an_unknown_account_is_not_found(api):
    alice = await sign_up(api, "alice")

    payload = await follow(api, alice, encode_id("Account", 987654))

    assert codes(payload) == ["NOT_FOUND"]
    assert payload["userErrors"][0]["field"] == ["input", "accountId"]
    assert counts(await profile(api, "alice")) == (0, 0)


async def test_following_a_bad_id_is_invalid_id(api):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)

    for bad in ("junk", "", video):  # a video's ID is not an account's
        payload = await follow(api, alice, bad)
        assert codes(payload) == ["INVALID_ID"], bad
        assert payload["userErrors"][0]["field"] == ["input", "accountId"]
        assert "Traceback" not in payload["userErrors"][0]["message"]
    assert counts(await profile(api, "alice")) == (0, 0)


async def test_anonymous_follow_is_unauthenticated(api):
    bob = await sign_up(api, "bob")

    body = await api.execute(
        "mutation($input: AccountRefInput!) { follow(input: $input) { status } }",
        {"input": {"accountId": bob.id}},
    )

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert body["errors"][0]["path"] == ["follow"]
    assert counts(await profile(api, "bob")) == (0, 0)


async def test_follow_with_a_bad_token_is_unauthenticated(api):
    bob = await sign_up(api, "bob")

    error = await api.error(
        "mutation($input: AccountRefInput!) { follow(input: $input) { status } }",
        {"input": {"accountId": bob.id}},
        token="not-a-real-token",
    )

    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert counts(await profile(api, "bob")) == (0, 0)


# --- unfollow -------------------------------------------------------------------------------


async def test_unfollow_drops_both_counts_by_one(api):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    carol = await sign_up(api, "carol")
    await follow(api, alice, bob.id)
    await follow(api, carol, bob.id)
    await follow(api, alice, carol.id)

    payload = await unfollow(api, alice, bob.id)

    assert payload["userErrors"] == []
    assert payload["account"] == {
        "id": bob.id,
        "handle": "bob",
        "followerCount": 1,
        "followingCount": 0,
        "viewerFollowStatus": None,
    }
    assert counts(await profile(api, "bob")) == (1, 0)
    assert counts(await profile(api, "alice")) == (0, 1)
    assert counts(await profile(api, "carol")) == (1, 1)
    assert handles(await follow_list(api, "bob", "followers")) == ["carol"]


async def test_unfollow_when_not_following_is_refused(api):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    carol = await sign_up(api, "carol")
    await follow(api, carol, bob.id)

    payload = await unfollow(api, alice, bob.id)

    assert codes(payload) == ["NOT_FOLLOWING"]
    assert payload["userErrors"][0]["field"] == ["input", "accountId"]
    assert payload["account"] is None
    assert counts(await profile(api, "bob")) == (1, 0)
    assert codes(await unfollow(api, alice, encode_id("Account", 987654))) == ["NOT_FOLLOWING"]
    assert codes(await unfollow(api, alice, "junk")) == ["INVALID_ID"]


async def test_unfollow_then_follow_again(api):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    await follow(api, alice, bob.id)
    await unfollow(api, alice, bob.id)

    payload = await follow(api, alice, bob.id)

    assert payload["status"] == "ACCEPTED"
    assert counts(payload["account"]) == (1, 0)
    assert codes(await unfollow(api, alice, bob.id)) == []
    assert codes(await unfollow(api, alice, bob.id)) == ["NOT_FOLLOWING"]
    assert counts(await profile(api, "bob")) == (0, 0)


# --- private accounts -----------------------------------------------------------------------


async def private_account(api: Any, handle: str = "priv") -> User:
    user = await sign_up(api, handle)
    await set_account(api, user, visibility="PRIVATE")
    return user


async def test_following_a_private_account_is_a_pending_request(api):
    owner = await private_account(api)
    alice = await sign_up(api, "alice")

    payload = await follow(api, alice, owner.id)

    assert payload["userErrors"] == []
    assert payload["status"] == "PENDING"
    assert payload["account"] == {
        "id": owner.id,
        "handle": "priv",
        "followerCount": 0,
        "followingCount": 0,
        "viewerFollowStatus": "PENDING",
    }
    assert counts(await profile(api, "priv")) == (0, 0)
    assert counts(await profile(api, "alice")) == (0, 0)
    assert (await profile(api, "priv", alice))["viewerFollowStatus"] == "PENDING"
    again = await follow(api, alice, owner.id)
    assert codes(again) == ["ALREADY_FOLLOWING"]


async def test_follow_requests_are_seen_only_by_the_owner(api):
    owner = await private_account(api)
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    stranger = await sign_up(api, "stranger")
    await follow(api, alice, owner.id)
    await follow(api, bob, owner.id)

    requests = await follow_list(api, "priv", "followRequests", owner)

    assert requests is not None
    assert requests["totalCount"] == 2
    assert handles(requests) == ["bob", "alice"]  # most recent first
    for other in (alice, bob, stranger, None):
        assert await follow_list(api, "priv", "followRequests", other) is None
    # Nobody sees anyone else's requests, not even on their own account's neighbours.
    assert await follow_list(api, "alice", "followRequests", owner) is None
    assert (await follow_list(api, "alice", "followRequests", alice))["totalCount"] == 0


async def test_approving_a_request_makes_a_counted_follower(api):
    owner = await private_account(api)
    alice = await sign_up(api, "alice")
    await follow(api, alice, owner.id)

    payload = await approve(api, owner, alice.id)

    assert payload == {"account": {"id": alice.id, "handle": "alice"}, "userErrors": []}
    assert counts(await profile(api, "priv")) == (1, 0)
    assert counts(await profile(api, "alice")) == (0, 1)
    assert (await profile(api, "priv", alice))["viewerFollowStatus"] == "ACCEPTED"
    assert (await follow_list(api, "priv", "followRequests", owner))["totalCount"] == 0
    assert handles(await follow_list(api, "priv", "followers", owner)) == ["alice"]
    assert handles(await follow_list(api, "priv", "followers", alice)) == ["alice"]
    # Approving again: there is no pending request any more.
    assert codes(await approve(api, owner, alice.id)) == ["NO_FOLLOW_REQUEST"]
    assert counts(await profile(api, "priv")) == (1, 0)


async def test_declining_a_request_removes_it(api):
    owner = await private_account(api)
    alice = await sign_up(api, "alice")
    await follow(api, alice, owner.id)

    payload = await decline(api, owner, alice.id)

    assert payload == {"account": {"id": alice.id, "handle": "alice"}, "userErrors": []}
    assert counts(await profile(api, "priv")) == (0, 0)
    assert (await profile(api, "priv", alice))["viewerFollowStatus"] is None
    assert (await follow_list(api, "priv", "followRequests", owner))["totalCount"] == 0
    assert codes(await decline(api, owner, alice.id)) == ["NO_FOLLOW_REQUEST"]
    # Alice may ask again.
    assert (await follow(api, alice, owner.id))["status"] == "PENDING"


async def test_approve_or_decline_without_a_request_is_refused(api):
    owner = await private_account(api)
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    await follow(api, owner, bob.id)  # the owner follows bob, bob never asked the owner

    for act in (approve, decline):
        payload = await act(api, owner, alice.id)
        assert payload["account"] is None
        assert payload["userErrors"] == [
            {
                "code": "NO_FOLLOW_REQUEST",
                "field": ["input", "accountId"],
                "message": "This account has not asked to follow you.",
            }
        ]
        assert codes(await act(api, owner, bob.id)) == ["NO_FOLLOW_REQUEST"]
        assert codes(await act(api, owner, encode_id("Account", 987654))) == ["NO_FOLLOW_REQUEST"]
        assert codes(await act(api, owner, "junk")) == ["INVALID_ID"]
    # Only the account that was asked may answer: bob cannot approve alice's request.
    await follow(api, alice, owner.id)
    assert codes(await approve(api, bob, alice.id)) == ["NO_FOLLOW_REQUEST"]
    assert (await profile(api, "priv", alice))["viewerFollowStatus"] == "PENDING"
    assert counts(await profile(api, "priv")) == (0, 1)


async def test_anonymous_approve_is_unauthenticated(api):
    alice = await sign_up(api, "alice")

    error = await api.error(
        "mutation($input: AccountRefInput!) { approveFollowRequest(input: $input) { "
        "userErrors { code } } }",
        {"input": {"accountId": alice.id}},
    )

    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unfollow_withdraws_a_pending_request(api):
    owner = await private_account(api)
    alice = await sign_up(api, "alice")
    await follow(api, alice, owner.id)

    payload = await unfollow(api, alice, owner.id)

    assert payload["userErrors"] == []
    assert payload["account"]["viewerFollowStatus"] is None
    assert counts(payload["account"]) == (0, 0)
    assert (await follow_list(api, "priv", "followRequests", owner))["totalCount"] == 0
    assert counts(await profile(api, "alice")) == (0, 0)
    assert codes(await approve(api, owner, alice.id)) == ["NO_FOLLOW_REQUEST"]


async def test_going_public_accepts_every_pending_request(api):
    owner = await private_account(api)
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    carol = await sign_up(api, "carol")
    await follow(api, alice, owner.id)
    await follow(api, bob, owner.id)
    await follow(api, carol, owner.id)
    await approve(api, owner, carol.id)
    assert counts(await profile(api, "priv")) == (1, 0)

    await set_account(api, owner, visibility="PUBLIC")

    assert counts(await profile(api, "priv")) == (3, 0)
    for user in (alice, bob, carol):
        assert (await profile(api, "priv", user))["viewerFollowStatus"] == "ACCEPTED"
        assert counts(await profile(api, user.handle)) == (0, 1)
    assert (await follow_list(api, "priv", "followRequests", owner))["totalCount"] == 0
    followers = await follow_list(api, "priv", "followers")
    assert followers["totalCount"] == 3
    assert sorted(handles(followers)) == ["alice", "bob", "carol"]
    # New follows of the now public account are accepted at once.
    dave = await sign_up(api, "dave")
    assert (await follow(api, dave, owner.id))["status"] == "ACCEPTED"


async def test_going_private_keeps_existing_followers(api):
    owner = await sign_up(api, "priv")
    alice = await sign_up(api, "alice")
    await follow(api, alice, owner.id)

    await set_account(api, owner, visibility="PRIVATE")

    assert counts(await profile(api, "priv")) == (1, 0)
    assert (await profile(api, "priv", alice))["viewerFollowStatus"] == "ACCEPTED"
    assert handles(await follow_list(api, "priv", "followers", alice)) == ["alice"]


# --- followers and following lists ----------------------------------------------------------


async def walk(
    api: Any, handle: str, field: str, page_size: int, viewer: User | None = None
) -> tuple[list[str], int, int]:
    """Every handle of a list read page by page: (handles, totalCount, pages)."""
    seen: list[str] = []
    after: str | None = None
    pages = 0
    total = None
    while True:
        args = f"(first: {page_size}" + (f', after: "{after}")' if after else ")")
        page = await follow_list(api, handle, field, viewer, args)
        assert page is not None
        pages += 1
        total = page["totalCount"]
        seen.extend(handles(page))
        assert len(page["edges"]) <= page_size
        if not page["pageInfo"]["hasNextPage"]:
            return seen, total, pages
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
        assert pages < 20, "pagination does not end"


async def test_followers_are_listed_most_recent_first_and_paginate(api):
    star = await sign_up(api, "star")
    fans = [await sign_up(api, f"fan{i}") for i in range(7)]
    for fan in fans:
        await follow(api, fan, star.id)
    await unfollow(api, fans[2], star.id)  # fan2 left
    expected = [f"fan{i}" for i in (6, 5, 4, 3, 1, 0)]

    everything = await follow_list(api, "star", "followers")
    seen, total, pages = await walk(api, "star", "followers", 4)
    by_two, _, pages_of_two = await walk(api, "star", "followers", 2)

    assert handles(everything) == expected
    assert everything["totalCount"] == 6
    assert everything["pageInfo"]["hasNextPage"] is False
    assert (seen, total, pages) == (expected, 6, 2)
    assert (by_two, pages_of_two) == (expected, 3)
    assert counts(await profile(api, "star")) == (6, 0)


async def test_following_is_listed_most_recent_first_and_paginates(api):
    fan = await sign_up(api, "fan")
    stars = [await sign_up(api, f"star{i}") for i in range(5)]
    for star in stars:
        await follow(api, fan, star.id)
    # A pending request to a private account is not a following yet.
    secret = await private_account(api, "secret")
    await follow(api, fan, secret.id)
    expected = [f"star{i}" for i in (4, 3, 2, 1, 0)]

    seen, total, pages = await walk(api, "fan", "following", 2, viewer=fan)

    assert (seen, total, pages) == (expected, 5, 3)
    assert counts(await profile(api, "fan")) == (0, 5)


async def test_follow_lists_paginate_backwards(api):
    star = await sign_up(api, "star")
    fans = [await sign_up(api, f"fan{i}") for i in range(5)]
    for fan in fans:
        await follow(api, fan, star.id)

    last_two = await follow_list(api, "star", "followers", args="(last: 2)")
    before = last_two["edges"][0]["cursor"]
    previous = await follow_list(api, "star", "followers", args=f'(last: 2, before: "{before}")')

    assert handles(last_two) == ["fan1", "fan0"]
    assert handles(previous) == ["fan3", "fan2"]
    assert previous["totalCount"] == 5


async def test_an_empty_follow_list(api):
    await sign_up(api, "alone")

    followers = await follow_list(api, "alone", "followers")

    assert followers == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_a_private_accounts_lists_are_hidden_from_unapproved_viewers(api):
    owner = await private_account(api)
    friend = await sign_up(api, "friend")
    asker = await sign_up(api, "asker")
    stranger = await sign_up(api, "stranger")
    followed = await sign_up(api, "followed")
    await follow(api, friend, owner.id)
    await approve(api, owner, friend.id)
    await follow(api, owner, followed.id)
    await follow(api, asker, owner.id)  # still pending

    for viewer in (None, stranger, asker):
        assert await follow_list(api, "priv", "followers", viewer) is None
        assert await follow_list(api, "priv", "following", viewer) is None
    for viewer in (owner, friend):
        assert handles(await follow_list(api, "priv", "followers", viewer)) == ["friend"]
        assert handles(await follow_list(api, "priv", "following", viewer)) == ["followed"]
    # The counts stay public and exact.
    assert counts(await profile(api, "priv", stranger)) == (1, 1)


# --- concurrency ----------------------------------------------------------------------------


async def test_concurrent_follows_by_one_user_count_once(api):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")

    payloads = await asyncio.gather(*(follow(api, alice, bob.id) for _ in range(10)))

    accepted = [p for p in payloads if p["userErrors"] == []]
    refused = [codes(p) for p in payloads if p["userErrors"]]
    assert len(accepted) == 1
    assert accepted[0]["status"] == "ACCEPTED"
    assert refused == [["ALREADY_FOLLOWING"]] * 9
    assert counts(await profile(api, "bob")) == (1, 0)
    assert counts(await profile(api, "alice")) == (0, 1)
    assert (await follow_list(api, "bob", "followers"))["totalCount"] == 1


async def test_concurrent_follows_of_many_users_are_all_counted(api):
    star = await sign_up(api, "star")
    fans = [await sign_up(api, f"fan{i}") for i in range(8)]

    payloads = await asyncio.gather(*(follow(api, fan, star.id) for fan in fans))

    assert [p["status"] for p in payloads] == ["ACCEPTED"] * 8
    assert counts(await profile(api, "star")) == (8, 0)


TODAY = "2026-06-15"  # the frozen clock's day


async def follower_figures(api: Any, owner: User) -> list[dict[str, Any]]:
    """The owner's follower analytics for yesterday and today (BUSINESS accounts only)."""
    query = (
        '{ viewer { analytics(from: "2026-06-14", to: "2026-06-15") { days { '
        "date followersGained followersLost followersTotal } } } }"
    )
    return (await api.data(query, token=owner.token))["viewer"]["analytics"]["days"]


async def test_concurrent_requests_to_a_private_account_then_approvals_count_once(api):
    owner = await private_account(api)
    await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=owner.token
    )
    alice = await sign_up(api, "alice")

    payloads = await asyncio.gather(*(follow(api, alice, owner.id) for _ in range(10)))

    assert sorted(p["status"] or codes(p)[0] for p in payloads) == (
        ["ALREADY_FOLLOWING"] * 9 + ["PENDING"]
    )
    assert (await follow_list(api, "priv", "followRequests", owner))["totalCount"] == 1

    approvals = await asyncio.gather(*(approve(api, owner, alice.id) for _ in range(5)))

    assert counts(await profile(api, "priv")) == (1, 0)
    # One request is approved once: its follower is gained once, whatever the interleaving.
    assert await follower_figures(api, owner) == [
        {"date": "2026-06-14", "followersGained": 0, "followersLost": 0, "followersTotal": 0},
        {"date": TODAY, "followersGained": 1, "followersLost": 0, "followersTotal": 1},
    ]
    assert sorted(codes(p) for p in approvals) == [[]] + [["NO_FOLLOW_REQUEST"]] * 4


async def test_concurrent_unfollows_count_one_loss(api):
    owner = await sign_up(api, "star")
    await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=owner.token
    )
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    await follow(api, alice, owner.id)
    await follow(api, bob, owner.id)

    payloads = await asyncio.gather(*(unfollow(api, alice, owner.id) for _ in range(5)))

    assert counts(await profile(api, "star")) == (1, 0)
    assert await follower_figures(api, owner) == [
        {"date": "2026-06-14", "followersGained": 0, "followersLost": 0, "followersTotal": 0},
        {"date": TODAY, "followersGained": 2, "followersLost": 1, "followersTotal": 1},
    ]
    assert sorted(codes(p) for p in payloads) == [[]] + [["NOT_FOLLOWING"]] * 4
