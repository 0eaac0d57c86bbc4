"""Browser apps on other origins: CORS preflights and answers, and the WebSocket handshake.

Development admits pages on localhost at any port; production only `REELPAY_CORS_ORIGINS`.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import websockets

from reelpay.app import create_app
from reelpay.settings import ConfigurationError, Environment, Settings
from tests.test_subscriptions import serve  # noqa: F401 (a fixture)

VITE = "http://localhost:5173"
APP = "https://app.example.com"
EVIL = "https://evil.example"
QUERY = {"query": "{ __typename }"}


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


@pytest.fixture
async def production(settings, clock, clean_db):
    prod = dataclasses.replace(
        settings,
        environment=Environment.PRODUCTION,
        secret_key="x" * 40,
        cors_origins=(APP,),
    )
    app = create_app(prod, clock=clock, engine=clean_db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield client
    finally:
        await app.state.services.broker.close()


async def test_development_admits_a_frontend_on_localhost(api):
    checked = await api.client.options("/graphql", headers=preflight(VITE))
    answered = await api.client.post("/graphql", json=QUERY, headers={"Origin": VITE})

    assert checked.status_code == 200
    assert checked.headers["access-control-allow-origin"] == VITE
    assert checked.headers["access-control-allow-credentials"] == "true"
    assert "POST" in checked.headers["access-control-allow-methods"]
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in checked.headers["access-control-allow-headers"].split(",")
    }
    assert answered.json() == {"data": {"__typename": "Query"}}
    assert answered.headers["access-control-allow-origin"] == VITE
    assert answered.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("origin", [EVIL, "http://localhost.evil.example", "http://127.0.0.2:80"])
async def test_other_origins_get_no_cors_headers(api, origin):
    checked = await api.client.options("/graphql", headers=preflight(origin))
    answered = await api.client.post("/graphql", json=QUERY, headers={"Origin": origin})

    assert checked.status_code == 400
    assert "access-control-allow-origin" not in checked.headers
    assert "access-control-allow-origin" not in answered.headers


async def test_production_admits_only_the_listed_origins(production):
    listed = await production.options("/graphql", headers=preflight(APP))
    local = await production.options("/graphql", headers=preflight(VITE))
    answered = await production.post("/graphql", json=QUERY, headers={"Origin": APP})

    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == APP
    assert local.status_code == 400
    assert answered.headers["access-control-allow-origin"] == APP


async def test_a_refusal_is_readable_by_the_page_that_caused_it(api):
    response = await api.client.post("/graphql", content=b"x" * 2_000_000, headers={"Origin": VITE})

    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == VITE


async def test_the_websocket_handshake_follows_the_same_rule(serve):  # noqa: F811
    server = await serve()

    async with websockets.connect(
        server.ws, subprotocols=["graphql-transport-ws"], origin=VITE
    ) as socket:
        await socket.send('{"type": "connection_init"}')
        assert '"connection_ack"' in await socket.recv()
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            server.ws, subprotocols=["graphql-transport-ws"], origin=EVIL
        ):
            pass
    assert refused.value.response.status_code == 403


def test_the_origins_come_from_the_environment():
    settings = Settings.from_env({"REELPAY_CORS_ORIGINS": f" {APP}/, http://localhost:3000 "})

    assert settings.cors_origins == (APP, "http://localhost:3000")
    assert Settings.from_env({"REELPAY_CORS_ORIGINS": "*"}).cors_origins == ("*",)
    with pytest.raises(ConfigurationError, match="is not an origin"):
        Settings.from_env({"REELPAY_CORS_ORIGINS": "app.example.com/path"})


async def test_any_origin_when_listed_as_star_but_never_with_credentials(settings, clock, clean_db):
    app = create_app(
        dataclasses.replace(settings, cors_origins=("*",)), clock=clock, engine=clean_db
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            checked = await client.options("/graphql", headers=preflight(EVIL))
    finally:
        await app.state.services.broker.close()

    assert checked.status_code == 200
    assert checked.headers["access-control-allow-origin"] in ("*", EVIL)
    assert "access-control-allow-credentials" not in checked.headers
