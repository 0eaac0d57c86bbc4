"""Benchmark: the fixed cost of one GraphQL request, as a ratio against a raw route.

`{ __typename }` through Reelpay's whole stack (middleware, parse, validation, extensions,
execution) against a plain Starlette route answering the same JSON, in-process through
httpx's ASGI transport, interleaved over rounds in one run. Prints the throughput ratio
(Reelpay / raw; 1.0 would be free), its spread, and each side's time per request.

Run: .venv/bin/python bench/overhead.py [rounds] [requests-per-round]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelpay.app import create_app
from reelpay.migrate import upgrade
from reelpay.settings import Limits, Settings

QUERY = {"query": "{ __typename }"}


async def raw(_: Request) -> JSONResponse:
    return JSONResponse({"data": {"__typename": "Query"}})


async def timed(client: httpx.AsyncClient, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        response = await client.post("/graphql", json=QUERY)
        assert response.json() == {"data": {"__typename": "Query"}}, response.text
    return time.perf_counter() - started


async def main(url: str, rounds: int, n: int) -> None:
    # One client address sends everything: the per-address throttles are for floods.
    limits = Limits(requests_per_address=10**9, requests_in_flight_per_address=10**6)
    reelpay = create_app(Settings(database_url=url, limits=limits))
    baseline = Starlette(routes=[Route("/graphql", raw, methods=["POST"])])
    ratios, ours, theirs = [], [], []
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=reelpay), base_url="http://t") as r,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=baseline), base_url="http://t") as b,
    ):
        await timed(r, 50)  # warm up both
        await timed(b, 50)
        for _ in range(rounds):
            tb = await timed(b, n)
            tr = await timed(r, n)
            ratios.append(tb / tr)
            ours.append(tr / n * 1000)
            theirs.append(tb / n * 1000)
    await reelpay.state.services.broker.close()
    print(
        f"{{ __typename }}: Reelpay / raw route throughput {statistics.median(ratios):.3f} "
        f"(spread {min(ratios):.3f}-{max(ratios):.3f}, {rounds} rounds of {n}); "
        f"Reelpay {statistics.median(ours):.2f} ms, raw {statistics.median(theirs):.2f} ms"
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)  # (alembic runs its own event loop)
        asyncio.run(main(url, *(args + [5, 300][len(args) :])))
