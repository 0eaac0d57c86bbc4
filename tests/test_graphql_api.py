"""The GraphQL layer itself: Relay IDs and cursors, DataLoaders, protective limits,
GraphQL over HTTP, the committed schema and the migrations."""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from graphql import get_introspection_query
from strawberry.printer import print_schema

from reelpay.db import create_engine
from reelpay.graphql.relay import encode_id
from reelpay.migrate import upgrade_async
from reelpay.models import Base
from tests.factories import publish, set_account, sign_up

ROOT = Path(__file__).resolve().parent.parent

GRAPHQL_RESPONSE = "application/graphql-response+json"

# What a decoder, the interpreter or the database would say if its message leaked out.
LEAKS = (
    "Traceback",
    "binascii",
    "base64",
    "padding",
    "codec",
    "utf-8",
    "UnicodeDecodeError",
    "ValueError",
    "TypeError",
    "JSONDecodeError",
    "Expecting value",
    "invalid literal",
    "int()",
    "sqlalchemy",
    "asyncpg",
    "sqlite",
    'File "',
)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def assert_no_leak(text: str) -> None:
    for leak in LEAKS:
        assert leak.lower() not in text.lower(), f"{leak!r} leaked in {text}"


def assert_bad_input(body: dict[str, Any], reason: str) -> dict[str, Any]:
    """The body's single error is BAD_USER_INPUT with `reason`; returns it."""
    assert len(body.get("errors") or []) == 1, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["reason"] == reason, error
    assert_no_leak(json.dumps(body))
    return error


# --- node(id:) and nodes(ids:) --------------------------------------------------------------

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Account { handle } ... on Video { title owner { handle } } } }"""
NODES = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
  ... on Account { handle } ... on Video { title } } }"""


async def test_node_returns_accounts_and_videos(api):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice, "Hello")

    account = (await api.data(NODE, {"id": alice.id}))["node"]
    found = (await api.data(NODE, {"id": video}))["node"]

    assert account == {"__typename": "Account", "id": alice.id, "handle": "alice"}
    assert found == {
        "__typename": "Video",
        "id": video,
        "title": "Hello",
        "owner": {"handle": "alice"},
    }


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "junk",
        "!!!",
        "Account:1",  # not encoded at all
        "Account:abc",
        b64("Nope:1"),  # a type that is not a Node
        b64("Account:abc"),
        b64("Account:"),
        b64(":1"),
        b64("Account:-1"),
        b64("Account:1.5"),
        b64("Account: 1"),
        b64("Account:99999999999999999999999999"),  # a huge number
        b64("Account:" + "9" * 1000),
        b64("\u00e9\u00e9:1"),
        base64.b64encode(b"\xff\xfe\x00:1").decode(),  # not UTF-8
        "x" * 10_000,
    ],
)
async def test_node_with_a_junk_id_is_bad_user_input(api, junk):
    body = await api.execute(NODE, {"id": junk})

    error = assert_bad_input(body, "INVALID_ID")
    assert body["data"] == {"node": None}
    assert error["path"] == ["node"]
    assert error["extensions"]["field"] == ["id"]
    assert len(error["message"]) < 200


async def test_node_with_an_unknown_key_is_null(api):
    await sign_up(api, "alice")

    for missing in (
        encode_id("Account", 987654),
        encode_id("Video", 987654),
    ):
        assert await api.data(NODE, {"id": missing}) == {"node": None}


@pytest.mark.parametrize("pk", [0, 2**31, 2**63 - 1, 999_999_999_999_999_999])
async def test_a_well_formed_but_impossible_id_is_never_an_internal_error(api, pk):
    """An ID past what the database can store was never given out: null or INVALID_ID,
    the same as any unknown or invalid ID, on every backend."""
    alice = await sign_up(api, "alice")

    for type_name in ("Account", "Video"):
        gid = encode_id(type_name, pk)
        body = await api.execute(NODE, {"id": gid})
        assert body["data"] == {"node": None}, body
        if "errors" in body:
            assert_bad_input(body, "INVALID_ID")
    payload = await api.mutate(
        "follow",
        {"accountId": encode_id("Account", pk)},
        "status",
        token=alice.token,
        input_type="AccountRefInput",
    )
    assert [e["code"] for e in payload["userErrors"]] in (["NOT_FOUND"], ["INVALID_ID"])


async def test_node_hides_what_the_viewer_may_not_see(api):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    hidden = await publish(api, alice, "Only me", visibility="PRIVATE")
    secret = await sign_up(api, "secret")
    secret_video = await publish(api, secret, "Friends only")
    await set_account(api, secret, visibility="PRIVATE")

    assert (await api.data(NODE, {"id": hidden}, token=alice.token))["node"]["title"] == "Only me"
    assert await api.data(NODE, {"id": hidden}, token=bob.token) == {"node": None}
    assert await api.data(NODE, {"id": hidden}) == {"node": None}
    assert await api.data(NODE, {"id": secret_video}, token=bob.token) == {"node": None}
    assert (await api.data(NODE, {"id": secret_video}, token=secret.token))["node"][
        "title"
    ] == "Friends only"


async def test_nodes_keeps_order_with_nulls(api):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    video = await publish(api, alice, "Hello")
    missing = encode_id("Video", 987654)

    data = await api.data(NODES, {"ids": [video, missing, bob.id, alice.id, video]})

    assert data == {
        "nodes": [
            {"__typename": "Video", "id": video, "title": "Hello"},
            None,
            {"__typename": "Account", "id": bob.id, "handle": "bob"},
            {"__typename": "Account", "id": alice.id, "handle": "alice"},
            {"__typename": "Video", "id": video, "title": "Hello"},
        ]
    }
    assert await api.data(NODES, {"ids": []}) == {"nodes": []}


async def test_nodes_with_a_junk_id_is_bad_user_input(api):
    alice = await sign_up(api, "alice")

    body = await api.execute(NODES, {"ids": [alice.id, "junk"]})

    error = assert_bad_input(body, "INVALID_ID")
    assert error["extensions"]["field"] == ["ids"]
    assert body["data"] is None  # nodes is non-null


async def test_nodes_takes_at_most_100_ids(api):
    alice = await sign_up(api, "alice")

    hundred = await api.data(NODES, {"ids": [alice.id] * 100})
    body = await api.execute(NODES, {"ids": [alice.id] * 101})

    assert len(hundred["nodes"]) == 100
    error = assert_bad_input(body, "INVALID_INPUT")
    assert error["extensions"]["field"] == ["ids"]
    assert "100" in error["message"]
    assert body["data"] is None


# --- cursors and page sizes -----------------------------------------------------------------

ACCOUNTS = """query($first: Int, $after: String, $last: Int, $before: String) {
  accounts(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { handle } } pageInfo { hasNextPage hasPreviousPage } } }"""


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "junk",
        "!!!",
        b64("not json"),
        b64("{}"),
        b64("[]"),
        b64("1"),
        b64('["1"]'),
        b64("[1.5]"),
        b64("[true]"),
        b64("[null]"),
        b64("[1, 2]"),
        b64("[" + "9" * 5000 + "]"),
        base64.b64encode(b"\xff\xfe").decode(),
        b64("[9223372036854775808]"),  # one past what a database integer holds
        b64("[-9223372036854775809]"),
        b64("[99999999999999999999999]"),
        b64("[" * 3000),  # nested deeper than the JSON decoder recurses
        "A" * 10_000,
    ],
)
@pytest.mark.parametrize("argument", ["after", "before"])
async def test_junk_cursors_are_bad_user_input(api, junk, argument):
    await sign_up(api, "alice")
    variables = {argument: junk}
    if argument == "before":
        variables["last"] = 5

    body = await api.execute(ACCOUNTS, variables)

    error = assert_bad_input(body, "INVALID_CURSOR")
    assert error["extensions"]["field"] == [argument]
    assert body["data"] is None


@pytest.mark.parametrize(
    "key",
    [
        ["9999-12-31T23:59:59-14:00", 1],  # after year 9999 in UTC
        ["0001-01-01T00:00:00+14:00", 1],  # before year 1 in UTC
        ["2026-06-15T12:00:00+00:00", 9223372036854775808],
        ["2026-06-15T12:00:00", 1],  # no zone
    ],
)
async def test_cursors_with_instants_or_numbers_no_database_holds_are_bad_user_input(api, key):
    alice = await sign_up(api, "alice")
    await publish(api, alice)
    body = await api.execute(
        'query($after: String) { account(handle: "alice") { videos(after: $after) '
        "{ totalCount } } }",
        {"after": b64(json.dumps(key))},
    )
    assert_bad_input(body, "INVALID_CURSOR")
    assert body["data"] == {"account": {"videos": None}}


async def test_a_search_longer_than_any_name_finds_nothing(api):
    await sign_up(api, "alice")
    for search in ("a" * 60_000, "al" + "%" * 5_000, "@" + "a" * 51):
        data = await api.data(
            "query($s: String) { accounts(search: $s) { totalCount edges { cursor } } }",
            {"s": search},
        )
        assert data == {"accounts": {"totalCount": 0, "edges": []}}
    found = await api.data('{ accounts(search: "@Ali") { totalCount } }')
    assert found == {"accounts": {"totalCount": 1}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($h: String!) { account(handle: $h) { handle } }", {"h": "\ud800"}),
        ("query($s: String) { accounts(search: $s) { totalCount } }", {"s": "ab\udfffcd"}),
        (
            "mutation($i: LogInInput!) { logIn(input: $i) { token } }",
            {"i": {"email": "a\ud83d@example.com", "password": "correct horse"}},
        ),
    ],
)
async def test_text_that_is_not_unicode_is_refused_before_anything_runs(api, query, variables):
    """A lone UTF-16 surrogate is valid JSON but no database can store or compare it."""
    response = await api.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),  # "\\ud800" escapes
        headers={"Content-Type": "application/json"},
    )
    body = response.json()
    error = assert_bad_input(body, "INVALID_INPUT")
    assert "data" not in body
    assert "surrogate" in error["message"]


async def test_an_error_that_echoes_a_lone_surrogate_is_still_a_json_answer(api):
    """Some messages quote what the client sent (here an unknown operation name); the fast
    encoder refuses a lone surrogate, so the answer falls back to escaping it."""
    response = await api.client.post(
        "/graphql",
        content=json.dumps({"query": "query A { __typename }", "operationName": "B\ud800"}),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 200, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert "B\ud800" in error["message"]


async def test_a_cursor_from_another_list_is_refused(api):
    alice = await sign_up(api, "alice")
    await publish(api, alice, "One")
    await publish(api, alice, "Two")
    videos_query = '{ account(handle: "alice") { videos(first: 1) { edges { cursor } } } }'
    video_cursor = (await api.data(videos_query))["account"]["videos"]["edges"][0]["cursor"]
    account_cursor = (await api.data(ACCOUNTS, {"first": 1}))["accounts"]["edges"][0]["cursor"]

    body = await api.execute(ACCOUNTS, {"after": video_cursor})
    nested = await api.execute(
        'query($after: String) { account(handle: "alice") { videos(after: $after) '
        "{ totalCount } } }",
        {"after": account_cursor},
    )

    assert_bad_input(body, "INVALID_CURSOR")
    assert_bad_input(nested, "INVALID_CURSOR")
    assert nested["data"] == {"account": {"videos": None}}
    assert nested["errors"][0]["path"] == ["account", "videos"]


async def test_cursors_page_through_accounts_both_ways(api):
    for i in range(5):
        await sign_up(api, f"user_{i}")

    first = (await api.data(ACCOUNTS, {"first": 2}))["accounts"]
    second = (await api.data(ACCOUNTS, {"first": 2, "after": first["edges"][-1]["cursor"]}))[
        "accounts"
    ]
    back = (await api.data(ACCOUNTS, {"last": 2, "before": second["edges"][0]["cursor"]}))[
        "accounts"
    ]

    assert [e["node"]["handle"] for e in first["edges"]] == ["user_0", "user_1"]
    assert first["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    assert [e["node"]["handle"] for e in second["edges"]] == ["user_2", "user_3"]
    assert second["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}
    assert [e["node"]["handle"] for e in back["edges"]] == ["user_0", "user_1"]
    assert first["totalCount"] == second["totalCount"] == 5


@pytest.mark.parametrize("argument", ["first", "last"])
async def test_page_sizes_are_between_1_and_100(api, argument):
    await sign_up(api, "alice")

    for size in (0, -1, 101):
        body = await api.execute(ACCOUNTS, {argument: size})
        error = assert_bad_input(body, "INVALID_INPUT")
        assert error["extensions"]["field"] == [argument]
        assert error["message"] == f"`{argument}` must be between 1 and 100."
        assert body["data"] is None
    for size in (1, 100):
        data = await api.data(ACCOUNTS, {argument: size})
        assert [e["node"]["handle"] for e in data["accounts"]["edges"]] == ["alice"]


async def test_first_and_last_together_are_refused(api):
    await sign_up(api, "alice")

    body = await api.execute(ACCOUNTS, {"first": 1, "last": 1})

    error = assert_bad_input(body, "INVALID_INPUT")
    assert error["extensions"]["field"] == ["last"]


async def test_page_size_defaults_to_20(api):
    alice = await sign_up(api, "user_00")
    for i in range(1, 22):
        await sign_up(api, f"user_{i:02d}")
    for i in range(21):
        await publish(api, alice, f"Video {i}")

    accounts = (await api.data(ACCOUNTS))["accounts"]
    videos = (
        await api.data(
            '{ account(handle: "user_00") { videos { totalCount edges { node { title } } '
            "pageInfo { hasNextPage } } } }"
        )
    )["account"]["videos"]

    assert [e["node"]["handle"] for e in accounts["edges"]] == [f"user_{i:02d}" for i in range(20)]
    assert accounts["pageInfo"]["hasNextPage"] is True
    assert accounts["totalCount"] == 22
    assert [e["node"]["title"] for e in videos["edges"]] == [f"Video {i}" for i in range(20, 0, -1)]
    assert videos["pageInfo"]["hasNextPage"] is True
    assert videos["totalCount"] == 21


# --- DataLoaders ----------------------------------------------------------------------------

PAGE_OF_ACCOUNTS = """query($n: Int!) { accounts(first: $n) { edges { node {
  handle followerCount followingCount viewerFollowStatus
  videos(first: 3) { totalCount edges { node { title owner { handle } } } }
  pinnedVideos { id }
} } } }"""


@contextmanager
def counting_statements(engine: Any):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", count)


async def add_accounts(api: Any, viewer: Any, start: int, stop: int) -> None:
    """Accounts of every kind: pro with pins, private (asked or not), followed, plain."""
    for i in range(start, stop):
        user = await sign_up(api, f"member{i:02d}")
        first = await publish(api, user, f"{user.handle} first")
        await publish(
            api, user, f"{user.handle} second", visibility="PRIVATE" if i % 2 else "PUBLIC"
        )
        kind = i % 5
        if kind == 0:
            await api.mutate(
                "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=user.token
            )
            payload = await api.mutate(
                "setPinnedVideos", {"videoIds": [first]}, "account { id }", token=user.token
            )
            assert payload["userErrors"] == []
        elif kind in (1, 2):
            await set_account(api, user, visibility="PRIVATE")
        if kind in (2, 3):
            payload = await api.mutate(
                "follow",
                {"accountId": user.id},
                "status",
                token=viewer.token,
                input_type="AccountRefInput",
            )
            assert payload["userErrors"] == []


async def test_a_page_of_accounts_costs_the_same_queries_for_5_or_50(api):
    viewer = await sign_up(api, "viewer")
    await add_accounts(api, viewer, 0, 4)

    with counting_statements(api.engine) as few:
        small = await api.data(PAGE_OF_ACCOUNTS, {"n": 50}, token=viewer.token)
    await add_accounts(api, viewer, 4, 49)
    with counting_statements(api.engine) as many:
        large = await api.data(PAGE_OF_ACCOUNTS, {"n": 50}, token=viewer.token)

    assert len(small["accounts"]["edges"]) == 5
    assert len(large["accounts"]["edges"]) == 50
    assert len(few) == len(many), "\n".join(["--- 5 accounts:", *few, "--- 50:", *many])
    assert len(many) <= 20, many
    by_handle = {e["node"]["handle"]: e["node"] for e in large["accounts"]["edges"]}
    pro, hidden, asked, followed = (by_handle[f"member{i:02d}"] for i in (10, 11, 12, 13))
    assert pro["pinnedVideos"] != [] and pro["videos"]["totalCount"] == 2
    assert hidden["videos"] is None and hidden["viewerFollowStatus"] is None
    assert asked["videos"] is None and asked["viewerFollowStatus"] == "PENDING"
    assert followed["viewerFollowStatus"] == "ACCEPTED" and followed["followerCount"] == 1
    assert [e["node"]["title"] for e in followed["videos"]["edges"]] == ["member13 first"]
    assert followed["videos"]["edges"][0]["node"]["owner"] == {"handle": "member13"}
    assert by_handle["viewer"]["followingCount"] == 10  # 10 follows, 10 pending requests
    assert by_handle["viewer"]["videos"]["totalCount"] == 0


# --- protective limits ----------------------------------------------------------------------


def chain(tail: str) -> str:
    """viewer(0) following(1) edges(2) node(3) ... node(9), then `tail` at depth 10."""
    inner = tail
    for _ in range(3):
        inner = f"following(first: 1) {{ edges {{ node {{ {inner} }} }} }}"
    return f"{{ viewer {{ {inner} }} }}"


async def test_operations_deeper_than_12_are_refused(api):
    alice = await sign_up(api, "alice")

    ok = await api.execute(chain("pinnedVideos { owner { id } }"), token=alice.token)
    too_deep = await api.execute(
        chain("pinnedVideos { owner { pinnedVideos { id } } }"), token=alice.token
    )

    assert "errors" not in ok, ok
    assert "data" not in too_deep  # refused before execution
    assert too_deep["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 12"
    assert too_deep["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_more_than_30_aliases_are_refused(api):
    await sign_up(api, "alice")

    def aliased(n: int) -> str:
        return (
            "{ " + " ".join(f"a{i}: accounts(first: 1) {{ totalCount }}" for i in range(n)) + " }"
        )

    ok = await api.data(aliased(30))
    body = await api.execute(aliased(31))

    assert ok["a29"] == {"totalCount": 1}
    assert "data" not in body  # refused before execution
    assert body["errors"][0]["message"] == "31 aliases found. Allowed: 30"
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_huge_documents_are_refused(api):
    body = await api.execute("{ viewer { " + "id " * 5000 + "} }")

    assert "data" not in body
    assert "more than 4000 tokens" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


NESTED_PAGES = """query($outer: Int, $inner: Int) { accounts(first: $outer) { edges { node {
  videos(first: $inner) { edges { node { id } } } } } } }"""


async def test_operations_that_could_return_too_many_items_are_refused(api):
    await publish(api, await sign_up(api, "alice"))

    literal = await api.execute(
        "{ accounts(first: 100) { edges { node { videos(first: 100) { edges { node { id } } } "
        "} } } }"
    )
    with_variables = await api.execute(NESTED_PAGES, {"outer": 100, "inner": 100})
    inner_default = await api.execute(  # 100 + 100 * 20 + 100 * 20 * 100
        "{ accounts(first: 100) { edges { node { following { edges { node { "
        "videos(first: 100) { totalCount } } } } } } } }"
    )

    for body, items in ((literal, 10100), (with_variables, 10100), (inner_default, 202100)):
        error = assert_bad_input(body, "NODE_LIMIT_EXCEEDED")
        assert "data" not in body
        assert str(items) in error["message"]
    assert (
        len((await api.data(NESTED_PAGES, {"outer": 99, "inner": 100}))["accounts"]["edges"]) == 1
    )  # 99 + 9900 = 9999 items at most
    assert (await api.data(NESTED_PAGES))["accounts"]["edges"][0]["node"]["videos"]["edges"]


async def test_the_node_limit_stops_a_mutation_before_it_runs(api):
    alice = await sign_up(api, "alice")
    selection = (
        "video { owner { videos(first: 100) { edges { node { owner { "
        "videos(first: 100) { edges { node { id } } } } } } } } } userErrors { code }"
    )

    body = await api.execute(
        'mutation { publishVideo(input: {title: "Too big", durationSeconds: 5}) { '
        f"{selection} }} }}",
        token=alice.token,
    )

    assert_bad_input(body, "NODE_LIMIT_EXCEEDED")
    assert "data" not in body
    count = await api.data('{ account(handle: "alice") { videos { totalCount } } }')
    assert count == {"account": {"videos": {"totalCount": 0}}}


async def test_graphiql_introspection_passes_the_limits_in_development(api):
    data = await api.data(get_introspection_query(descriptions=True))

    names = {t["name"] for t in data["__schema"]["types"]}
    assert {"Query", "Mutation", "Account", "Video", "Node", "UserErrorCode"} <= names


# --- GraphQL over HTTP ----------------------------------------------------------------------


async def post_raw(api: Any, body: dict[str, Any], accept: str) -> Any:
    return await api.client.post("/graphql", json=body, headers={"Accept": accept})


@pytest.mark.parametrize(
    "request_error",
    [
        {"query": "{ viewer { "},  # syntax
        {"query": "{ nope }"},  # validation
        {"query": "query($id: ID!) { node(id: $id) { id } }"},  # missing variable
        {
            "query": "query($n: Int) { accounts(first: $n) { totalCount } }",
            "variables": {"n": "many"},
        },  # variable coercion
    ],
)
async def test_request_errors_are_400_for_graphql_response_json(api, request_error):
    response = await post_raw(api, request_error, GRAPHQL_RESPONSE)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert body["errors"] and all(e["extensions"]["code"] for e in body["errors"])
    assert "Traceback" not in response.text


@pytest.mark.parametrize("request_error", ["{ viewer { ", "{ nope }"])
async def test_request_errors_are_200_without_data_for_application_json(api, request_error):
    """Execution never started, so there is no `data` (the GraphQL spec); legacy JSON clients
    keep their 200 (GraphQL over HTTP)."""
    for accept in ("application/json", None, "*/*"):
        headers = {"Accept": accept} if accept else {}
        response = await api.client.post("/graphql", json={"query": request_error}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert "data" not in body, body
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "Traceback" not in response.text


# Subscriptions run over the WebSocket; sent over HTTP they are refused before execution.
SUBSCRIPTIONS = [
    "subscription { walletEvents { kind } }",  # unnamed, as GraphiQL sends it over HTTP
    "subscription Mine { payoutUpdates { status } }",
    'subscription { liveEvents(liveId: "TGl2ZVN0cmVhbTox") { __typename } }',
]


@pytest.mark.parametrize(
    ("subscription", "method", "accept"),
    [
        *(
            (SUBSCRIPTIONS[0], method, accept)
            for method in ("POST", "GET")
            for accept in ("application/json", GRAPHQL_RESPONSE, None)
        ),
        *((subscription, "POST", None) for subscription in SUBSCRIPTIONS[1:]),
    ],
)
async def test_a_subscription_over_http_is_refused_with_a_pointer_to_the_websocket(
    api, caplog, subscription, method, accept
):
    alice = await sign_up(api, "alice")
    headers = {"Authorization": f"Bearer {alice.token}"} | ({"Accept": accept} if accept else {})
    if method == "POST":
        response = await api.client.post("/graphql", json={"query": subscription}, headers=headers)
    else:
        response = await api.client.get("/graphql", params={"query": subscription}, headers=headers)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(accept or "application/json")
    body = response.json()
    assert list(body) == ["errors"], body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST", "reason": "SUBSCRIPTION_NEEDS_WEBSOCKET"}
    assert "WebSocket" in error["message"]
    assert "ERROR" not in caplog.text  # refused, not failed


TWO_OPERATIONS = "query First { viewer { id } } query Second { accounts(first: 1) { totalCount } }"


@pytest.mark.parametrize(
    "document",
    ["subscription { nope }", "{ viewer { id } } { __typename }"],
)
async def test_an_invalid_document_is_a_validation_error_first(api, document):
    """What is wrong with the document itself comes first, before how it was sent."""
    response = await post_raw(api, {"query": document}, "application/json")
    errors = response.json()["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}, errors


@pytest.mark.parametrize(("accept", "status"), [("application/json", 200), (GRAPHQL_RESPONSE, 400)])
async def test_several_operations_without_an_operation_name_are_a_request_error(
    api, accept, status
):
    response = await post_raw(api, {"query": TWO_OPERATIONS}, accept)

    assert response.status_code == status
    body = response.json()
    assert list(body) == ["errors"], body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "OPERATION_RESOLUTION_FAILURE"}
    assert "operationName" in error["message"]

    chosen = await post_raw(api, {"query": TWO_OPERATIONS, "operationName": "Second"}, accept)
    assert chosen.json() == {"data": {"accounts": {"totalCount": 0}}}


@pytest.mark.parametrize(("accept", "status"), [("application/json", 200), (GRAPHQL_RESPONSE, 400)])
async def test_an_operation_name_the_document_lacks_is_a_coded_json_error(api, accept, status):
    response = await post_raw(api, {"query": TWO_OPERATIONS, "operationName": "Third"}, accept)

    assert response.status_code == status
    assert response.headers["content-type"].startswith(accept)
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "OPERATION_RESOLUTION_FAILURE"}
    assert "Third" in error["message"]
    for malformed in (7, True, ["Second"], {"name": "Second"}):  # not even a name: 400
        response = await post_raw(
            api, {"query": TWO_OPERATIONS, "operationName": malformed}, accept
        )
        assert response.status_code == 400, malformed


async def test_the_node_limit_counts_the_operation_that_runs_not_the_first(api):
    # 100 accounts and 100 videos each: 10,100 items.
    big = """query Big { accounts(first: 100) { edges { node {
      videos(first: 100) { edges { cursor } } } } } }"""
    body = (
        await post_raw(
            api, {"query": "query Small { __typename } " + big, "operationName": "Big"},
            "application/json",
        )
    ).json()  # fmt: skip
    assert_bad_input(body, "NODE_LIMIT_EXCEEDED")


async def test_field_errors_stay_200_for_graphql_response_json(api):
    response = await post_raw(api, {"query": '{ node(id: "junk") { id } }'}, GRAPHQL_RESPONSE)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert body["data"] == {"node": None}
    assert_bad_input(body, "INVALID_ID")


async def test_a_successful_request_with_graphql_response_json(api):
    response = await post_raw(api, {"query": "{ viewer { id } }"}, GRAPHQL_RESPONSE)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"viewer": None}}


async def test_queries_work_over_get(api):
    alice = await sign_up(api, "alice")

    response = await api.client.get(
        "/graphql",
        params={
            "query": "query($h: String!) { account(handle: $h) { id handle } }",
            "variables": json.dumps({"h": "alice"}),
        },
    )
    with_token = await api.client.get(
        "/graphql",
        params={"query": "{ viewer { handle } }"},
        headers={"Authorization": f"Bearer {alice.token}"},
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"account": {"id": alice.id, "handle": "alice"}}}
    assert with_token.json() == {"data": {"viewer": {"handle": "alice"}}}


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_mutations_over_get_are_refused(api, accept):
    alice = await sign_up(api, "alice")
    mutation = (
        'mutation { publishVideo(input: {title: "Sneaky", durationSeconds: 5}) { video { id } } }'
    )

    response = await api.client.get(
        "/graphql",
        params={"query": mutation},
        headers={"Accept": accept, "Authorization": f"Bearer {alice.token}"},
    )

    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.text
    assert "video" not in response.text.replace("publishVideo", "")
    count = await api.data('{ account(handle: "alice") { videos { totalCount } } }')
    assert count == {"account": {"videos": {"totalCount": 0}}}


async def test_malformed_requests_never_show_a_traceback(api):
    responses = [
        await api.client.post(
            "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        await api.client.post("/graphql", json={"query": 42}),
        await api.client.post("/graphql", json={"variables": {}}),
        await api.client.post("/graphql", json={"query": "{ viewer { id } }", "variables": 7}),
        await api.client.post("/graphql", json=[1, 2]),
        await api.client.get(
            "/graphql", params={"query": "{ viewer { id } }", "variables": "{broken"}
        ),
        await api.post("{ viewer { id } }", headers={"Authorization": "Basic abc"}),
        await api.post('{ node(id: "' + "\u0000" * 10 + '") { id } }'),
    ]
    for response in responses:
        assert response.status_code < 500, response.text
        assert "Traceback" not in response.text
        assert 'File "' not in response.text


# --- the committed schema and the migrations ------------------------------------------------


def test_schema_graphql_is_up_to_date():
    from reelpay.graphql.schema import schema

    # `strawberry export-schema --output` writes print_schema(schema) plus a newline.
    expected = print_schema(schema) + "\n"
    assert str(schema) == print_schema(schema)
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == expected, "schema.graphql is stale: run `make schema` and commit the result"


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def _compare(engine: Any) -> list[Any]:
    async with engine.connect() as connection:
        return await connection.run_sync(_differences)


async def test_a_fresh_sqlite_migration_matches_the_models(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        differences = await _compare(engine)
        async with engine.begin() as connection:  # the comparison does notice a change
            await connection.execute(sa.text("ALTER TABLE follows ADD COLUMN extra INTEGER"))
        noticed = await _compare(engine)
    finally:
        await engine.dispose()

    assert differences == [], "models and migrations disagree: write a migration"
    assert [d[0] for d in noticed] == ["remove_column"]


async def test_the_migrated_test_database_matches_the_models(engine):
    """Runs on SQLite and, with REELPAY_TEST_POSTGRES_URL, on PostgreSQL."""
    differences = await _compare(engine)

    assert differences == [], "models and migrations disagree: write a migration"
