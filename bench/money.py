"""Benchmark: the cost of money operations against the demo data.

Run: .venv/bin/python bench/money.py [iterations] [postgres-url]
SQLite (a temporary file) by default; give a PostgreSQL server URL (e.g.
postgresql://postgres@127.0.0.1:5432/postgres) to measure there in a scratch database.
In-process through the ASGI app (no network), so figures are the server's own cost.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from reelpay.app import create_app
from reelpay.clock import FrozenClock
from reelpay.db import create_engine, create_sessionmaker, run_write
from reelpay.demo import DEMO_PASSWORD, seed
from reelpay.migrate import upgrade
from reelpay.settings import Settings

GIFT = """mutation($input: SendGiftInput!) { sendGift(input: $input) {
    gift { coins } wallet { coins } userErrors { code } } }"""
HISTORY = """{ viewer { wallet { coins diamonds earnings { amount }
    history(first: 20) { totalCount edges { node { kind asset amount balanceAfter } } } } } }"""


@asynccontextmanager
async def database(postgres: str | None) -> AsyncIterator[str]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        return
    server = make_url(postgres).set(drivername="postgresql+asyncpg")
    name = f"reelpay_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


def percentiles(timings: list[float]) -> str:
    timings = sorted(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    return f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms"


async def main(iterations: int, postgres: str | None) -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    async with database(postgres) as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            database_url=url, password_hash_time_cost=1, password_hash_memory_kib=64
        )
        engine = (
            create_engine(url, pool_size=20, max_overflow=20) if postgres else create_engine(url)
        )
        async with create_sessionmaker(engine)() as session:
            await run_write(session, lambda: seed(session, settings=settings, now=now))
        statements = 0

        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        app = create_app(settings, clock=FrozenClock(now), engine=engine)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60
        ) as client:

            async def post(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
                response = await client.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                assert "errors" not in body, body
                return body["data"]

            async def token(handle: str) -> str:
                login = await client.post(
                    "/graphql",
                    json={
                        "query": "mutation($e: String!, $p: String!) { logIn(input: "
                        "{ email: $e, password: $p }) { token } }",
                        "variables": {"e": f"{handle}@demo.reelpay.dev", "p": DEMO_PASSWORD},
                    },
                )
                return login.json()["data"]["logIn"]["token"]

            live = await client.post(
                "/graphql", json={"query": '{ account(handle: "chef.leo") { currentLive { id } } }'}
            )
            live_id = live.json()["data"]["account"]["currentLive"]["id"]
            rose = "R2lmdDox"  # Gift:1, 1 coin
            mia = await token("mia.dances")

            def gift(key: str) -> dict[str, Any]:
                return {"input": {"giftId": rose, "liveId": live_id, "idempotencyKey": key}}

            timings = []
            for i in range(iterations):
                statements = 0
                started = time.perf_counter()
                data = await post(GIFT, gift(f"seq-{i}"), mia)
                timings.append((time.perf_counter() - started) * 1000)
                assert data["sendGift"]["userErrors"] == []
            print(
                f"sendGift, one after another: {percentiles(timings)}, {statements} SQL statements"
            )

            timings = []
            for i in range(iterations):
                statements = 0
                started = time.perf_counter()
                await post(GIFT, gift(f"seq-{i}"), mia)
                timings.append((time.perf_counter() - started) * 1000)
            print(
                f"sendGift replay (same key): {percentiles(timings)}, {statements} SQL statements"
            )

            fans = [await token(f"fan{i:02d}") for i in range(1, 21)]
            started = time.perf_counter()
            results = await asyncio.gather(
                *(
                    post(GIFT, gift(f"burst-{n}-{i}"), fan)
                    for n, fan in enumerate(fans)
                    for i in range(5)
                )
            )
            elapsed = time.perf_counter() - started
            ok = sum(1 for r in results if r["sendGift"]["userErrors"] == [])
            print(f"sendGift, 100 at once from 20 fans: {ok} ok, {ok / elapsed:.0f}/s")

            started = time.perf_counter()
            results = await asyncio.gather(*(post(GIFT, gift(f"one-{i}"), mia) for i in range(100)))
            elapsed = time.perf_counter() - started
            ok = sum(1 for r in results if r["sendGift"]["userErrors"] == [])
            print(f"sendGift, 100 at once from one fan: {ok} ok, {ok / elapsed:.0f}/s")

            timings = []
            for _ in range(iterations):
                statements = 0
                started = time.perf_counter()
                await post(HISTORY, {}, mia)
                timings.append((time.perf_counter() - started) * 1000)
            print(
                f"wallet + history(first:20): {percentiles(timings)}, {statements} SQL statements"
            )
        await app.state.services.broker.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 50,
            sys.argv[2] if len(sys.argv) > 2 else None,
        )
    )
