"""Live events over graphql-transport-ws, with gql's WebSocket client against real uvicorn servers.

On PostgreSQL two app instances share one database, as two API workers would: an event published
by one reaches a subscriber connected to the other through LISTEN/NOTIFY.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.app import create_app
from reelpay.clock import FrozenClock
from reelpay.events import live_channel, payouts_channel, wallet_channel
from reelpay.settings import Settings
from tests.factories import (
    User,
    buy_coins,
    enrol,
    log_in,
    new_key,
    publish,
    set_account,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

LIVE_EVENTS = gql(
    """
    subscription($liveId: ID!) {
      liveEvents(liveId: $liveId) {
        __typename
        ... on LiveGiftEvent {
          live { id }
          gift { quantity coins diamonds gift { name } sender { handle } }
        }
        ... on LiveViewerJoinedEvent { viewer { handle } viewerCount }
        ... on LiveEndedEvent { live { status } }
      }
    }
    """
)
WALLET_EVENTS = gql(
    "subscription { walletEvents { kind asset amount balanceAfter wallet { coins diamonds } } }"
)
TIMEOUT = 10


class Server:
    """One app instance served by uvicorn on a free port, in the test's event loop."""

    def __init__(self, app: Any, server: uvicorn.Server, task: asyncio.Task[None]) -> None:
        self.app = app
        self.server = server
        self.task = task
        port = server.servers[0].sockets[0].getsockname()[1]
        self.http = f"http://127.0.0.1:{port}/graphql"
        self.ws = f"ws://127.0.0.1:{port}/graphql"

    @property
    def broker(self) -> Any:
        return self.app.state.services.broker

    async def mutate(self, name: str, input: dict[str, Any], selection: str, token: str) -> Any:
        input_type = name[0].upper() + name[1:] + "Input"
        query = (
            f"mutation($input: {input_type}!) {{ {name}(input: $input) "
            f"{{ {selection} userErrors {{ code message }} }} }}"
        )
        async with httpx.AsyncClient() as client:
            response = await client.post(
                self.http,
                json={"query": query, "variables": {"input": input}},
                headers={"Authorization": f"Bearer {token}"},
            )
        body = response.json()
        assert "errors" not in body, body
        payload = body["data"][name]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload


@pytest.fixture
async def serve(
    settings: Settings, clock: FrozenClock, clean_db: AsyncEngine
) -> AsyncIterator[Callable[[], Awaitable[Server]]]:
    servers: list[Server] = []

    async def start() -> Server:
        app = create_app(settings, clock=clock, engine=clean_db)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
        servers.append(Server(app, server, task))
        return servers[-1]

    yield start
    for running in servers:
        running.server.should_exit = True
        await running.task
        await running.broker.close()


@asynccontextmanager
async def subscribed(
    server: Server,
    document: Any,
    channel: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> AsyncIterator[Any]:
    """An open subscription, yielded once the server is listening on `channel`."""
    transport = WebsocketsTransport(
        url=server.ws,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"authorization": f"Bearer {token}"} if token else {},
    )
    async with Client(transport=transport) as session:
        events = session.subscribe(GraphQLRequest(document, variable_values=variables or {}))
        first = asyncio.ensure_future(anext(events))
        for _ in range(TIMEOUT * 100):
            if server.broker.subscriber_count(channel) or first.done():
                break
            await asyncio.sleep(0.01)
        yield _Stream(first, events)
        first.cancel()
        await events.aclose()


class _Stream:
    def __init__(self, first: asyncio.Future[Any], events: Any) -> None:
        self._pending: asyncio.Future[Any] | None = first
        self._events = events

    async def next(self) -> Any:
        future = self._pending or asyncio.ensure_future(anext(self._events))
        self._pending = None
        return await asyncio.wait_for(future, TIMEOUT)

    async def completes(self) -> bool:
        try:
            await self.next()
        except StopAsyncIteration:
            return True
        return False


async def creator_live(api: Any, engine: AsyncEngine, handle: str = "star") -> tuple[User, str]:
    creator = await sign_up(api, handle)
    await enrol(engine, creator, "LIVE_GIFTS")
    payload = await api.mutate("startLive", {"title": "Late show"}, "live { id }", creator.token)
    assert payload["userErrors"] == []
    return creator, payload["live"]["id"]


def _live_pk(live_id: str) -> int:
    from tests.factories import decode_pk

    return decode_pk(live_id)


async def test_a_live_streams_joins_gifts_and_its_end_then_completes(api, clean_db, serve):
    server = await serve()
    creator, live_id = await creator_live(api, clean_db)
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    rose = next(
        g for g in (await api.data("{ gifts { id coinPrice } }"))["gifts"] if g["coinPrice"] == 1
    )

    channel = live_channel(_live_pk(live_id))
    async with subscribed(server, LIVE_EVENTS, channel, {"liveId": live_id}) as stream:
        await server.mutate("joinLive", {"liveId": live_id}, "live { id }", fan.token)
        joined = (await stream.next())["liveEvents"]
        assert joined == {
            "__typename": "LiveViewerJoinedEvent",
            "viewer": {"handle": "fan"},
            "viewerCount": 1,
        }

        gift = {"giftId": rose["id"], "quantity": 5, "liveId": live_id, "idempotencyKey": new_key()}
        await server.mutate("sendGift", gift, "gift { coins }", fan.token)
        event = (await stream.next())["liveEvents"]
        assert event["__typename"] == "LiveGiftEvent"
        assert event["live"] == {"id": live_id}
        assert event["gift"] == {
            "quantity": 5,
            "coins": 5,
            "diamonds": 5,
            "gift": {"name": "Rose"},
            "sender": {"handle": "fan"},
        }

        # A replay moves nothing and announces nothing; the next event is the end.
        await server.mutate("sendGift", gift, "gift { coins }", fan.token)
        await server.mutate("endLive", {"liveId": live_id}, "live { id }", creator.token)
        ended = (await stream.next())["liveEvents"]
        assert ended == {"__typename": "LiveEndedEvent", "live": {"status": "ENDED"}}
        assert await stream.completes()


async def test_subscribing_to_an_ended_live_gets_its_end_and_completes(api, clean_db, serve):
    server = await serve()
    creator, live_id = await creator_live(api, clean_db)
    await api.mutate("endLive", {"liveId": live_id}, "live { id }", creator.token)

    async with subscribed(server, LIVE_EVENTS, "none", {"liveId": live_id}) as stream:
        assert (await stream.next())["liveEvents"]["__typename"] == "LiveEndedEvent"
        assert await stream.completes()


@pytest.mark.parametrize("make_hidden", ["unknown", "private"])
async def test_a_live_you_cannot_see_is_not_found(api, clean_db, serve, make_hidden):
    server = await serve()
    creator, live_id = await creator_live(api, clean_db)
    if make_hidden == "private":
        await set_account(api, creator, visibility="PRIVATE")
    else:
        from reelpay.graphql.relay import encode_id

        live_id = encode_id("LiveStream", 999_999)

    async with subscribed(server, LIVE_EVENTS, "none", {"liveId": live_id}) as stream:
        with pytest.raises(TransportQueryError) as raised:
            await stream.next()
    error = raised.value.errors[0]
    assert error["message"] == "No such LIVE."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == "NOT_FOUND"


async def test_wallet_events_reach_the_owner_authenticated_by_connection_params(
    api, clean_db, serve
):
    server = await serve()
    fan = await sign_up(api, "fan")
    channel = wallet_channel(fan.pk)

    async with subscribed(server, WALLET_EVENTS, channel, token=fan.token) as stream:
        await server.mutate(
            "purchaseCoins",
            {
                "packageId": _package(350),
                "paymentToken": "tok_sandbox_success",
                "idempotencyKey": "k",
            },
            "wallet { coins }",
            fan.token,
        )
        event = (await stream.next())["walletEvents"]
    assert event == {
        "kind": "COIN_PURCHASE",
        "asset": "COIN",
        "amount": 350,
        "balanceAfter": 350,
        "wallet": {"coins": 350, "diamonds": 0},
    }


async def test_wallet_events_need_a_logged_in_viewer(serve):
    server = await serve()
    async with subscribed(server, WALLET_EVENTS, "none") as stream:
        with pytest.raises(TransportQueryError) as raised:
            await stream.next()
    assert raised.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


def _ws_client(server: Server, token: str) -> Client:
    return Client(
        transport=WebsocketsTransport(
            url=server.ws,
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            init_payload={"authorization": f"Bearer {token}"},
        )
    )


async def test_queries_over_the_socket_see_the_connection_params_viewer(api, serve):
    server = await serve()
    fan = await sign_up(api, "fan")
    async with _ws_client(server, fan.token) as session:
        first = await session.execute(gql("{ viewer { handle } }"))
        second = await session.execute(gql("{ viewer { handle } }"))
    assert first == second == {"viewer": {"handle": "fan"}}


async def test_a_revoked_token_in_connection_params_closes_the_socket_with_4403(api, serve):
    server = await serve()
    fan = await sign_up(api, "fan")
    await api.mutate("logOut", {}, "revokedSessions", fan.token)

    with pytest.raises(Exception) as raised:
        async with _ws_client(server, fan.token) as session:
            await session.execute(gql("{ viewer { handle } }"))
    codes = []
    error: BaseException | None = raised.value
    while error is not None:
        received = getattr(error, "rcvd", None)
        if received is not None:
            codes.append(received.code)
        error = error.__cause__ or error.__context__
    assert 4403 in codes


async def test_an_event_published_by_one_worker_reaches_a_subscriber_on_another(
    api, clean_db, serve
):
    worker_a, worker_b = await serve(), await serve()
    fan = await sign_up(api, "fan")

    async with subscribed(worker_b, WALLET_EVENTS, wallet_channel(fan.pk), token=fan.token) as s:
        await worker_a.mutate(
            "purchaseCoins",
            {
                "packageId": _package(70),
                "paymentToken": "tok_sandbox_success",
                "idempotencyKey": "k",
            },
            "wallet { coins }",
            fan.token,
        )
        event = (await s.next())["walletEvents"]
    assert event["amount"] == 70 and event["wallet"]["coins"] == 70
    assert worker_a.broker is not worker_b.broker


def _package(coins: int) -> str:
    from tests.factories import package_id

    return package_id(coins)


async def test_lost_events_end_the_subscription_with_events_lost(api, clean_db, serve):
    server = await serve()
    _, live_id = await creator_live(api, clean_db)
    channel = live_channel(_live_pk(live_id))

    async with subscribed(server, LIVE_EVENTS, channel, {"liveId": live_id}) as stream:
        server.broker.interrupt_all("test: the database connection dropped")
        with pytest.raises(TransportQueryError) as raised:
            await stream.next()
    error = raised.value.errors[0]
    assert error["extensions"]["code"] == "EVENTS_LOST"
    assert "subscribe again" in error["message"]


async def test_a_quiet_live_is_checked_so_a_missed_end_still_completes(
    api, clean_db, serve, monkeypatch
):
    from reelpay.graphql.gifting import subscriptions

    monkeypatch.setattr(subscriptions, "LIVE_RECHECK_SECONDS", 0.05)
    server = await serve()
    _, live_id = await creator_live(api, clean_db)
    channel = live_channel(_live_pk(live_id))

    async with subscribed(server, LIVE_EVENTS, channel, {"liveId": live_id}) as stream:
        # End the LIVE behind the broker's back, as if its LIVE_ENDED event were lost.
        async with clean_db.begin() as connection:
            await connection.execute(
                sa.text("UPDATE live_streams SET status = 'ENDED', ended_at = :now"),
                {"now": datetime(2026, 6, 15, 12, tzinfo=UTC)},
            )
        ended = (await stream.next())["liveEvents"]
        assert ended == {"__typename": "LiveEndedEvent", "live": {"status": "ENDED"}}
        assert await stream.completes()


async def test_wallet_events_stop_when_the_session_is_revoked(api, clean_db, serve):
    server = await serve()
    fan, other = await sign_up(api, "fan"), await sign_up(api, "other")
    await enrol(clean_db, fan, "LIVE_GIFTS")
    video = await publish(api, fan)
    await buy_coins(api, other, 70)
    rose = (await api.data("{ gifts { id } }"))["gifts"][0]["id"]

    async def gift_to_fan() -> None:  # through the server the subscription is connected to
        await server.mutate(
            "sendGift",
            {"giftId": rose, "videoId": video, "idempotencyKey": new_key()},
            "gift { diamonds }",
            other.token,
        )

    async with subscribed(server, WALLET_EVENTS, wallet_channel(fan.pk), token=fan.token) as s:
        await gift_to_fan()
        assert (await s.next())["walletEvents"]["amount"] == 1
        await api.mutate("logOut", {}, "revokedSessions", fan.token)
        await gift_to_fan()
        with pytest.raises(TransportQueryError) as raised:
            await s.next()
    assert raised.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("payload", [{"authorization": "Bearer nope"}, {"token": "nope"}])
async def test_a_wrong_token_on_the_older_graphql_ws_protocol_closes_with_4403(serve, payload):
    import websockets

    server = await serve()
    async with websockets.connect(server.ws, subprotocols=["graphql-ws"]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        refusal = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), TIMEOUT)
    assert refusal["type"] == "connection_error"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_good_token_on_the_older_graphql_ws_protocol_is_acknowledged(api, serve):
    import websockets

    server = await serve()
    fan = await sign_up(api, "fan")
    async with websockets.connect(server.ws, subprotocols=["graphql-ws"]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {"token": fan.token}}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
    assert ack["type"] == "connection_ack"


PAYOUT_UPDATES = gql("subscription { payoutUpdates { status } }")


@pytest.mark.parametrize(
    ("document", "channel_of"),
    [(WALLET_EVENTS, wallet_channel), (PAYOUT_UPDATES, payouts_channel)],
    ids=["walletEvents", "payoutUpdates"],
)
async def test_log_out_everywhere_ends_open_subscriptions_at_once(
    api, serve, backend, document, channel_of
):
    # On PostgreSQL the revocation happens on another worker than the one holding the socket.
    subscribed_to, revoking = await serve(), await serve()
    if backend != "postgresql":
        revoking = subscribed_to  # SQLite deployments run one process
    fan = await sign_up(api, "fan")
    other_device = await log_in(api, User(**{**fan.__dict__}))
    assert other_device.token != fan.token

    async with subscribed(subscribed_to, document, channel_of(fan.pk), token=fan.token) as s:
        await revoking.mutate("logOut", {"everywhere": True}, "revokedSessions", other_device.token)
        # No event of the subscription's own follows: the revocation alone ends it.
        with pytest.raises(TransportQueryError) as ended:
            await s.next()

    assert ended.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert subscribed_to.broker.subscriber_count(channel_of(fan.pk)) == 0


async def test_logging_out_another_session_leaves_this_subscription_running(api, serve):
    server = await serve()
    fan = await sign_up(api, "fan")
    other_device = await log_in(api, User(**{**fan.__dict__}))

    async with subscribed(server, WALLET_EVENTS, wallet_channel(fan.pk), token=fan.token) as s:
        await server.mutate("logOut", {"everywhere": False}, "revokedSessions", other_device.token)
        await server.mutate(
            "purchaseCoins",
            {
                "packageId": _package(350),
                "paymentToken": "tok_sandbox_success",
                "idempotencyKey": "k",
            },
            "wallet { coins }",
            fan.token,
        )
        event = await s.next()

    assert event["walletEvents"]["balanceAfter"] == 350
