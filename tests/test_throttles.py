"""Logins cannot be brute-forced or starve money, and views cannot be inflated (issue 12).

Throttles count per client address and per account in moving windows (`reelpay.throttle`),
in process or, with REELPAY_REDIS_URL, in Redis shared by every worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from reelpay.app import create_app
from reelpay.settings import Limits
from reelpay.throttle import Throttle
from tests.conftest import Api
from tests.factories import buy_coins, publish, sign_up

REDIS_URL = os.environ.get("REELPAY_TEST_REDIS_URL")
GUARD = 20  # seconds: a regression fails here instead of hanging the suite

LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  token userErrors { code message field retryAfterSeconds } } }"""


@pytest.fixture
async def api_with(settings, clock, clean_db) -> AsyncIterator[Callable[..., Awaitable[Api]]]:
    """`await api_with(**limits)`: an API whose throttles have these limits."""
    apps: list[Any] = []
    clients: list[httpx.AsyncClient] = []

    async def make(throttle: Throttle | None = None, **limits: int) -> Api:
        changed = dataclasses.replace(settings, limits=dataclasses.replace(Limits(), **limits))
        app = create_app(changed, clock=clock, engine=clean_db)
        if throttle is not None:
            app.state.services.throttle = throttle
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        apps.append(app)
        clients.append(client)
        return Api(client, clean_db, app)

    yield make
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.state.services.broker.close()


async def log_in(api: Api, email: str, password: str) -> dict[str, Any]:
    body = await api.execute(LOG_IN, {"input": {"email": email, "password": password}})
    return body["data"]["logIn"]


def throttled(payload: dict[str, Any], window: int) -> str:
    """The payload was refused by a throttle; its message."""
    assert payload["token"] is None if "token" in payload else True
    [error] = payload["userErrors"]
    assert error["code"] == "TOO_MANY_ATTEMPTS", error
    assert 1 <= error["retryAfterSeconds"] <= window, error
    return error["message"]


# --- logIn ------------------------------------------------------------------------------------


async def test_nine_wrong_passwords_then_the_right_one_logs_in_and_clears_the_count(api_with):
    api = await api_with()
    alice = await sign_up(api, "alice")

    for _ in range(9):
        assert (await log_in(api, alice.email, "wrong password"))["userErrors"][0]["code"] == (
            "INVALID_CREDENTIALS"
        )
    right = await log_in(api, alice.email, alice.password)
    # The count started again: nine more wrong ones are still only wrong.
    for _ in range(9):
        assert (await log_in(api, alice.email, "wrong"))["userErrors"][0]["code"] == (
            "INVALID_CREDENTIALS"
        )

    assert right["userErrors"] == [] and right["token"]


async def test_after_ten_wrong_passwords_even_the_right_one_is_refused(api_with):
    api = await api_with()
    alice = await sign_up(api, "alice")
    for _ in range(10):
        await log_in(api, alice.email, "wrong password")

    right = await log_in(api, alice.email, alice.password)
    other_case = await log_in(api, " ALICE@example.com ", alice.password)  # same account

    message = throttled(right, 900)
    assert message.startswith("Too many wrong passwords for this account: try again in ")
    throttled(other_case, 900)
    assert right["token"] is None


async def test_parallel_guesses_cannot_slip_past_the_account_limit(api_with):
    # All 16 are in flight (hashing) at once: each counted before its password is checked.
    api = await api_with(requests_in_flight_per_address=16)
    alice = await sign_up(api, "alice")

    answers = await asyncio.gather(*(log_in(api, alice.email, f"guess {i}") for i in range(16)))

    codes = sorted(a["userErrors"][0]["code"] for a in answers)
    assert codes == ["INVALID_CREDENTIALS"] * 10 + ["TOO_MANY_ATTEMPTS"] * 6


async def test_wrong_passwords_for_one_account_do_not_lock_another(api_with):
    api = await api_with()
    alice, bob = await sign_up(api, "alice"), await sign_up(api, "bob")
    for _ in range(10):
        await log_in(api, alice.email, "wrong password")

    assert (await log_in(api, bob.email, bob.password))["userErrors"] == []


async def test_attempts_per_client_address_are_limited_across_accounts(api_with):
    api = await api_with(login_attempts_per_address=5)
    alice = await sign_up(api, "alice")

    answers = [await log_in(api, f"nobody{i}@example.com", "guess") for i in range(5)]
    sixth = await log_in(api, alice.email, alice.password)

    assert [a["userErrors"][0]["code"] for a in answers] == ["INVALID_CREDENTIALS"] * 5
    assert throttled(sixth, 900).startswith("Too many logIn attempts from this address")


@pytest.mark.parametrize(
    "document",
    [
        # 30 guesses through aliases, as the issue found
        "mutation { "
        + " ".join(
            f'g{i}: logIn(input: {{email: "alice@example.com", password: "guess{i}"}}) {{ token }}'
            for i in range(30)
        )
        + " }",
        # two through a fragment on Mutation
        'mutation { ...Guess a: logIn(input: {email: "a@b.c", password: "x"}) { token } } '
        'fragment Guess on Mutation { logIn(input: {email: "a@b.c", password: "y"}) { token } }',
        # two sign-ups
        "mutation { "
        + " ".join(
            f'u{i}: signUp(input: {{email: "u{i}@example.com", password: "long enough", '
            f'handle: "u{i}", displayName: "U", birthDate: "1990-01-01", country: "US"}}) '
            "{ token }"
            for i in range(2)
        )
        + " }",
    ],
    ids=["30 aliases", "fragment", "two signUps"],
)
async def test_at_most_one_log_in_or_sign_up_per_operation(api, document):
    alice = await sign_up(api, "alice")
    before = await accounts_count(api)

    body = await api.execute(document)

    assert "data" not in body  # nothing ran
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "GRAPHQL_VALIDATION_FAILED",
        "reason": "ONCE_PER_OPERATION",
    }
    assert "more than once; one per operation" in error["message"]
    assert await accounts_count(api) == before
    assert (await log_in(api, alice.email, alice.password))["userErrors"] == []


async def test_one_log_in_beside_other_fields_still_runs(api):
    alice = await sign_up(api, "alice")
    body = await api.execute(
        'mutation { logIn(input: {email: "alice@example.com", password: "correct horse battery"})'
        " { account { handle } } }"
    )
    assert body == {"data": {"logIn": {"account": {"handle": alice.handle}}}}


async def accounts_count(api: Api) -> int:
    async with api.engine.connect() as connection:
        return int(await connection.scalar(sa.text("SELECT count(*) FROM accounts")))


# --- signUp and recordView --------------------------------------------------------------------


async def test_sign_ups_per_client_address_are_limited_and_the_refused_one_writes_nothing(
    api_with,
):
    api = await api_with(signups_per_address=3)
    for handle in ("a1", "a2", "a3"):
        await sign_up(api, handle)

    fourth = (
        await api.data(
            """mutation($input: SignUpInput!) { signUp(input: $input) {
              token userErrors { code message retryAfterSeconds } } }""",
            {
                "input": {
                    "email": "a4@example.com",
                    "password": "long enough",
                    "handle": "a4",
                    "displayName": "A4",
                    "birthDate": "1990-01-01",
                    "country": "US",
                }
            },
        )
    )["signUp"]

    assert throttled(fourth, 3600).startswith("Too many signUp attempts from this address")
    assert await accounts_count(api) == 3


RECORD_VIEW = """mutation($id: ID!) { recordView(input: {videoId: $id}) {
  video { viewCount playCount } userErrors { code retryAfterSeconds } } }"""


async def test_views_are_throttled_per_viewer_and_aliases_cannot_batch_them(api_with):
    api = await api_with(views_per_address=5)
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    video_id = await publish(api, creator)

    anonymous = [(await api.data(RECORD_VIEW, {"id": video_id}))["recordView"] for _ in range(6)]
    logged_in = (await api.data(RECORD_VIEW, {"id": video_id}, fan.token))["recordView"]
    through_aliases = await api.execute(
        "mutation($id: ID!) { "
        + " ".join(
            f"v{i}: recordView(input: {{videoId: $id}}) {{ userErrors {{ code }} }}"
            for i in range(10)
        )
        + " }",
        {"id": video_id},
        fan.token,
    )

    assert [v["userErrors"] for v in anonymous[:5]] == [[]] * 5
    assert anonymous[5]["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert 1 <= anonymous[5]["userErrors"][0]["retryAfterSeconds"] <= 60
    assert logged_in["userErrors"] == []  # a logged-in viewer counts on their own
    assert "data" not in through_aliases  # refused whole: one view per operation
    assert through_aliases["errors"][0]["extensions"]["reason"] == "ONCE_PER_OPERATION"
    # Five anonymous plays (no viewer token: not authentic views) and the fan's view.
    assert logged_in["video"] == {"viewCount": 1, "playCount": 6}


UPDATE_VIDEO = """mutation($id: ID!, $title: String!) {
  updateVideo(input: { videoId: $id, title: $title }) { video { title } userErrors { code } } }"""


async def test_editing_your_video_is_not_a_view_and_spends_none_of_the_view_throttle(api_with):
    api = await api_with(views_per_address=2)
    creator = await sign_up(api, "creator")
    video_id = await publish(api, creator)

    edits = [
        (await api.data(UPDATE_VIDEO, {"id": video_id, "title": f"take {n}"}, creator.token))[
            "updateVideo"
        ]
        for n in range(4)
    ]
    views = [
        (await api.data(RECORD_VIEW, {"id": video_id}, creator.token))["recordView"]
        for _ in range(3)
    ]

    assert edits == [{"video": {"title": f"take {n}"}, "userErrors": []} for n in range(4)]
    # The two views the limit allows are still there after four edits.
    assert [v["userErrors"] for v in views[:2]] == [[], []]
    assert views[2]["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"


# --- hashing holds nothing --------------------------------------------------------------------


async def test_a_login_waiting_for_its_hash_holds_no_lock_a_payment_needs(api_with, backend):
    """With every hashing thread busy, a login waits for one; meanwhile the database is free
    (on SQLite, logIn used to hold the write lock for the whole hash)."""
    api = await api_with(password_hash_concurrency=1)
    alice = await sign_up(api, "alice")
    passwords = api.app.state.services.passwords
    assert passwords.concurrency == 1
    release = threading.Event()
    blocker = asyncio.get_running_loop().run_in_executor(passwords._threads, release.wait, GUARD)
    try:
        login = asyncio.create_task(log_in(api, alice.email, alice.password))
        await asyncio.sleep(0.2)  # the login is now queued for the only hashing thread
        assert not login.done()
        bought = await asyncio.wait_for(buy_coins(api, alice), GUARD)
    finally:
        release.set()
    await blocker
    logged_in = await asyncio.wait_for(login, GUARD)

    assert bought["wallet"]["coins"] == 700
    assert logged_in["userErrors"] == [] and logged_in["token"]


# --- one count for every worker ---------------------------------------------------------------


@pytest.mark.skipif(not REDIS_URL, reason="set REELPAY_TEST_REDIS_URL to run the Redis tests")
async def test_two_workers_sharing_redis_share_the_count(api_with):
    prefix = f"reelpay-test-{uuid.uuid4().hex}"
    limits = dataclasses.replace(Limits(), login_attempts_per_address=4)
    worker_a = await api_with(Throttle(limits, REDIS_URL, prefix=prefix))
    worker_b = await api_with(Throttle(limits, REDIS_URL, prefix=prefix))

    for worker in (worker_a, worker_b, worker_a, worker_b):
        await log_in(worker, "nobody@example.com", "guess")
    fifth = await log_in(worker_b, "nobody@example.com", "guess")

    throttled(fifth, 900)


async def test_with_redis_unreachable_each_worker_still_throttles_alone(api_with, caplog):
    limits = dataclasses.replace(Limits(), login_attempts_per_address=2)
    down = Throttle(limits, "redis://127.0.0.1:9", prefix="unreachable")  # nothing listens
    api = await api_with(down)

    answers = [await log_in(api, "nobody@example.com", "guess") for _ in range(3)]

    assert [a["userErrors"][0]["code"] for a in answers] == [
        "INVALID_CREDENTIALS",
        "INVALID_CREDENTIALS",
        "TOO_MANY_ATTEMPTS",
    ]
    assert "throttle storage unavailable" in caplog.text


# --- every request, per address ---------------------------------------------------------------


async def test_requests_past_the_address_limit_get_429_before_anything_is_read(api_with):
    api = await api_with(requests_per_address=5)
    other_address = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app, client=("203.0.113.9", 4000)),
        base_url="http://t",
    )
    read = 0

    async def body():
        nonlocal read
        read += 1
        yield b'{"query": "{ __typename }"}'

    answers = [
        await api.client.post("/graphql", json={"query": "{ __typename }"}) for _ in range(5)
    ]
    probes = [await api.client.get(path) for path in ("/healthz", "/readyz") * 3]
    sixth = await api.client.post(
        "/graphql", content=body(), headers={"Content-Type": "application/json"}
    )
    elsewhere = await other_address.post("/graphql", json={"query": "{ __typename }"})
    await other_address.aclose()

    assert [a.status_code for a in answers] == [200] * 5
    assert [p.status_code for p in probes] == [200] * 6  # health checks are not counted
    assert sixth.status_code == 429
    retry_after = int(sixth.headers["retry-after"])
    assert 1 <= retry_after <= 10
    assert sixth.json() == {
        "errors": [
            {
                "message": f"Too many requests from this address: try again in {retry_after} "
                "seconds.",
                "extensions": {"code": "TOO_MANY_REQUESTS", "retryAfterSeconds": retry_after},
            }
        ]
    }
    assert read == 0  # refused unread
    assert elsewhere.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("wait", [GUARD, 0.05], ids=["waits its turn", "waited too long"])
async def test_one_address_runs_at_most_8_requests_at_once_and_others_are_unaffected(wait):
    """At the ASGI level: 8 requests of one address held open; the 9th waits for a turn (or,
    past the wait, gets 429) without reaching the app, another address still gets in, and the
    9th runs once one of the 8 has finished."""
    from reelpay.throttle import RequestThrottle

    held = asyncio.Event()
    started: list[str] = []

    async def app(scope, receive, send):
        started.append(scope["client"][0])
        if scope["client"][0] == "198.51.100.7" and len(started) <= 8:
            await held.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    throttle = Throttle(Limits())
    middleware = RequestThrottle(
        app, throttle=lambda: throttle, max_in_flight=8, max_wait_seconds=wait
    )

    async def request(address: str) -> int:
        sent: list[dict[str, Any]] = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "path": "/graphql", "headers": [], "client": (address, 1)}
        await middleware(scope, receive, send)
        return sent[0]["status"]

    first_eight = [asyncio.create_task(request("198.51.100.7")) for _ in range(8)]
    await asyncio.sleep(0.05)
    ninth = asyncio.create_task(request("198.51.100.7"))
    await asyncio.sleep(0.2)
    reached_while_eight_ran = list(started)
    neighbour = await asyncio.wait_for(request("203.0.113.1"), GUARD)
    held.set()
    answered = await asyncio.wait_for(asyncio.gather(*first_eight), GUARD)
    ninth_status = await asyncio.wait_for(ninth, GUARD)

    assert reached_while_eight_ran == ["198.51.100.7"] * 8  # the ninth was kept out
    assert neighbour == 200
    assert answered == [200] * 8
    if wait == GUARD:
        assert ninth_status == 200 and started.count("198.51.100.7") == 9
    else:
        assert ninth_status == 429 and started.count("198.51.100.7") == 8
    assert middleware._turns == {}  # nothing kept for addresses gone quiet
