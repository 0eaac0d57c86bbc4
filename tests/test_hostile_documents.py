"""Documents built to cost far more than their size: each is refused before it runs, with a
coded error, and the limits sit exactly where they say (issue 12, "Cost limits")."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.factories import publish, sign_up

GUARD = 30  # seconds: a regression to exponential cost fails here instead of hanging the suite


async def post(api, query: str, variables=None, accept: str = "application/json"):
    return await asyncio.wait_for(
        api.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Accept": accept},
        ),
        GUARD,
    )


def refused(response: httpx.Response, code: str, reason: str) -> str:
    """The response is a request error (no `data`) with one coded error; its message."""
    body = response.json()
    assert "data" not in body, body
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["reason"] == reason, error
    return error["message"]


def doubling(levels: int, leaf: str = "handle") -> str:
    """`{ viewer { ...F0 } }` where each fragment spreads the next twice: 2^levels leaves."""
    fragments = [f"fragment F{i} on Account {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Account {{ {leaf} }}")
    return "{ viewer { ...F0 } } " + " ".join(fragments)


def exactly(fields: int) -> str:
    """`{ viewer { ... } }` selecting `fields` fields in all (viewer included), through
    fragments P0..P12 where P<i> expands to 2^i `handle`s."""
    powers = ["fragment P0 on Account { handle }"] + [
        f"fragment P{i} on Account {{ ...P{i - 1} ...P{i - 1} }}" for i in range(1, 13)
    ]
    wanted = fields - 1
    spreads = " ".join(f"...P{i}" for i in range(13) if wanted >> i & 1)
    used = {i for i in range(13) if wanted >> i & 1}
    needed = [p for i, p in enumerate(powers) if i <= max(used)]
    return f"{{ viewer {{ {spreads} }} }} " + " ".join(needed)


def chain(length: int) -> str:
    """`{ viewer { ...F0 } }` with F0 spreading F1 ... spreading F<length>: nests length + 1."""
    fragments = [f"fragment F{i} on Account {{ ...F{i + 1} }}" for i in range(length)]
    fragments.append(f"fragment F{length} on Account {{ handle }}")
    return "{ viewer { ...F0 } } " + " ".join(fragments)


async def test_a_fragment_fan_out_of_2_to_the_20_is_refused_by_its_expanded_size(api):
    response = await post(api, doubling(20), accept="application/graphql-response+json")

    message = refused(response, "GRAPHQL_VALIDATION_FAILED", "SELECTION_LIMIT_EXCEEDED")
    assert response.status_code == 400
    assert message == (
        "'anonymous' selects 1048577 fields once its fragments are expanded; the limit is 5000."
    )


async def test_a_fan_out_of_2_to_the_45_is_measured_without_expanding_it(api):
    # 2^45 spreads: only counting each fragment once can answer this at all.
    message = refused(
        await post(api, doubling(45)), "GRAPHQL_VALIDATION_FAILED", "SELECTION_LIMIT_EXCEEDED"
    )
    assert f"selects {2**45 + 1} fields" in message


async def test_5000_expanded_fields_run_and_5001_are_refused(api):
    alice = await sign_up(api, "alice")

    at_limit = await api.execute(exactly(5000), token=alice.token)
    over = await post(api, exactly(5001))

    assert at_limit["data"] == {"viewer": {"handle": "alice"}}
    assert "'anonymous' selects 5001 fields" in refused(
        over, "GRAPHQL_VALIDATION_FAILED", "SELECTION_LIMIT_EXCEEDED"
    )


async def test_fragments_nested_50_deep_run_and_51_are_refused(api):
    alice = await sign_up(api, "alice")

    at_limit = await api.execute(chain(49), token=alice.token)
    over = await post(api, chain(50))
    very_deep = await post(api, chain(300))  # once "maximum recursion depth exceeded"

    assert at_limit["data"] == {"viewer": {"handle": "alice"}}
    assert "nests fragments 51 deep" in refused(
        over, "GRAPHQL_VALIDATION_FAILED", "FRAGMENT_NESTING_LIMIT_EXCEEDED"
    )
    assert "nests fragments 301 deep" in refused(
        very_deep, "GRAPHQL_VALIDATION_FAILED", "FRAGMENT_NESTING_LIMIT_EXCEEDED"
    )


async def test_depth_counts_through_fragments_spread_many_times(api):
    # Depth 13 reached only through a fragment that is spread by two others.
    deep = "following(first: 1) { edges { node { " * 4 + "handle" + " } } }" * 4  # 12 deep
    query = (
        "{ viewer { ...A ...B } } "
        "fragment A on Account { ...Deep } fragment B on Account { ...Deep } "
        f"fragment Deep on Account {{ {deep} }}"
    )
    message = refused(await post(api, query), "GRAPHQL_VALIDATION_FAILED", "DEPTH_LIMIT_EXCEEDED")
    assert message == "'anonymous' exceeds maximum operation depth of 12"


async def test_a_document_nested_past_the_parser_limit_is_a_coded_syntax_error(api):
    for query in ("{" + " viewer {" * 1000 + " id" + " }" * 1001, "{ a(x: " + "[" * 3000 + ") }"):
        response = await post(api, query, accept="application/graphql-response+json")
        body = response.json()
        assert response.status_code == 400
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "nested too deeply" in body["errors"][0]["message"]


NODES_WITH_VIDEOS = """query($ids: [ID!]!, $first: Int!) {
  nodes(ids: $ids) { ... on Account { videos(first: $first) { edges { node { id } } } } } }"""


async def test_nodes_ids_multiply_the_pages_below_them(api):
    alice = await sign_up(api, "alice")
    await publish(api, alice)

    over = await post(api, NODES_WITH_VIDEOS, {"ids": [alice.id] * 100, "first": 100})
    at_limit = await api.execute(NODES_WITH_VIDEOS, {"ids": [alice.id] * 99, "first": 100})
    literal = await post(
        api,
        "{ nodes(ids: [" + ", ".join(f'"{alice.id}"' for _ in range(100)) + "]) "
        "{ ... on Account { videos(first: 100) { totalCount } } } }",
    )

    # 100 IDs + 100 pages of 100 videos; 99 + 99 * 100 = 9,999 runs.
    assert "could return 10100 items" in refused(over, "BAD_USER_INPUT", "NODE_LIMIT_EXCEEDED")
    assert "could return 10100 items" in refused(literal, "BAD_USER_INPUT", "NODE_LIMIT_EXCEEDED")
    assert "errors" not in at_limit, at_limit
    assert len(at_limit["data"]["nodes"]) == 99
    assert at_limit["data"]["nodes"][0]["videos"]["edges"] != []


MISTAKES = {
    "field": ("{ viewer { handel } }", None),
    "argument": ('{ account(handel: "a") { id } }', None),
    "type": ("query($h: Strin!) { account(handle: $h) { id } }", None),
    "enum value": (
        "mutation { requestPayout(input: {method: PAYPALL}) { userErrors { code } } }",
        None,
    ),
    "input field in a literal": (
        'mutation { logIn(input: {emial: "a@b.c", password: "x"}) { token } }',
        None,
    ),
    "input field in a variable": (
        "mutation($i: LogInInput!) { logIn(input: $i) { token } }",
        {"i": {"emial": "a@b.c", "email": "a@b.c", "password": "x"}},
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
async def test_production_never_suggests_what_the_schema_holds(api, production_client, mistake):
    query, variables = MISTAKES[mistake]

    development = await api.client.post("/graphql", json={"query": query, "variables": variables})
    answered = await production_client.post(
        "/graphql", json={"query": query, "variables": variables}
    )

    assert "Did you mean" in development.text, development.text  # the guess exists...
    assert "Did you mean" not in answered.text, answered.text  # ...and production keeps it
    assert answered.json()["errors"][0]["message"]


# --- request bodies ---------------------------------------------------------------------------

MIB = 1_048_576


def padded(size: int) -> bytes:
    """A valid request of exactly `size` bytes (the document padded with spaces)."""
    start, end = b'{"query": "{ __typename }', b'"}'
    return start + b" " * (size - len(start) - len(end)) + end


async def test_a_body_of_exactly_the_limit_runs_and_one_byte_more_is_413(api):
    at_limit = await api.client.post(
        "/graphql", content=padded(MIB), headers={"Content-Type": "application/json"}
    )
    over = await api.client.post(
        "/graphql", content=padded(MIB + 1), headers={"Content-Type": "application/json"}
    )

    assert at_limit.status_code == 200 and at_limit.json() == {"data": {"__typename": "Query"}}
    assert over.status_code == 413
    assert over.json() == {
        "errors": [
            {
                "message": "The request body is over 1048576 bytes.",
                "extensions": {"code": "BAD_REQUEST", "reason": "BODY_TOO_LARGE"},
            }
        ]
    }


async def test_a_100_mb_body_of_unknown_length_is_refused(api):
    chunk = b" " * 65_536
    sent = 0

    async def hundred_megabytes():
        nonlocal sent
        for _ in range(100 * MIB // len(chunk)):
            sent += len(chunk)
            yield chunk

    response = await api.client.post(
        "/graphql", content=hundred_megabytes(), headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in response.request.headers  # sent chunked: length unknown
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["reason"] == "BODY_TOO_LARGE"


@pytest.mark.parametrize("declared", [True, False], ids=["Content-Length", "chunked"])
async def test_an_oversized_body_is_answered_before_more_than_the_limit_is_read(declared):
    """At the ASGI level: the 413 goes out before any of a declared oversized body is read, or
    as soon as a body of unknown length passes the limit; then what the client still sends is
    read and dropped for a moment (so it sees the answer instead of a reset), never kept."""
    from reelpay.body_limit import BodyLimit

    chunk = 65_536
    log: list[str] = []

    async def app(scope, receive, send):  # never reached
        log.append("app")

    async def receive():
        log.append("receive")
        return {"type": "http.request", "body": b" " * chunk, "more_body": len(log) < 40}

    async def send(message):
        log.append(message["type"])

    headers = [(b"content-length", str(100 * MIB).encode())] if declared else []
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": headers}
    await BodyLimit(app, max_bytes=MIB)(scope, receive, send)

    answered = log.index("http.response.start")
    read_first = log[:answered].count("receive")
    assert read_first == (0 if declared else MIB // chunk + 1)
    assert log[answered + 1] == "http.response.body"
    assert "app" not in log
    assert set(log[answered + 2 :]) == {"receive"}  # drained until the client stopped


async def test_a_repeated_document_is_validated_once_and_its_limits_still_apply(api):
    from reelpay.graphql.extensions import _validate

    alice = await sign_up(api, "alice")
    small = {"ids": [alice.id], "first": 5}
    before = _validate.cache_info()

    first = await api.execute(NODES_WITH_VIDEOS, small)
    second = await api.execute(NODES_WITH_VIDEOS, small)
    after = _validate.cache_info()
    # The same document, now with variables that make it too large: refused, cache or not.
    over = await post(api, NODES_WITH_VIDEOS, {"ids": [alice.id] * 100, "first": 100})

    assert first == second and "errors" not in first
    assert after.hits >= before.hits + 1  # the rules are the same objects on every request
    assert after.misses <= before.misses + 1
    assert "could return 10100 items" in refused(over, "BAD_USER_INPUT", "NODE_LIMIT_EXCEEDED")
