"""Benchmark: latency and SQL statements of typical reads against the demo data (SQLite).

Run: .venv/bin/python bench/query_cost.py [iterations]
Measures in-process through the ASGI app (no network), so figures are the server's own cost.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import event

from reelpay.app import create_app
from reelpay.clock import FrozenClock
from reelpay.db import create_engine, create_sessionmaker, run_write
from reelpay.demo import seed
from reelpay.migrate import upgrade
from reelpay.settings import Settings

QUERIES = {
    "accounts(first:30) + videos(first:5) + counts": """{ accounts(first: 30) { totalCount
        edges { node { handle followerCount followingCount viewerFollowStatus
        videos(first: 5) { totalCount edges { node { title viewCount owner { handle } } } }
        pinnedVideos { title } } } } }""",
    "account(handle) + followers(first:20)": """{ account(handle: "mia.dances") { handle
        followers(first: 20) { totalCount edges { node { handle followerCount } } } } }""",
    "chef.leo's Series + episodes + playback (anonymous)": """{ account(handle: "chef.leo") {
        series(first: 5) { edges { node { title price { amount } episodeCount
        rating { count average } viewerAccess { reason }
        episodes { title durationSeconds playback { allowed reason url } } } } } } }""",
    "chef.leo's LIVE + totals + top gifters": """{ account(handle: "chef.leo") {
        currentLive { title viewerCount giftTotals { coins diamonds }
        topGifters(first: 10) { account { handle } coins } } } }""",
}


async def main(iterations: int) -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            database_url=url, password_hash_time_cost=1, password_hash_memory_kib=64
        )
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as session:
            await run_write(session, lambda: seed(session, settings=settings, now=now))
        statements = 0

        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        app = create_app(settings, clock=FrozenClock(now), engine=engine)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            for name, query in QUERIES.items():
                timings = []
                for _ in range(iterations):
                    statements = 0
                    started = time.perf_counter()
                    response = await client.post("/graphql", json={"query": query})
                    timings.append((time.perf_counter() - started) * 1000)
                    assert "errors" not in response.json(), response.text
                timings.sort()
                print(
                    f"{name}: p50 {statistics.median(timings):.1f} ms, "
                    f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, "
                    f"{statements} SQL statements, {len(response.content)} bytes"
                )
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
