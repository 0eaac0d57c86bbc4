"""Live events from every process (issue 15): the event outbox, with real processes.

Events are written to `event_outbox` in the transaction that causes them; every API process
reads new rows and delivers them to its own subscribers. So on SQLite as on PostgreSQL an event
reaches subscribers of every server process, whoever caused it (another server, a job run from
cron) and even when the process that committed it died before it could publish anything.

Servers and jobs here are separate Python processes on the test's database, with the test's
frozen clock; accounts are arranged through the in-process `api`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from gql import Client, GraphQLRequest, gql
from gql.transport.websockets import WebsocketsTransport
from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay import events
from reelpay.db import create_sessionmaker, run_write
from reelpay.events import outbox
from reelpay.events.broker import OutboxBroker
from reelpay.events.models import OutboxEvent
from tests.conftest import START
from tests.factories import add_paypal, credit_earnings, package_id, sign_up

pytestmark = pytest.mark.usefixtures("verify_ledger")

TIMEOUT = 30  # generous: servers start on a machine shared with other test runs
WALLET_EVENTS = gql("subscription { walletEvents { kind amount balanceAfter } }")
PAYOUT_UPDATES = gql("subscription { payoutUpdates { status payout { id } } }")

# A server process: the app on the test's database and clock, on a socket the test bound, with
# one test-only route telling how many subscribers a channel has (so a test acts only once its
# subscriptions are listening).
SERVER = """
import asyncio, socket, sys
from datetime import datetime
import uvicorn
from starlette.responses import JSONResponse
from starlette.routing import Route
from reelpay.app import create_app
from reelpay.clock import FrozenClock
from reelpay.settings import Limits, Settings

url, now, fd = sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])
many = 1_000_000
limits = Limits(requests_per_address=many, requests_in_flight_per_address=many)
settings = Settings(
    database_url=url, password_hash_time_cost=1, password_hash_memory_kib=64, limits=limits
)
app = create_app(settings, clock=FrozenClock(now))

async def subscribers(request):
    count = app.state.services.broker.subscriber_count(request.query_params["channel"])
    return JSONResponse(count)

app.router.routes.insert(0, Route("/test/subscribers", subscribers))
server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
asyncio.run(server.serve(sockets=[socket.socket(fileno=fd)]))
"""

# `reelpay jobs payouts` at the test's time; with `die-after-commit` the process kills itself
# (SIGKILL) right after its first commit that carried events, before publishing them.
JOB = """
import os, signal, sys
from datetime import datetime
from reelpay import events
from reelpay.cli import main
from reelpay.clock import FrozenClock

if sys.argv[2] == "die-after-commit":
    take = events.take

    def take_then_die(session):
        taken = take(session)
        if taken:
            os.kill(os.getpid(), signal.SIGKILL)
        return taken

    events.take = take_then_die
sys.exit(main(["jobs", "payouts"], clock=FrozenClock(datetime.fromisoformat(sys.argv[1]))))
"""


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELPAY_")}
    env["REELPAY_DATABASE_URL"] = database_url
    return env


class ServerProcess:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}/graphql"

    async def wait_until_up(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(TIMEOUT * 10):
                assert self.process.poll() is None, "the server process ended"
                try:
                    if (await client.get(f"{self.http}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the server process did not start")

    async def subscribers(self, channel: str) -> int:
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{self.http}/test/subscribers", params={"channel": channel}
            )
        return int(response.json())

    async def mutate(self, name: str, input: dict[str, Any], selection: str, token: str) -> Any:
        input_type = name[0].upper() + name[1:] + "Input"
        query = (
            f"mutation($input: {input_type}!) {{ {name}(input: $input) "
            f"{{ {selection} userErrors {{ code message }} }} }}"
        )
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(
                f"{self.http}/graphql",
                json={"query": query, "variables": {"input": input}},
                headers={"Authorization": f"Bearer {token}"},
            )
        body = response.json()
        assert "errors" not in body, body
        assert body["data"][name]["userErrors"] == [], body
        return body["data"][name]


@pytest.fixture
def servers(database_url: str, clean_db: AsyncEngine) -> Iterator[Callable[[], ServerProcess]]:
    """`servers()` starts one more server process on the test's database."""
    running: list[ServerProcess] = []

    def start() -> ServerProcess:
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        listening.listen(128)
        port = listening.getsockname()[1]
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVER,
                database_url,
                START.isoformat(),
                str(listening.fileno()),
            ],
            pass_fds=[listening.fileno()],
            env=_env(database_url),
        )
        listening.close()  # the child holds its own copy
        running.append(ServerProcess(process, port))
        return running[-1]

    yield start
    for server in running:
        server.process.terminate()
    for server in running:
        try:
            server.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


async def run_job(database_url: str, mode: str = "normal") -> int:
    """`reelpay jobs payouts` in a process of its own; its exit status."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", JOB, START.isoformat(), mode, env=_env(database_url)
    )
    return await asyncio.wait_for(process.wait(), TIMEOUT)


class Stream:
    def __init__(self, events: Any) -> None:
        self._events = events
        self._pending: asyncio.Future[Any] = asyncio.ensure_future(anext(events))

    async def next(self) -> Any:
        future, self._pending = self._pending, None  # type: ignore[assignment]
        if future is None:
            future = asyncio.ensure_future(anext(self._events))
        return await asyncio.wait_for(future, TIMEOUT)

    async def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
        await self._events.aclose()  # completes the subscription: the client closes at once


@asynccontextmanager
async def subscriptions(
    server: ServerProcess, document: Any, channel: str, token: str, count: int = 1
) -> AsyncIterator[list[Stream]]:
    """`count` open subscriptions on `server`, yielded once the server listens for them all."""
    clients = [
        Client(
            transport=WebsocketsTransport(
                url=server.ws,
                subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
                init_payload={"authorization": f"Bearer {token}"},
            )
        )
        for _ in range(count)
    ]
    sessions = [await client.connect_async() for client in clients]
    streams: list[Stream] = []
    try:
        streams = [Stream(session.subscribe(GraphQLRequest(document))) for session in sessions]
        for _ in range(TIMEOUT * 20):
            if await server.subscribers(channel) == count:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the subscriptions did not start")
        yield streams
    finally:
        for stream in streams:
            await stream.close()
        for client in clients:
            await client.close_async()


async def started(*servers: ServerProcess) -> None:
    await asyncio.gather(*(server.wait_until_up() for server in servers))


# --- across server processes ---------------------------------------------------------------


async def test_a_purchase_on_one_server_reaches_subscribers_on_both(api, servers):
    # The case: six subscribers of one fan on two server processes, four purchases on
    # one of them. Every subscriber gets all four, in order.
    buying, other = servers(), servers()
    await started(buying, other)
    fan = await sign_up(api, "fan")
    channel = events.wallet_channel(fan.pk)

    async with (
        subscriptions(buying, WALLET_EVENTS, channel, fan.token, 3) as on_buying,
        subscriptions(other, WALLET_EVENTS, channel, fan.token, 3) as on_other,
    ):
        for n in range(4):
            input = {
                "packageId": package_id(70),
                "paymentToken": "tok_sandbox_success",
                "idempotencyKey": f"buy-{n}",
            }
            await buying.mutate("purchaseCoins", input, "wallet { coins }", fan.token)
        received = [
            [(await stream.next())["walletEvents"] for _ in range(4)]
            for stream in on_buying + on_other
        ]

    expected = [
        {"kind": "COIN_PURCHASE", "amount": 70, "balanceAfter": 70 * n} for n in range(1, 5)
    ]
    assert received == [expected] * 6


# --- from a job run outside the servers ----------------------------------------------------


async def payout_requested(api: Any, handle: str) -> tuple[Any, str]:
    """A creator with a 100.00 USD payout requested (before anyone subscribes)."""
    creator = await sign_up(api, handle)
    await credit_earnings(api.engine, creator, 15_000)
    await add_paypal(api, creator)
    payload = await api.mutate(
        "requestPayout",
        {"amountCents": 10_000, "idempotencyKey": "payout-1"},
        "payout { id }",
        token=creator.token,
    )
    assert payload["userErrors"] == []
    return creator, payload["payout"]["id"]


async def test_payouts_paid_by_the_job_process_reach_a_running_server(api, servers, database_url):
    server = servers()
    await started(server)
    creator, payout_id = await payout_requested(api, "maker")
    channel = events.payouts_channel(creator.pk)

    async with subscriptions(server, PAYOUT_UPDATES, channel, creator.token) as [stream]:
        assert await run_job(database_url) == 0
        claimed, paid = [(await stream.next())["payoutUpdates"] for _ in range(2)]

    assert claimed == {"status": "PROCESSING", "payout": {"id": payout_id}}
    assert paid == {"status": "PAID", "payout": {"id": payout_id}}


async def test_an_event_survives_its_process_dying_between_commit_and_publish(
    api, servers, database_url, clean_db
):
    server = servers()
    await started(server)
    creator, payout_id = await payout_requested(api, "maker")
    channel = events.payouts_channel(creator.pk)

    async with subscriptions(server, PAYOUT_UPDATES, channel, creator.token) as [stream]:
        assert await run_job(database_url, "die-after-commit") == -9  # SIGKILL
        claimed = (await stream.next())["payoutUpdates"]

    # The claim was committed (the payout is PROCESSING under the dead run's lease) and its
    # event, written by the same transaction, arrived though nobody published it.
    assert claimed == {"status": "PROCESSING", "payout": {"id": payout_id}}
    async with clean_db.connect() as connection:
        status = await connection.scalar(sa.text("SELECT status FROM payouts"))
    assert status == "PROCESSING"


# --- the outbox itself -----------------------------------------------------------------------


async def _outbox_rows(engine: AsyncEngine) -> list[tuple[int, str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(OutboxEvent.id, OutboxEvent.channel, OutboxEvent.payload).order_by(
                OutboxEvent.id
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def _last_outbox_id(engine: AsyncEngine) -> int:
    """The largest id the outbox has given (its sequence), whatever rows remain."""
    sql = (
        "SELECT last_value FROM event_outbox_id_seq"
        if engine.dialect.name == "postgresql"
        else "SELECT seq FROM sqlite_sequence WHERE name = 'event_outbox'"
    )
    async with engine.connect() as connection:
        return int((await connection.execute(sa.text(sql))).scalar_one())


async def _commit_events(engine: AsyncEngine, *queued: events.Event, fail: bool = False) -> None:
    async with create_sessionmaker(engine)() as session:

        async def work() -> None:
            for event in queued:
                events.emit(session, event.channel, event.payload)
            if fail:
                raise RuntimeError("rolled back")

        await run_write(session, work)


async def test_a_commit_writes_its_events_and_a_rollback_writes_none(clean_db):
    with pytest.raises(RuntimeError):
        await _commit_events(clean_db, events.Event("wallet:1", {"n": 0}), fail=True)
    assert await _outbox_rows(clean_db) == []

    await _commit_events(
        clean_db, events.Event("wallet:1", {"n": 1}), events.Event("live:2", {"type": "GIFT"})
    )
    rows = await _outbox_rows(clean_db)
    assert [(channel, payload) for _, channel, payload in rows] == [
        ("wallet:1", '{"n":1}'),
        ("live:2", '{"type":"GIFT"}'),
    ]
    assert rows[1][0] == rows[0][0] + 1


async def test_pruned_rows_never_give_their_ids_back(clean_db, database_url):
    """Readers ask for `id > last`: after pruning empties the table, ids must keep growing."""
    await _commit_events(clean_db, events.Event("wallet:1", {"n": 1}))
    [(first, _, _)] = await _outbox_rows(clean_db)
    broker = OutboxBroker(database_url, retention_seconds=0, prune_every_seconds=0)
    try:
        async with broker.subscribe("wallet:1") as subscriber:
            await _commit_events(clean_db, events.Event("wallet:1", {"n": 2}))
            await broker.publish([events.Event("wallet:1", {"n": 2})])
            assert await subscriber.next(TIMEOUT) == {"n": 2}
            for _ in range(TIMEOUT * 20):  # the reader prunes after its next reads
                if not await _outbox_rows(clean_db):
                    break
                await asyncio.sleep(0.05)
            assert await _outbox_rows(clean_db) == []

            await _commit_events(clean_db, events.Event("wallet:1", {"n": 3}))
            # The id the third row got, read from the id sequence: with retention 0 the reader
            # may deliver and prune the row before this test could read it back.
            assert await _last_outbox_id(clean_db) == first + 2
            assert await subscriber.next(TIMEOUT) == {"n": 3}
    finally:
        await broker.close()


def test_a_hole_in_the_ids_is_awaited_then_given_up():
    # PostgreSQL: id 7 committed after id 8 (sequence order is not commit order).
    cursor = outbox.Cursor(last=5)
    cursor.seen([6, 8], now=100.0)
    assert (cursor.last, cursor.gaps) == (8, {7: 100.0 + outbox.GAP_WAIT_SECONDS})
    cursor.seen([7], now=101.0)  # it arrived: delivered once, no longer awaited
    assert (cursor.last, cursor.gaps) == (8, {})
    cursor.seen([10], now=102.0)  # 9 was rolled back: awaited for GAP_WAIT_SECONDS only
    cursor.seen([], now=102.0 + outbox.GAP_WAIT_SECONDS)
    assert (cursor.last, cursor.gaps) == (10, {})


async def test_a_subscriber_gets_only_what_is_committed_after_it_subscribed(clean_db, database_url):
    await _commit_events(clean_db, events.Event("wallet:1", {"n": "before"}))
    broker = OutboxBroker(database_url)
    try:
        async with broker.subscribe("wallet:1", "wallet:2") as subscriber:
            await _commit_events(
                clean_db, events.Event("wallet:3", {"n": "other"}), events.Event("wallet:2", {})
            )
            await _commit_events(clean_db, events.Event("wallet:1", {"n": "after"}))
            # No publish: another process committed them; the reader's poll finds them.
            assert await subscriber.next(TIMEOUT) == {}
            assert await subscriber.next(TIMEOUT) == {"n": "after"}
    finally:
        await broker.close()
