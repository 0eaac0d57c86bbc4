"""The database misbehaving (issue 12): it hangs, freezes mid-session, refuses connections, runs a
statement past its timeout, or its file cannot be opened.

`/readyz` then answers 503; operations get the coded `SERVICE_UNAVAILABLE` error (HTTP 503 with
`Retry-After` when nothing could be answered), never INTERNAL_SERVER_ERROR; and once the
database is back the same request works and nothing was half written.

On PostgreSQL a TCP proxy plays the misbehaving server: it black-holes new connections (accepts
and never answers), freezes every connection (forwards nothing, like a server stopped with
SIGSTOP: what was sent is delivered when it thaws) or refuses (its port closed, open
connections dropped). The app under test gets small limits, so each case ends quickly; no test
measures time, and a generous guard turns a hang into a failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from graphql import GraphQLError
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.app import create_app
from reelpay.clock import FrozenClock
from reelpay.db import create_engine, is_unavailable, limit_options
from reelpay.graphql.errors import SERVICE_UNAVAILABLE, unavailable_before_anything
from reelpay.settings import Limits, Settings
from tests.conftest import Api
from tests.factories import User, buy_coins, enrol, new_key, sign_up

T = TypeVar("T")
# Small enough that every case ends at once, large enough for a healthy local database.
SMALL_LIMITS = {
    "db_connect_timeout_ms": 500,
    "db_statement_timeout_ms": 500,
    "db_pool_timeout_ms": 500,
    "db_pool_size": 2,
}
# Not a measurement: a regression that hangs fails here instead of hanging the suite.
GUARD_SECONDS = 10
UNAVAILABLE = {
    "message": "The database is not answering; try again in a few seconds.",
    "extensions": {"code": SERVICE_UNAVAILABLE, "retryAfterSeconds": 5},
}
WALLET = "{ viewer { wallet { coins diamonds } } }"
SENT = "gift { quantity coins } wallet { coins }"


async def guarded(work: Awaitable[T]) -> T:
    return await asyncio.wait_for(work, GUARD_SECONDS)


# --- the misbehaving server -----------------------------------------------------------------------


class Proxy:
    """A TCP proxy in front of PostgreSQL that misbehaves on demand."""

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._server: asyncio.Server | None = None
        self._answering = True
        self._moving = asyncio.Event()
        self._moving.set()
        self._transports: set[asyncio.BaseTransport] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self.port = 0

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # the same one after `refuse`
        return self

    def url(self, database_url: str) -> str:
        """`database_url` through the proxy."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def black_hole(self) -> None:
        """New connections are accepted and never answered."""
        self._answering = False

    def freeze(self) -> None:
        """Nothing moves on any connection, open or new; what is sent waits for `thaw`."""
        self._moving.clear()

    def thaw(self) -> None:
        self._moving.set()

    async def refuse(self) -> None:
        """The port closes and open connections drop: the server is gone."""
        assert self._server is not None
        self._server.close()
        self._drop_all()
        await self._server.wait_closed()

    async def restore(self) -> None:
        """Behave again (open connections dropped by `refuse` stay dropped)."""
        self._answering = True
        self.thaw()
        if self._server is None or not self._server.is_serving():
            await self.start()

    async def close(self) -> None:
        self.thaw()
        if self._server is not None:
            self._server.close()
        self._drop_all()
        if self._handlers:
            await asyncio.wait(set(self._handlers))

    def _drop_all(self) -> None:
        for transport in list(self._transports):
            transport.abort()  # type: ignore[attr-defined]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        self._transports.add(writer.transport)
        upstream: asyncio.StreamWriter | None = None
        try:
            if not self._answering:
                while await reader.read(65536):
                    pass
                return
            await self._moving.wait()
            upstream_reader, upstream = await asyncio.open_connection(*self._upstream)
            self._transports.add(upstream.transport)
            await asyncio.gather(self._pipe(reader, upstream), self._pipe(upstream_reader, writer))
        except OSError:
            pass  # a side dropped the connection: the other one sees it dropped too
        finally:
            for side in (writer, upstream):
                if side is not None:
                    side.transport.abort()
                    self._transports.discard(side.transport)
            self._handlers.discard(handler)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._moving.wait()
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()


@pytest.fixture
async def proxy(backend: str, database_url: str) -> AsyncIterator[Proxy]:
    if backend != "postgresql":
        pytest.skip("a TCP proxy stands for a misbehaving PostgreSQL server")
    url = make_url(database_url)
    running = await Proxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield running
    await running.close()


def limited(settings: Settings, database_url: str) -> Settings:
    return dataclasses.replace(
        settings,
        database_url=database_url,
        limits=dataclasses.replace(settings.limits, **SMALL_LIMITS),
    )


@asynccontextmanager
async def app_on(
    database_url: str, settings: Settings, clock: FrozenClock, proxy: Proxy | None = None
) -> AsyncIterator[Api]:
    """The app as deployed (its own engine, from the settings) on `database_url`, small limits."""
    app = create_app(limited(settings, database_url), clock=clock)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, app.state.engine, app)
    finally:
        if proxy is not None:
            await proxy.restore()  # so that closing the connections is not left waiting
        await app.state.services.broker.close()
        await app.state.engine.dispose()


async def graphql(
    api: Api, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> httpx.Response:
    return await guarded(api.post(query, variables, token))


def assert_unavailable_before_anything(response: httpx.Response) -> None:
    """Nothing answered: 503 with Retry-After, every error SERVICE_UNAVAILABLE."""
    body = response.json()
    assert response.status_code == 503, body
    assert response.headers["retry-after"] == "5"
    assert body["errors"], body
    for error in body["errors"]:
        assert {k: error[k] for k in ("message", "extensions")} == UNAVAILABLE, body
    assert not any((body.get("data") or {}).values()), body


async def assert_not_ready(api: Api) -> None:
    response = await guarded(api.client.get("/readyz"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


async def assert_ready(api: Api) -> None:
    response = await guarded(api.client.get("/readyz"))
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


async def become_ready(api: Api, attempts: int = 20) -> None:
    """A new worker's first probe opens its first connection, which a loaded machine may not
    do within the probe's second: probe again, as an orchestrator does, until it answers ready."""
    for _ in range(attempts - 1):
        response = await guarded(api.client.get("/readyz"))
        if response.status_code == 200:
            return
        await asyncio.sleep(0.5)
    await assert_ready(api)


# --- money: a fan sending a LIVE gift -------------------------------------------------------------


@dataclasses.dataclass
class Gifting:
    fan: User
    creator: User
    live_id: str
    gift_id: str
    price: int

    def send(self, key: str) -> tuple[str, dict[str, Any]]:
        query = (
            "mutation($input: SendGiftInput!) { sendGift(input: $input) "
            f"{{ {SENT} userErrors {{ code }} }} }}"
        )
        gift = {"giftId": self.gift_id, "quantity": 1, "liveId": self.live_id}
        return query, {"input": {**gift, "idempotencyKey": key}}


@pytest.fixture
async def gifting(api: Api, clean_db: AsyncEngine, verify_ledger: None) -> Gifting:
    """A creator LIVE in the LIVE gifts program and a fan holding 700 coins; every ledger
    invariant holds when the test ends."""
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    await enrol(clean_db, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 700)
    live = await api.mutate("startLive", {"title": "On air"}, "live { id }", creator.token)
    gifts = (await api.data("{ gifts { id name coinPrice } }"))["gifts"]
    doughnut = next(g for g in gifts if g["name"] == "Doughnut")
    return Gifting(fan, creator, live["live"]["id"], doughnut["id"], doughnut["coinPrice"])


async def wallets(api: Api, *users: User) -> list[dict[str, int]]:
    return [(await api.data(WALLET, token=u.token))["viewer"]["wallet"] for u in users]


# --- the limits reach the engine ------------------------------------------------------------------


def test_limits_become_engine_options():
    limits = Limits(**SMALL_LIMITS)
    postgres = "postgresql+asyncpg://reelpay@db.example/reelpay"
    assert limit_options(postgres, limits) == {
        "pool_size": 2,
        "pool_timeout": 0.5,
        "connect_args": {
            "timeout": 0.5,
            "command_timeout": 1.5,  # the server's statement_timeout normally answers first
            "server_settings": {"statement_timeout": "500"},
        },
    }
    # SQLite: no server to time out; a file database still waits for its pool in bounded time.
    assert limit_options("sqlite+aiosqlite:///reelpay.db", limits) == {
        "pool_size": 2,
        "pool_timeout": 0.5,
    }
    assert limit_options("sqlite+aiosqlite://", limits) == {}  # one shared in-memory connection
    # 0 leaves the driver's and the server's defaults.
    unlimited = Limits(db_connect_timeout_ms=0, db_statement_timeout_ms=0, db_pool_timeout_ms=0)
    assert limit_options(postgres, unlimited) == {"pool_size": 10, "connect_args": {}}


async def test_the_server_applies_the_limits_and_given_options_win(backend, database_url):
    if backend != "postgresql":
        pytest.skip("SQLite has no server settings")
    engine = create_engine(
        database_url,
        limits=Limits(**SMALL_LIMITS),
        pool_size=3,
        connect_args={"server_settings": {"application_name": "reelpay-bench"}},
    )
    try:
        async with engine.connect() as connection:
            shown = [
                (await connection.execute(sa.text(f"SHOW {name}"))).scalar()
                for name in ("statement_timeout", "application_name")
            ]
        assert shown == ["500ms", "reelpay-bench"]
        assert engine.pool.size() == 3  # type: ignore[attr-defined]
        assert engine.pool.timeout() == 0.5  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


# --- what counts as "the database is unavailable" -------------------------------------------------


def dbapi_error(orig: BaseException, invalidated: bool = False) -> exc.DBAPIError:
    return exc.DBAPIError.instance(
        "SELECT 1", {}, orig, Exception, connection_invalidated=invalidated
    )


def sqlite_error(path: Path) -> sqlite3.OperationalError:
    try:
        sqlite3.connect(path)
    except sqlite3.OperationalError as error:
        return error
    raise AssertionError("opened")


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    try:
        raise error from cause
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        # asyncpg: the connect or command timeout, unwrapped; a refused or unreachable server.
        (TimeoutError(), True),
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (OSError("Multiple exceptions: [Errno 111] ..., [Errno 99] ..."), True),
        # SQLAlchemy: no pooled connection came free in time; a connection lost mid-way.
        (exc.TimeoutError("QueuePool limit of size 2 overflow 10 reached"), True),
        (dbapi_error(Exception("connection is closed"), invalidated=True), True),
        # PostgreSQL: statement_timeout or a cancel; terminated; no slot; the connection failed.
        (dbapi_error(asyncpg.exceptions.QueryCanceledError("statement timeout")), True),
        (dbapi_error(asyncpg.exceptions.AdminShutdownError("terminating connection")), True),
        (dbapi_error(asyncpg.exceptions.CannotConnectNowError("starting up")), True),
        (dbapi_error(asyncpg.exceptions.TooManyConnectionsError("too many")), True),
        (dbapi_error(asyncpg.exceptions.ConnectionDoesNotExistError("closed")), True),
        (asyncpg.exceptions.ConnectionFailureError("broken"), True),  # unwrapped (the broker)
        (raised_from(RuntimeError("while reading"), TimeoutError()), True),
        # Not a database that is down: bugs, broken data, a broken schema.
        (RuntimeError("a bug"), False),
        (ValueError("bad"), False),
        (exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")), False),
        (dbapi_error(asyncpg.exceptions.UndefinedTableError("no such table")), False),
        (dbapi_error(asyncpg.exceptions.InterfaceError("another operation in progress")), False),
        (exc.OperationalError("ROLLBACK", {}, Exception("sqlite3 disk I/O")), False),
        (FileNotFoundError(2, "No such file"), False),
        (exc.PendingRollbackError("roll back first"), False),
    ],
)
def test_which_failures_mean_the_database_is_unavailable(error, unavailable):
    assert is_unavailable(error) is unavailable


def test_sqlite_is_unavailable_when_its_file_cannot_be_opened_or_stays_locked(tmp_path):
    cannot_open = sqlite_error(tmp_path / "missing" / "reelpay.db")
    assert is_unavailable(exc.OperationalError("connect", {}, cannot_open))

    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as locked:
            waiter.execute("BEGIN IMMEDIATE")
    finally:
        holder.close()
        waiter.close()
    assert is_unavailable(exc.OperationalError("BEGIN IMMEDIATE", {}, locked.value))


def error_at(path: list[str | int] | None, code: str) -> GraphQLError:
    return GraphQLError("x", path=path, extensions={"code": code})


@pytest.mark.parametrize(
    ("data", "errors", "status_503"),
    [
        (None, [error_at(["sendGift"], SERVICE_UNAVAILABLE)], True),
        (None, [error_at(None, SERVICE_UNAVAILABLE)], True),  # outside any field
        ({"account": None}, [error_at(["account"], SERVICE_UNAVAILABLE)], True),
        # Something was answered: the failed field says why, the rest stands (200).
        (
            {"__typename": "Query", "account": None},
            [error_at(["account"], SERVICE_UNAVAILABLE)],
            False,
        ),
        # A null that is an answer (nothing found), next to the failed field.
        (
            {"node": None, "account": None},
            [error_at(["account"], SERVICE_UNAVAILABLE)],
            False,
        ),
        # Another failure too: a retry alone would not help.
        (
            None,
            [error_at(["a"], SERVICE_UNAVAILABLE), error_at(["b"], "INTERNAL_SERVER_ERROR")],
            False,
        ),
        ({"account": None}, [], False),
    ],
)
def test_a_request_is_503_only_when_unavailability_left_it_nothing(data, errors, status_503):
    assert unavailable_before_anything(data, errors) is status_503


# --- SQLite: a database file that cannot be opened ------------------------------------------------


@pytest.fixture
def unopenable(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'reelpay.db'}",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
    )


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """`app` on a real uvicorn server (for WebSockets); yields its ws:// URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
        yield f"ws://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/graphql"
    finally:
        server.should_exit = True
        await task


async def test_a_database_file_that_cannot_be_opened_is_unavailable(unopenable, clock):
    async with app_on(unopenable.database_url, unopenable, clock) as down:
        await assert_not_ready(down)

        read = await graphql(down, '{ account(handle: "mia") { handle } }')
        assert_unavailable_before_anything(read)
        assert read.json()["data"] == {"account": None}

        query = "mutation($input: LogInInput!) { logIn(input: $input) { token } }"
        login = {"input": {"email": "mia@example.com", "password": "correct horse battery"}}
        assert_unavailable_before_anything(await graphql(down, query, login))

        # Something answered: the failed field's error is coded, the status stays 200.
        partial = await graphql(down, '{ __typename account(handle: "mia") { handle } }')
        assert partial.status_code == 200
        assert partial.json()["data"] == {"__typename": "Query", "account": None}
        [error] = partial.json()["errors"]
        assert (error["message"], error["extensions"]) == (
            UNAVAILABLE["message"],
            UNAVAILABLE["extensions"],
        )


async def test_a_subscription_whose_database_fails_gets_the_coded_error(unopenable, clock):
    app = create_app(limited(unopenable, unopenable.database_url), clock=clock)
    try:
        async with served(app) as url:
            transport = WebsocketsTransport(
                url=url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
            )
            async with Client(transport=transport) as session:
                live = gql("subscription($id: ID!) { liveEvents(liveId: $id) { __typename } }")
                events = session.subscribe(
                    GraphQLRequest(live, variable_values={"id": "TGl2ZVN0cmVhbTox"})
                )
                with pytest.raises(TransportQueryError) as raised:
                    await guarded(anext(events))
                with pytest.raises(TransportQueryError) as queried:
                    await guarded(session.execute(gql("{ gifts { name } }")))
    finally:
        await app.state.services.broker.close()
        await app.state.engine.dispose()
    for errors in (raised.value.errors, queried.value.errors):
        assert errors is not None
        assert [e["extensions"] for e in errors] == [UNAVAILABLE["extensions"]]


# --- PostgreSQL: a server that hangs, freezes, refuses or runs out of time ------------------------


async def test_a_server_that_accepts_and_never_answers_is_unavailable(
    proxy, database_url, settings, clock
):
    proxy.black_hole()
    async with app_on(proxy.url(database_url), settings, clock, proxy) as down:
        await assert_not_ready(down)
        assert_unavailable_before_anything(await graphql(down, "{ gifts { name } }"))
        await assert_not_ready(down)  # again, with the first attempt perhaps still closing

        await proxy.restore()
        await assert_ready(down)
        assert (await graphql(down, "{ gifts { name } }")).status_code == 200


async def test_a_closed_port_is_unavailable_until_the_server_is_back(
    proxy, database_url, settings, clock, gifting
):
    async with app_on(proxy.url(database_url), settings, clock, proxy) as down:
        await become_ready(down)  # connections are open, then the server goes away
        await proxy.refuse()

        await assert_not_ready(down)
        assert_unavailable_before_anything(await graphql(down, WALLET, token=gifting.fan.token))
        key = new_key()
        assert_unavailable_before_anything(
            await graphql(down, *gifting.send(key), token=gifting.fan.token)
        )

        await proxy.restore()
        await assert_ready(down)
        sent = await graphql(down, *gifting.send(key), token=gifting.fan.token)
        assert sent.json() == {
            "data": {
                "sendGift": {
                    "gift": {"quantity": 1, "coins": gifting.price},
                    "wallet": {"coins": 700 - gifting.price},
                    "userErrors": [],
                }
            }
        }


async def test_a_frozen_server_is_unavailable_and_nothing_moves_until_it_thaws(
    api, proxy, database_url, settings, clock, gifting
):
    fan, creator = gifting.fan, gifting.creator
    async with app_on(proxy.url(database_url), settings, clock, proxy) as down:
        assert (await graphql(down, WALLET, token=fan.token)).status_code == 200  # pooled now
        proxy.freeze()

        await assert_not_ready(down)
        assert_unavailable_before_anything(await graphql(down, WALLET, token=fan.token))
        key = new_key()
        assert_unavailable_before_anything(await graphql(down, *gifting.send(key), token=fan.token))

        proxy.thaw()
        await assert_ready(down)
        # Nothing was written meanwhile (read without the proxy, by the test's own app).
        assert await wallets(api, fan, creator) == [
            {"coins": 700, "diamonds": 0},
            {"coins": 0, "diamonds": 0},
        ]
        sent = (await graphql(down, *gifting.send(key), token=fan.token)).json()
        assert sent["data"]["sendGift"]["userErrors"] == []
    assert await wallets(api, fan, creator) == [
        {"coins": 700 - gifting.price, "diamonds": 0},
        {"coins": 0, "diamonds": gifting.price},
    ]


async def test_a_server_frozen_at_commit_leaves_the_gift_whole_and_a_retry_sends_it_once(
    api, proxy, database_url, settings, clock, gifting
):
    """The COMMIT is sent and the server stops: the client cannot know whether it happened.
    The answer says to retry; the retry with the same key sends the gift exactly once (on thaw
    the server receives the COMMIT it was sent, as a server resumed after SIGSTOP would)."""
    fan, creator = gifting.fan, gifting.creator
    async with app_on(proxy.url(database_url), settings, clock, proxy) as down:
        engine: AsyncEngine = down.engine

        def freeze_at_commit(_connection: Any) -> None:
            proxy.freeze()

        event.listen(engine.sync_engine, "commit", freeze_at_commit, once=True)
        key = new_key()
        response = await graphql(down, *gifting.send(key), token=fan.token)
        assert_unavailable_before_anything(response)

        proxy.thaw()
        retried = (await graphql(down, *gifting.send(key), token=fan.token)).json()
        assert retried == {
            "data": {
                "sendGift": {
                    "gift": {"quantity": 1, "coins": gifting.price},
                    "wallet": {"coins": 700 - gifting.price},
                    "userErrors": [],
                }
            }
        }
    assert await wallets(api, fan, creator) == [
        {"coins": 700 - gifting.price, "diamonds": 0},
        {"coins": 0, "diamonds": gifting.price},
    ]


@pytest.fixture
def lock_holder(clean_db: AsyncEngine) -> Iterator[Any]:
    """Opens a transaction on the test's own engine that holds a lock until the block ends."""

    @asynccontextmanager
    async def holding(statement: str) -> AsyncIterator[None]:
        async with clean_db.connect() as connection, connection.begin():
            await connection.execute(sa.text(statement))
            yield

    yield holding


async def test_a_statement_past_the_statement_timeout_is_unavailable_and_rolled_back(
    api, backend, database_url, settings, clock, gifting, lock_holder
):
    """A lock held elsewhere (say, by a migration) keeps the gift's statements waiting past the
    server's statement_timeout: SERVICE_UNAVAILABLE, and nothing moved."""
    if backend != "postgresql":
        pytest.skip("SQLite has no statement timeout; its write lock has busy_timeout")
    fan, creator = gifting.fan, gifting.creator
    async with app_on(database_url, settings, clock) as slow:
        key = new_key()
        async with lock_holder("LOCK TABLE ledger_accounts IN ACCESS EXCLUSIVE MODE"):
            assert_unavailable_before_anything(
                await graphql(slow, *gifting.send(key), token=fan.token)
            )
            # The viewer is answered, their wallet is not: a coded field error, status 200.
            read = await graphql(slow, WALLET, token=fan.token)
            assert read.status_code == 200
            assert read.json()["data"] == {"viewer": {"wallet": None}}
            [error] = read.json()["errors"]
            assert (error["path"], error["extensions"]) == (
                ["viewer", "wallet"],
                UNAVAILABLE["extensions"],
            )
        assert await wallets(api, fan, creator) == [
            {"coins": 700, "diamonds": 0},
            {"coins": 0, "diamonds": 0},
        ]
        sent = (await graphql(slow, *gifting.send(key), token=fan.token)).json()
        assert sent["data"]["sendGift"]["userErrors"] == []
    assert (await wallets(api, fan))[0]["coins"] == 700 - gifting.price


async def test_a_pool_with_no_connection_free_is_unavailable(
    backend, database_url, settings, clock, gifting
):
    """Every pooled connection is busy past db_pool_timeout_ms: SERVICE_UNAVAILABLE (503)."""
    if backend != "postgresql":
        pytest.skip("SQLite's pool is checked the same way; PostgreSQL's is the one that fills")
    async with app_on(database_url, settings, clock) as busy:
        engine: AsyncEngine = busy.engine
        held = [await engine.connect() for _ in range(SMALL_LIMITS["db_pool_size"])]
        overflow = [await engine.connect() for _ in range(10)]  # SQLAlchemy's max_overflow
        try:
            assert_unavailable_before_anything(await graphql(busy, WALLET, token=gifting.fan.token))
            await assert_not_ready(busy)
        finally:
            for connection in held + overflow:
                await connection.close()
        assert (await graphql(busy, WALLET, token=gifting.fan.token)).status_code == 200


@pytest.mark.parametrize("subprotocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_socket_with_a_token_opens_while_the_database_is_down(
    unopenable, clock, subprotocol
):
    """The token cannot be checked: the socket is accepted (each operation checks it again and
    answers SERVICE_UNAVAILABLE), not dropped with an internal error."""
    import json

    import websockets

    app = create_app(limited(unopenable, unopenable.database_url), clock=clock)
    try:
        async with (
            served(app) as url,
            websockets.connect(url, subprotocols=[subprotocol]) as socket,
        ):
            init = {"type": "connection_init", "payload": {"token": "some-token"}}
            await socket.send(json.dumps(init))
            ack = json.loads(await guarded(socket.recv()))
    finally:
        await app.state.services.broker.close()
        await app.state.engine.dispose()
    assert ack["type"] == "connection_ack"


def test_a_command_against_a_database_that_is_down_says_so(monkeypatch, capsys):
    from reelpay.cli import main

    # Nothing listens on port 9: refused at once.
    monkeypatch.setenv("REELPAY_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:9/x")

    status = main(["ledger", "verify"])

    err = capsys.readouterr().err
    assert status == 3
    assert "the database is not answering" in err and "Traceback" not in err


async def test_publishing_an_event_to_a_frozen_server_gives_up_in_bounded_time(
    proxy, database_url, caplog
):
    """Events are written by the transaction itself (the outbox, issue 15); publishing after
    the commit only wakes this process's reader, so a hung database cannot hang the mutation
    waiting to publish them, even while the reader is stuck on it."""
    from reelpay.events import Event
    from reelpay.events.broker import OutboxBroker
    from reelpay.settings import Limits

    broker = OutboxBroker(proxy.url(database_url), Limits(**SMALL_LIMITS))
    try:
        async with broker.subscribe("wallet:1"):  # the reader now polls through the proxy
            proxy.freeze()
            await guarded(broker.publish([Event("wallet:1", {"n": 2})]))
            await guarded(broker.publish([Event("wallet:1", {"n": 3})]))
    finally:
        await proxy.restore()
        await guarded(broker.close())
