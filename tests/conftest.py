"""Test fixtures: every API test runs through the real HTTP stack on SQLite and, when
REELPAY_TEST_POSTGRES_URL is set, on PostgreSQL too (a fresh database per run)."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from reelpay.app import create_app
from reelpay.clock import FrozenClock
from reelpay.db import create_engine, create_sessionmaker
from reelpay.migrate import upgrade
from reelpay.models import Base
from reelpay.settings import Environment, Limits, Settings
from tests.fakes.paypal_server import paypal, paypal_server, paypal_settings  # noqa: F401

# The fake Stripe's and PayPal's fixtures (servers start only for the tests that use them).
from tests.fakes.stripe_server import stripe, stripe_fake, stripe_settings  # noqa: F401

POSTGRES_URL = os.environ.get("REELPAY_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("REELPAY_REQUIRE_POSTGRES") == "1"
# Where every test's clock starts (a Monday): tests that pin exact dates count from here.
START = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def dated_start() -> datetime:
    """Where the clock of a test marked `dated` starts: START, or the instant in
    REELPAY_TEST_NOW (ISO 8601 with a zone, e.g. 2028-02-29T23:59:59Z). The dated CI step
    reruns those tests at awkward instants; they must hold on any date."""
    text = os.environ.get("REELPAY_TEST_NOW")
    if not text:
        return START
    now = datetime.fromisoformat(text)
    if now.tzinfo is None:
        raise ValueError(f"REELPAY_TEST_NOW must name its zone (e.g. {text}Z), not {text!r}")
    return now.astimezone(UTC)


BACKENDS = ["sqlite", "postgres"]
# Seeded by the migrations and never changed by the app: kept between tests.
REFERENCE_TABLES = {"gifts"}
# Seeded by the migrations and added to by the app (staff publish program terms): emptied and
# given back the rows the migrations wrote (read from the fresh database) before each test.
SEEDED_TABLES = ("program_terms",)
_seeds: dict[str, dict[str, list[dict[str, Any]]]] = {}


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("REELPAY_REQUIRE_POSTGRES=1 but REELPAY_TEST_POSTGRES_URL is not set")
        pytest.skip("set REELPAY_TEST_POSTGRES_URL to run the PostgreSQL tests")
    import asyncio

    name = f"reelpay_test_{uuid.uuid4().hex[:12]}"
    server = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg")

    async def admin(statement: str) -> None:
        engine = create_engine(
            server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as connection:
                await connection.execute(sa.text(statement))
        finally:
            await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database per backend for the whole run."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "reelpay.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
    else:
        for url in _postgres_database():
            upgrade(url)
            yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    # The pool and timeouts of a production worker (`reelpay serve`), so load tests meet them.
    engine = create_engine(database_url, limits=Limits())
    yield engine
    await engine.dispose()


@pytest.fixture
async def clean_db(engine: AsyncEngine) -> AsyncEngine:
    """Every test starts from empty tables."""
    await empty_tables(engine)
    return engine


async def empty_tables(engine: AsyncEngine) -> None:
    """Delete every row but the reference data the migrations load."""
    tables = [
        t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES
    ]
    seeded = [Base.metadata.tables[name] for name in SEEDED_TABLES]
    key = engine.url.render_as_string(hide_password=False)
    async with engine.begin() as connection:
        if key not in _seeds:  # the first time: the database is as the migrations left it
            _seeds[key] = {
                t.name: [
                    {c: v for c, v in row.items() if c != "id"}  # ids come from the sequence
                    for row in (await connection.execute(sa.select(t).order_by(t.c.id)))
                    .mappings()
                    .all()
                ]
                for t in seeded
            }
        if engine.dialect.name == "postgresql":
            await connection.execute(
                sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                await connection.execute(sa.text(f"DELETE FROM {table}"))
        for table in seeded:
            if _seeds[key][table.name]:
                await connection.execute(table.insert(), _seeds[key][table.name])


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FrozenClock:
    """The injectable clock; a test marked `dated` starts at `dated_start()`."""
    return FrozenClock(dated_start() if request.node.get_closest_marker("dated") else START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Cheap password hashing keeps the suite fast; production uses the argon2 defaults. Every
    # test's requests come from one address: its throttles are for the tests that test them
    # (tests/test_throttles.py), not for arranging a hundred accounts.
    return Settings(
        database_url=database_url,
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        limits=Limits(
            requests_per_address=UNTHROTTLED,
            requests_in_flight_per_address=UNTHROTTLED,
            signups_per_address=UNTHROTTLED,
            login_attempts_per_address=UNTHROTTLED,
            views_per_address=UNTHROTTLED,
        ),
    )


UNTHROTTLED = 1_000_000


@pytest.fixture
def backend(engine: AsyncEngine) -> str:
    return engine.dialect.name


@pytest.fixture
async def api(settings: Settings, clock: FrozenClock, clean_db: AsyncEngine) -> AsyncIterator[Api]:
    async with serving_api(settings, clock, clean_db) as served:
        yield served


@asynccontextmanager
async def serving_api(
    settings: Settings, clock: FrozenClock, engine: AsyncEngine
) -> AsyncIterator[Api]:
    """An Api speaking to an app built with `settings` (e.g. with Stripe or PayPal)."""
    app = create_app(settings, clock=clock, engine=engine)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, engine, app)
    finally:
        # ASGITransport sends no lifespan events: close what the app's shutdown would.
        services = app.state.services
        await services.broker.close()
        for provider in (services.payments, services.connect):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()


@pytest.fixture
async def production_client(
    settings: Settings, clock: FrozenClock, clean_db: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the app configured for production (no GraphiQL, no suggestions)."""
    prod = dataclasses.replace(settings, environment=Environment.PRODUCTION, secret_key="x" * 40)
    app = create_app(prod, clock=clock, engine=clean_db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield client
    finally:
        await app.state.services.broker.close()


@pytest.fixture
async def db(clean_db: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for arranging history through services (committed by the test)."""
    async with create_sessionmaker(clean_db)() as session:
        yield session


class Api:
    """Speaks GraphQL over HTTP to the app under test."""

    def __init__(self, client: httpx.AsyncClient, engine: AsyncEngine, app: Any = None) -> None:
        self.client = client
        self.engine = engine
        self.app = app  # app.state.services: the clock, the payment and payout providers

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The whole response body (data and errors)."""
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """`data` of a response that must have no errors."""
        body = await self.execute(query, variables, token)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The single top-level error of a response that must fail."""
        body = await self.execute(query, variables, token)
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        return body["errors"][0]

    async def mutate(
        self,
        name: str,
        input: dict[str, Any],
        selection: str,
        token: str | None = None,
        input_type: str | None = None,
    ) -> dict[str, Any]:
        """Run mutation `name(input:)`; returns its payload (userErrors always selected)."""
        input_type = input_type or name[0].upper() + name[1:] + "Input"
        query = (
            f"mutation($input: {input_type}!) {{ {name}(input: $input) "
            f"{{ {selection} userErrors {{ code field message }} }} }}"
        )
        return (await self.data(query, {"input": input}, token))[name]


@pytest.fixture
async def verify_ledger(clean_db: AsyncEngine) -> AsyncIterator[None]:
    """Money tests: every ledger invariant holds when the test ends (`reelpay ledger verify`)."""
    yield
    from reelpay.payouts import audit as payout_audit
    from reelpay.wallet import audit

    async with create_sessionmaker(clean_db)() as session:
        problems = await audit.verify(session) + await payout_audit.verify(session)
    assert problems == [], problems
